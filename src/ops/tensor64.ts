/**
 * Loops of the float64 reference interpreter: broadcasting, reduction, transpose.
 * Written for clarity, not speed; they only run in tests.
 *
 * @module
 */

import type { Tensor64 } from "./types.ts";

/**
 * Makes a tensor.
 *
 * @param shape Static shape.
 * @param data Elements (default zeros).
 * @returns The tensor.
 */
export function tensor(shape: number[], data?: ArrayLike<number>): Tensor64 {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: data ? Float64Array.from(data) : new Float64Array(size) };
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Index of `out`'s flat position `i` in a tensor of `shape` broadcast to `outShape`. */
function broadcastIndex(i: number, outShape: number[], shape: readonly number[]): number {
  const offset = outShape.length - shape.length;
  const st = strides(shape);
  let rem = i, idx = 0;
  const outSt = strides(outShape);
  for (let d = 0; d < outShape.length; d++) {
    const coord = Math.floor(rem / outSt[d]);
    rem -= coord * outSt[d];
    const k = d - offset;
    if (k >= 0 && shape[k] !== 1) idx += coord * st[k];
  }
  return idx;
}

/**
 * Broadcasts `shape` to `outShape`, materialising the result.
 *
 * @param t Input tensor.
 * @param outShape Target shape.
 * @returns The broadcast tensor.
 */
export function expandTo(t: Tensor64, outShape: number[]): Tensor64 {
  const out = tensor(outShape);
  for (let i = 0; i < out.data.length; i++) {
    out.data[i] = t.data[broadcastIndex(i, outShape, t.shape)];
  }
  return out;
}

/**
 * Elementwise binary op with numpy broadcasting.
 *
 * @param a Left operand.
 * @param b Right operand.
 * @param f The scalar function.
 * @returns The result.
 */
export function zipWith(a: Tensor64, b: Tensor64, f: (x: number, y: number) => number): Tensor64 {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...new Array(rank - s.length).fill(1), ...s];
  const pa = pad(a.shape), pb = pad(b.shape);
  const outShape = pa.map((d, i) => Math.max(d, pb[i]));
  const out = tensor(outShape);
  for (let i = 0; i < out.data.length; i++) {
    out.data[i] = f(
      a.data[broadcastIndex(i, outShape, a.shape)],
      b.data[broadcastIndex(i, outShape, b.shape)],
    );
  }
  return out;
}

/**
 * Elementwise unary op.
 *
 * @param a Operand.
 * @param f The scalar function.
 * @returns The result.
 */
export function map(a: Tensor64, f: (x: number) => number): Tensor64 {
  return { shape: [...a.shape], data: a.data.map(f) };
}

/**
 * Reduces over `axes` with an associative `f` starting at `init`.
 *
 * @param a Operand.
 * @param axes Non-negative axes to reduce.
 * @param keepdims Keep reduced axes as size 1.
 * @param init Initial accumulator.
 * @param f Accumulate.
 * @returns The reduced tensor.
 */
export function reduce(
  a: Tensor64,
  axes: readonly number[],
  keepdims: boolean,
  init: number,
  f: (acc: number, x: number) => number,
): Tensor64 {
  const keptShape = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = tensor(keptShape, new Array(keptShape.reduce((p, d) => p * d, 1)).fill(init));
  const st = strides(a.shape), outSt = strides(keptShape);
  for (let i = 0; i < a.data.length; i++) {
    let rem = i, o = 0;
    for (let d = 0; d < a.shape.length; d++) {
      const c = Math.floor(rem / st[d]);
      rem -= c * st[d];
      if (!axes.includes(d)) o += c * outSt[d];
    }
    out.data[o] = f(out.data[o], a.data[i]);
  }
  if (!keepdims) out.shape = a.shape.filter((_, i) => !axes.includes(i));
  return out;
}

/**
 * Permutes axes.
 *
 * @param a Operand.
 * @param perm The permutation: output axis `i` is input axis `perm[i]`.
 * @returns The transposed tensor.
 */
