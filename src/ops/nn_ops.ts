/**
 * The neural-network operator records: `Conv`, `MaxPool`, `AveragePool`,
 * `Resize` (nearest upsampling), `MatMul` and `Gemm`; each record's type
 * inference, float64 reference semantics and gradient rule side by side
 * (assembled in src/ops/registry.ts), and the kernel flip and padding that Conv's
 * gradient and its lowering (src/lower/kernel_gradient.ts) share.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { type Attrs, showShape, type Value } from "../ir/graph.ts";
import { broadcastShapes } from "../ir/shapes.ts";
import { expectArity, expectFloat, intAttr, intsAttr, knownOf, same } from "./infer.ts";
import {
  averagePool2d,
  conv2d,
  map,
  matmul,
  maxPool2d,
  resizeNearest,
  tensor,
  transpose,
  zipWith,
} from "./tensor64.ts";
import type { Builder } from "./builder.ts";
import type { OpDef, Vjp } from "./types.ts";

/** The convolution, pooling, upsampling and matrix-product operators. */
export type NnOp = "Conv" | "MaxPool" | "AveragePool" | "Resize" | "MatMul" | "Gemm";

/** Static spatial size after a 2-D window: `(size + pads - kernel) / stride + 1`. */
function windowed(
  x: Value,
  kernel: readonly number[],
  pads: readonly number[],
  strides: readonly number[],
  where: string,
): number[] {
  const [, , h, w] = x.shape;
  if (x.shape.length !== 4 || typeof h !== "number" || typeof w !== "number") {
    throw new AutoencoderError(
      `Cannot build ${where}: expected an [N, C, H, W] input with static H and W, got ${
        showShape(x.shape)
      }`,
    );
  }
  const out = [h, w].map((d, i) =>
    Math.floor((d + pads[i] + pads[i + 2] - kernel[i]) / strides[i]) + 1
  );
  if (out.some((d) => d < 1)) {
    throw new AutoencoderError(
      `Cannot build ${where}: a ${kernel.join("x")} window does not fit the ${h}x${w} input`,
    );
  }
  return out;
}

const pads4 = (attrs: Attrs) => intsAttr(attrs, "pads") ?? [0, 0, 0, 0];
const kernel2 = (attrs: Attrs) => intsAttr(attrs, "kernel_shape")!;
const strides2 = (attrs: Attrs) => intsAttr(attrs, "strides") ?? [1, 1];
const dilations2 = (attrs: Attrs) => intsAttr(attrs, "dilations") ?? [1, 1];

/**
 * `w [M, C, kh, kw]` flipped in space: `out[m, c, i, j] = w[m, c, kh-1-i, kw-1-j]`,
 * a product with a constant reversal permutation of the `kh·kw` taps.
 *
 * @param b The builder.
 * @param w The kernel.
 * @returns The flipped kernel.
 */
export function flipTaps(b: Builder, w: Value): Value {
  const [m, c, kh, kw] = w.shape as number[];
  const taps = kh * kw;
  const reverse = new Float32Array(taps * taps);
  for (let i = 0; i < taps; i++) reverse[i * taps + (taps - 1 - i)] = 1;
  const flat = b.matmul(b.reshape(w, [m * c, taps]), b.graph.constant(reverse, [taps, taps]));
  return b.reshape(flat, [m, c, kh, kw]);
}

/**
 * The padding `k - 1 - p` of the convolution that runs a `pads`-padded one backwards.
 *
 * @param kernel `[kh, kw]`.
 * @param pads `[top, left, bottom, right]`.
 * @returns The pads of the full convolution.
 */
export function fullPads(kernel: readonly number[], pads: readonly number[]): number[] {
  return pads.map((p, i) => kernel[i % 2] - 1 - p);
}

const SWAP_01 = [1, 0, 2, 3];

/**
 * The gradient of Conv (stride 1, group 1), given `g = dL/dy`:
 * dx: g convolved with the kernel flipped in space, its channel axes swapped,
 *     padded k - 1 - p (the transposed convolution);
 * dw[m, c, i, j] = Σ_{n,y,x} g[n, m, y, x] · xpad[n, c, y + i, x + j]: a convolution
 *     of x with g over the batch, each with its batch and channel axes swapped;
 * db: g summed over batch and space.
 */
