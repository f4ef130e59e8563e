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