export function transpose(a: Tensor64, perm: readonly number[]): Tensor64 {
  const outShape = perm.map((p) => a.shape[p]);
  const out = tensor(outShape);
  const st = strides(a.shape), outSt = strides(outShape);
  for (let i = 0; i < out.data.length; i++) {
    let rem = i, src = 0;
    for (let d = 0; d < outShape.length; d++) {
      const c = Math.floor(rem / outSt[d]);
      rem -= c * outSt[d];
      src += c * st[perm[d]];
    }
    out.data[i] = a.data[src];
  }
  return out;
}

/**
 * Matrix product of 2-D tensors.
 *
 * @param a `[m, k]`.
 * @param b `[k, n]`.
 * @returns `[m, n]`.
 */
export function matmul(a: Tensor64, b: Tensor64): Tensor64 {
  const [m, k] = a.shape, n = b.shape[1];
  const out = tensor([m, n]);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a.data[i * k + p];
      for (let j = 0; j < n; j++) out.data[i * n + j] += av * b.data[p * n + j];
    }
  }
  return out;
}

/** Options of the 2-D window ops: `[top, left, bottom, right]` padding. */
export interface Window2d {
  /** Kernel height and width. */
  kernel: readonly [number, number];
  /** Padding `[top, left, bottom, right]`. */
  pads: readonly number[];
  /** Strides (default 1). */
  strides?: readonly number[];
}

/**
 * 2-D cross-correlation (ONNX Conv, group 1, stride 1).
 *
 * @param x `[N, C, H, W]`.
 * @param w `[M, C, kh, kw]`.
 * @param pads `[top, left, bottom, right]`.
 * @param dilations Spacing of the kernel taps `[dh, dw]`.
 * @returns `[N, M, H', W']`.
 */
export function conv2d(
  x: Tensor64,
  w: Tensor64,
  pads: readonly number[],
  dilations: readonly number[] = [1, 1],
): Tensor64 {
  const [n, c, h, wd] = x.shape, [m, , kh, kw] = w.shape, [dh, dw] = dilations;
  const oh = h + pads[0] + pads[2] - dh * (kh - 1), ow = wd + pads[1] + pads[3] - dw * (kw - 1);
  const out = tensor([n, m, oh, ow]);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < m; o++) {
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          let sum = 0;
          for (let i = 0; i < c; i++) {
            for (let p = 0; p < kh; p++) {
              const iy = y + p * dh - pads[0];
              if (iy < 0 || iy >= h) continue;
              for (let q = 0; q < kw; q++) {
                const ix = xx + q * dw - pads[1];
                if (ix < 0 || ix >= wd) continue;
                sum += x.data[((b * c + i) * h + iy) * wd + ix] *
                  w.data[((o * c + i) * kh + p) * kw + q];
              }
            }
          }
          out.data[((b * m + o) * oh + y) * ow + xx] = sum;
        }
      }
    }
  }
  return out;
}

/**
 * 2-D max pooling; padded positions never win.
 *
 * @param x `[N, C, H, W]`.
 * @param window Kernel, pads, strides.
 * @returns `[N, C, H', W']`.
 */
export function maxPool2d(x: Tensor64, window: Window2d): Tensor64 {
  const [n, c, h, wd] = x.shape, [kh, kw] = window.kernel, pads = window.pads;
  const [sh, sw] = window.strides ?? [1, 1];
  const oh = Math.floor((h + pads[0] + pads[2] - kh) / sh) + 1;
  const ow = Math.floor((wd + pads[1] + pads[3] - kw) / sw) + 1;
  const out = tensor([n, c, oh, ow]);
  for (let plane = 0; plane < n * c; plane++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let best = -Infinity;
        for (let p = 0; p < kh; p++) {
          const iy = y * sh + p - pads[0];
          if (iy < 0 || iy >= h) continue;
          for (let q = 0; q < kw; q++) {
            const ix = xx * sw + q - pads[1];
            if (ix >= 0 && ix < wd) best = Math.max(best, x.data[(plane * h + iy) * wd + ix]);
          }
        }
        out.data[(plane * oh + y) * ow + xx] = best;
      }
    }
  }
  return out;
}