const convVjp: Vjp = (b, { inputs: [x, w, bias], attrs }, [g]) => {
  if (dilations2(attrs).some((d) => d !== 1)) {
    throw new AutoencoderError("Cannot differentiate a dilated Conv: not supported");
  }
  const pads = pads4(attrs);
  const kernel = w.shape.slice(2) as number[];
  const dx = b.op1("Conv", [g!, b.transpose(flipTaps(b, w), SWAP_01)], {
    kernel_shape: kernel,
    pads: fullPads(kernel, pads),
  });
  const dwT = b.op1("Conv", [b.transpose(x, SWAP_01), b.transpose(g!, SWAP_01)], {
    kernel_shape: g!.shape.slice(2) as number[],
    pads,
  });
  return [dx, b.transpose(dwT, SWAP_01), bias && b.reduceSum(g!, [0, 2, 3], false)];
};

/** Throws unless the node has two float32 inputs and perhaps a third (Conv's bias, Gemm's C). */
function expectOperands(inputs: readonly Value[], where: string): void {
  if (inputs.length < 2 || inputs.length > 3) expectArity(inputs, 2, where);
  inputs.forEach((v) => expectFloat(v, where));
}

/** The records of the neural-network operators, by ONNX type. */
export const nnOps: Readonly<Record<NnOp, OpDef>> = {
  // Cross-correlation, group 1, stride 1: y = conv(x, w) + b; x [N,C,H,W], w [M,C,kh,kw].
  // Dilated kernels occur only in a lowered kernel gradient, which is not differentiated.
  Conv: {
    attrs: { kernel_shape: "ints", pads: "ints", strides: "ints", dilations: "ints" },
    infer(inputs, attrs, where) {
      expectOperands(inputs, where);
      const [x, w, bias] = inputs;
      if (strides2(attrs).some((s) => s !== 1)) {
        throw new AutoencoderError(`Cannot build ${where}: only stride 1 is supported`);
      }
      if (w.shape.length !== 4 || w.shape[1] !== x.shape[1]) {
        throw new AutoencoderError(
          `Cannot build ${where}: input ${showShape(x.shape)} has ${
            x.shape[1]
          } channels but the kernel ${showShape(w.shape)} expects ${w.shape[1]}`,
        );
      }
      if (bias && (bias.shape.length !== 1 || bias.shape[0] !== w.shape[0])) {
        throw new AutoencoderError(
          `Cannot build ${where}: bias ${showShape(bias.shape)} does not match ${
            w.shape[0]
          } filters`,
        );
      }
      const dilations = dilations2(attrs);
      const span = (w.shape.slice(2) as number[]).map((k, i) => dilations[i] * (k - 1) + 1);
      return same("float32", [
        x.shape[0],
        w.shape[0],
        ...windowed(x, span, pads4(attrs), [1, 1], where),
      ]);
    },
    ref([x, w, bias], attrs) {
      const y = conv2d(x, w, pads4(attrs), dilations2(attrs));
      return [bias ? zipWith(y, tensor([bias.shape[0], 1, 1], bias.data), (a, b) => a + b) : y];
    },
    vjp: convVjp,
  },

  MaxPool: {
    attrs: { kernel_shape: "ints", pads: "ints", strides: "ints" },
    infer(inputs, attrs, where) {
      expectArity(inputs, 1, where);
      const [x] = inputs;
      expectFloat(x, where);
      return same("float32", [
        x.shape[0],
        x.shape[1],
        ...windowed(x, kernel2(attrs), pads4(attrs), strides2(attrs), where),
      ]);
    },
    ref: (
      [x],
      attrs,
    ) => [
      maxPool2d(x, {
        kernel: kernel2(attrs) as [number, number],
        pads: pads4(attrs),
        strides: strides2(attrs),
      }),
    ],
    // For non-overlapping windows (kernel = strides): the elements of a window that equal
    // its maximum share the window's gradient equally, g / count each (a subgradient whose
    // sum per window is g, as Keras' and PyTorch's route-to-one rule). Ties are common on
    // MNIST (blank background under a positive bias, saturated strokes), so the count
    // matters. `spread` takes a pooled value back over its window (nearest upsampling,
    // cropped to x); `count` is the window sum of the mask (an average pool times k²).
    vjp(b, { inputs: [x], outputs: [y], attrs }, [g]) {
      const kernel = kernel2(attrs), strides = strides2(attrs), pads = pads4(attrs);
      if (kernel.join() !== strides.join() || kernel[0] !== kernel[1]) {
        throw new AutoencoderError(
          "Cannot differentiate MaxPool: only square windows with stride equal to the window are supported",
        );
      }
      const k = kernel[0];
      const [, , h, w] = x.shape as number[];
      const padded = pads.some((p) => p !== 0);
      const spread = (v: Value) => {
        const up = b.upsampleNearest(v, k);
        return up.shape[2] === h && up.shape[3] === w && !padded
          ? up
          : b.slice(up, [pads[0], pads[1]], [pads[0] + h, pads[1] + w], [2, 3]);
      };
      const mask = b.indicator(b.equal(spread(y), x));
      const windows = padded
        ? b.op1("Pad", [mask, b.ints([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])])
        : mask;
      const count = b.mul(
        b.op1("AveragePool", [windows], { kernel_shape: kernel, strides }),
        b.scalar(k * k),
      );
      return [b.mul(spread(b.div(g!, count)), mask)];
    },
  },

  AveragePool: {
    attrs: { kernel_shape: "ints", strides: "ints" },
    infer(inputs, attrs, where) {
      expectArity(inputs, 1, where);
      const [x] = inputs;
      return same("float32", [
        x.shape[0],
        x.shape[1],
        ...windowed(x, kernel2(attrs), [0, 0, 0, 0], strides2(attrs), where),
      ]);
    },
    ref: ([x], attrs) => [averagePool2d(x, kernel2(attrs)[0], strides2(attrs)[0])],
    vjp: "none",
  },

  // Nearest-neighbour upsampling by integer scales [1, 1, f, f] (inputs: x, an empty
  // roi, scales); asymmetric coordinates with floor, so each pixel fills an f×f block.
  // Its gradient sums each block: an f×f average pool, times f².
  Resize: {
    attrs: { mode: "string", coordinate_transformation_mode: "string", nearest_mode: "string" },
    infer(inputs, attrs, where) {
      expectArity(inputs, 3, where);
      const [x, , scalesValue] = inputs;
      const scales = knownOf(scalesValue, where) as number[];
      if (
        attrs.mode !== "nearest" || x.shape.length !== 4 || scales[0] !== 1 || scales[1] !== 1 ||
        !scales.every(Number.isInteger)
      ) {
        throw new AutoencoderError(
          `Cannot build ${where}: only nearest upsampling of [N, C, H, W] by integer scales [1, 1, f, f] is supported`,
        );
      }
      return same("float32", x.shape.map((d, i) => (i < 2 ? d : (d as number) * scales[i])));
    },
    ref: ([x, , scales]) => [resizeNearest(x, scales.data[2])],
    vjp(b, { inputs: [, , scalesValue] }, [g]) {
      const f = (scalesValue.known as number[])[2];
      const sum = b.mul(
        b.op1("AveragePool", [g!], { kernel_shape: [f, f], strides: [f, f] }),
        b.scalar(f * f),
      );
      return [sum, undefined, undefined];
    },
  },

  // 2-D, batched 3-D with the same batch ([B, m, k] @ [B, k, n]), or a batch times
  // one matrix ([B, m, k] @ [k, n]).
  MatMul: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 2, where);
      const [a, w] = inputs;
      expectFloat(a, where);
      expectFloat(w, where);
      const r = a.shape.length, rw = w.shape.length;
      if (
        (r !== 2 && r !== 3) || (rw !== r && rw !== 2) || a.shape[r - 1] !== w.shape[rw - 2] ||
        (rw === 3 && a.shape[0] !== w.shape[0])
      ) {
        throw new AutoencoderError(
          `Cannot build ${where}: shapes ${showShape(a.shape)} and ${showShape(w.shape)} ` +
            "do not multiply (2-D, or 3-D with one batch or times one 2-D matrix; inner dimensions equal)",
        );
      }
      return same("float32", [...a.shape.slice(0, -1), w.shape[rw - 1]]);
    },
    ref([a, w]) {
      if (a.shape.length === 2) return [matmul(a, w)];
      const [batch, m, k] = a.shape, n = w.shape[w.shape.length - 1];
      const step = w.shape.length === 3 ? k * n : 0;
      const out = tensor([batch, m, n]);
      for (let i = 0; i < batch; i++) {
        const part = matmul(
          tensor([m, k], a.data.slice(i * m * k, (i + 1) * m * k)),
          tensor([k, n], w.data.slice(i * step, i * step + k * n)),
        );
        out.data.set(part.data, i * m * n);
      }
      return [out];
    },
    vjp(b, { inputs: [a, w] }, [g]) {
      if (a.shape.length === 2) {
        return [b.gemm(g!, w, { transB: true }), b.gemm(a, g!, { transA: true })];
      }
      const t = (v: Value) => b.transpose(v, [0, 2, 1]);
      if (w.shape.length === 2) {
        // The batch shares w: dw sums the batch's products.
        const dw = b.reduceSum(b.matmul(t(a), g!), [0], false);
        return [b.matmul(g!, b.transpose(w, [1, 0])), dw];
      }
      return [b.matmul(g!, t(w)), b.matmul(t(a), g!)];
    },
  },

  // Y = alpha * op(A) @ op(B) + beta * C, op transposing when transA / transB is 1.
  Gemm: {
    attrs: { transA: "int", transB: "int", alpha: "float", beta: "float" },
    infer(inputs, attrs, where) {
      expectOperands(inputs, where);
      const [a, w, c] = inputs;
      const [m, k] = intAttr(attrs, "transA", 0) ? [a.shape[1], a.shape[0]] : a.shape;
      const [k2, n] = intAttr(attrs, "transB", 0) ? [w.shape[1], w.shape[0]] : w.shape;
      if (a.shape.length !== 2 || w.shape.length !== 2 || k !== k2) {
        throw new AutoencoderError(
          `Cannot build ${where}: shapes ${showShape(a.shape)} and ${showShape(w.shape)} ` +
            "do not multiply (2-D, inner dimensions equal)",
        );
      }
      if (c) broadcastShapes([m, n], c.shape, where);
      return same("float32", [m, n]);
    },
    ref([a, w, c], attrs) {
      const opA = intAttr(attrs, "transA", 0) ? transpose(a, [1, 0]) : a;
      const opB = intAttr(attrs, "transB", 0) ? transpose(w, [1, 0]) : w;
      const alpha = intAttr(attrs, "alpha", 1), beta = intAttr(attrs, "beta", 1);
      const y = map(matmul(opA, opB), (v) => alpha * v);
      return [c ? zipWith(y, c, (v, cv) => v + beta * cv) : y];
    },
    vjp(b, { inputs: [a, w, c], attrs }, [g]) {
      const tA = intAttr(attrs, "transA", 0) === 1, tB = intAttr(attrs, "transB", 0) === 1;
      const alpha = intAttr(attrs, "alpha", 1), beta = intAttr(attrs, "beta", 1);
      const scaled = (v: Value, s: number) => (s === 1 ? v : b.mul(v, b.scalar(s)));
      const ga = tA ? b.gemm(w, g!, { transA: tB, transB: true }) : b.gemm(g!, w, { transB: !tB });
      const gw = tB ? b.gemm(g!, a, { transA: true, transB: tA }) : b.gemm(a, g!, { transA: !tA });
      return [
        scaled(ga, alpha),
        scaled(gw, alpha),
        c && scaled(b.unbroadcast(g!, c.shape), beta),
      ];
    },
  },
};