/**
 * Copies a box of `x`: `starts[i] <= index < ends[i]` along `axes[i]`.
 *
 * @param x Operand.
 * @param starts First index per axis.
 * @param ends One past the last index per axis.
 * @param axes The axes (non-negative).
 * @returns The box.
 */
export function slice(x: Tensor64, starts: number[], ends: number[], axes: number[]): Tensor64 {
  const lo = x.shape.map(() => 0), hi = [...x.shape];
  axes.forEach((a, i) => {
    lo[a] = Math.min(Math.max(starts[i] < 0 ? starts[i] + x.shape[a] : starts[i], 0), x.shape[a]);
    hi[a] = Math.min(Math.max(ends[i] < 0 ? ends[i] + x.shape[a] : ends[i], 0), x.shape[a]);
  });
  const outShape = hi.map((h, i) => Math.max(h - lo[i], 0));
  const out = tensor(outShape);
  const st = strides(x.shape), outSt = strides(outShape);
  for (let i = 0; i < out.data.length; i++) {
    let rem = i, src = 0;
    for (let d = 0; d < outShape.length; d++) {
      const coord = Math.floor(rem / outSt[d]);
      rem -= coord * outSt[d];
      src += (coord + lo[d]) * st[d];
    }
    out.data[i] = x.data[src];
  }
  return out;
}

/**
 * Pads with a constant: `pads` is `[begin_0, ..., begin_r, end_0, ..., end_r]` (ONNX order).
 *
 * @param x Operand.
 * @param pads Non-negative padding per axis, begins then ends.
 * @param value The fill value.
 * @returns The padded tensor.
 */
export function pad(x: Tensor64, pads: number[], value: number): Tensor64 {
  const r = x.shape.length;
  const outShape = x.shape.map((d, i) => d + pads[i] + pads[i + r]);
  const out = tensor(outShape, new Array(outShape.reduce((a, b) => a * b, 1)).fill(value));
  const st = strides(x.shape), outSt = strides(outShape);
  for (let i = 0; i < x.data.length; i++) {
    let rem = i, dst = 0;
    for (let d = 0; d < r; d++) {
      const coord = Math.floor(rem / st[d]);
      rem -= coord * st[d];
      dst += (coord + pads[d]) * outSt[d];
    }
    out.data[dst] = x.data[i];
  }
  return out;
}

/**
 * Nearest-neighbour upsampling of `[N, C, H, W]` by an integer factor.
 *
 * @param x Operand.
 * @param f Factor.
 * @returns `[N, C, fH, fW]`.
 */
export function resizeNearest(x: Tensor64, f: number): Tensor64 {
  const [n, c, h, w] = x.shape;
  const out = tensor([n, c, h * f, w * f]);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < h * f; y++) {
      for (let xx = 0; xx < w * f; xx++) {
        out.data[(p * h * f + y) * w * f + xx] =
          x.data[(p * h + Math.floor(y / f)) * w + Math.floor(xx / f)];
      }
    }
  }
  return out;
}

/**
 * Average pooling with a square kernel, no padding.
 *
 * @param x `[N, C, H, W]`.
 * @param k Kernel size.
 * @param s Stride.
 * @returns `[N, C, (H - k) / s + 1, (W - k) / s + 1]`.
 */
export function averagePool2d(x: Tensor64, k: number, s: number): Tensor64 {
  const [n, c, h, w] = x.shape;
  const oh = Math.floor((h - k) / s) + 1, ow = Math.floor((w - k) / s) + 1;
  const out = tensor([n, c, oh, ow]);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let sum = 0;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) sum += x.data[(p * h + y * s + i) * w + xx * s + j];
        }
        out.data[(p * oh + y) * ow + xx] = sum / (k * k);
      }
    }
  }
  return out;
}
