/**
 * The operator registry: one record per ONNX operator (opset {@link OPSET}), its
 * type inference, float64 reference semantics and gradient rule side by side. The
 * `Record<OpType, OpDef>` type makes a missing or misspelt record a compile
 * error; losses, regularizers and optimizers are composed from these and need no
 * rules of their own. The rules are the textbook ones; the forms a provider runs
 * faster are named rewrites in src/lower, applied when a graph is encoded.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import {
  type Attrs,
  type Dim,
  type DType,
  type Shape,
  showShape,
  type TensorType,
  type Value,
} from "../ir/graph.ts";
import { broadcastShapes, normalizeAxes, resolveReshape } from "../ir/shapes.ts";
import {
  averagePool2d,
  conv2d,
  expandTo,
  map,
  matmul,
  maxPool2d,
  pad,
  reduce,
  resizeNearest,
  slice,
  tensor,
  transpose,
  zipWith,
} from "./tensor64.ts";
import type { Builder } from "./builder.ts";
import type { OpDef, Tensor64, Vjp } from "./types.ts";

/** The ONNX opset every emitted model imports (ORT node, web wasm and WebGPU run it). */
export const OPSET = 17;

/** Every operator the library emits. */
export type OpType =
  | "Add"
  | "Sub"
  | "Mul"
  | "Div"
  | "Pow"
  | "Neg"
  | "Relu"
  | "Sigmoid"
  | "Abs"
  | "Sign"
  | "Ceil"
  | "Clip"
  | "Sqrt"
  | "Log"
  | "Identity"
  | "MatMul"
  | "Gemm"
  | "Transpose"
  | "ReduceSum"
  | "ReduceMean"
  | "Reshape"
  | "Shape"
  | "Expand"
  | "Unsqueeze"
  | "Cast"
  | "Conv"
  | "MaxPool"
  | "Slice"
  | "Pad"
  | "Resize"
  | "AveragePool"
  | "Equal"
  | "Greater"
  | "Where";

// ---------------------------------------------------------------------------
// Inference helpers

function expectArity(inputs: readonly Value[], n: number, where: string): void {
  if (inputs.length !== n) {
    throw new AutoencoderError(`Cannot build ${where}: expected ${n} inputs, got ${inputs.length}`);
  }
}

function expectFloat(v: Value, where: string): void {
  if (v.dtype !== "float32") {
    throw new AutoencoderError(`Cannot build ${where}: expected a float32 input, got ${v.dtype}`);
  }
}

function knownOf(v: Value, where: string): readonly Dim[] {
  if (!v.known) {
    throw new AutoencoderError(
      `Cannot build ${where}: the shape input must be known when the graph is built`,
    );
  }
  return v.known;
}

function intAttr(attrs: Attrs, name: string, fallback: number): number {
  return (attrs[name] as number | undefined) ?? fallback;
}

function intsAttr(attrs: Attrs, name: string): readonly number[] | undefined {
  return attrs[name] as readonly number[] | undefined;
}

function same(dtype: DType, shape: Shape): TensorType[] {
  return [{ dtype, shape }];
}

// ---------------------------------------------------------------------------
// Record factories for the two common kinds of op

function unary(f: (x: number) => number, vjp: OpDef["vjp"]): OpDef {
  return {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 1, where);
      expectFloat(inputs[0], where);
      return same("float32", inputs[0].shape);
    },
    ref: ([x]) => [map(x, f)],
    vjp,
  };
}

function binary(
  f: (x: number, y: number) => number,
  vjp: OpDef["vjp"],
  result?: DType,
): OpDef {
  return {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 2, where);
      if (inputs[0].dtype !== inputs[1].dtype) {
        throw new AutoencoderError(
          `Cannot build ${where}: input types ${inputs[0].dtype} and ${inputs[1].dtype} differ`,
        );
      }
      const shape = broadcastShapes(inputs[0].shape, inputs[1].shape, where);
      return same(result ?? inputs[0].dtype, shape);
    },
    ref: ([a, b]) => [zipWith(a, b, f)],
    vjp,
  };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** ONNX reductions (`noop_with_empty_axes` = 0): no axes, or none listed, means every axis. */
function allIfEmpty(axes: readonly number[] | undefined, rank: number): readonly number[] {
  return axes?.length ? axes : [...Array(rank).keys()];
}

/** Reduction record (ReduceSum takes axes as an input, the others as an attribute in opset 17). */
function reduction(
  axesFrom: "input" | "attr",
  init: number,
  f: (acc: number, x: number) => number,
  finish: (sum: Tensor64, count: number) => Tensor64,
  vjp: OpDef["vjp"],
): OpDef {
  const axesOf = (
    rank: number,
    attrs: Attrs,
    axesInput: readonly number[] | undefined,
    where: string,
  ) => normalizeAxes(allIfEmpty(axesInput ?? intsAttr(attrs, "axes"), rank), rank, where);
  return {
    attrs: axesFrom === "attr" ? { axes: "ints", keepdims: "int" } : { keepdims: "int" },
    infer(inputs, attrs, where) {
      expectArity(inputs, axesFrom === "input" ? 2 : 1, where);
      const [x, axesValue] = inputs;
      const known = axesValue ? knownOf(axesValue, where) as number[] : undefined;
      const axes = axesOf(x.shape.length, attrs, known, where);
      const keep = intAttr(attrs, "keepdims", 1) === 1;
      const shape = keep
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      return same(x.dtype, shape);
    },
    ref([x, axesT], attrs) {
      const axes = axesOf(x.shape.length, attrs, axesT ? [...axesT.data] : undefined, "reference");
      const count = axes.reduce((p, a) => p * x.shape[a], 1);
      return [finish(reduce(x, axes, intAttr(attrs, "keepdims", 1) === 1, init, f), count)];
    },
    vjp,
  };
}

/** Gradient of a reduction: broadcast the output gradient back over the reduced axes. */
function spreadBack(b: Builder, x: Value, g: Value, axes: number[], keep: boolean) {
  return b.expandLike(keep ? g : b.unsqueeze(g, axes), x);
}

function reducedAxes(x: Value, node: { inputs: readonly Value[]; attrs: Attrs }): number[] {
  const fromInput = node.inputs[1]?.known as number[] | undefined;
  const axes = allIfEmpty(fromInput ?? intsAttr(node.attrs, "axes"), x.shape.length);
  return normalizeAxes(axes, x.shape.length, "gradient");
}

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

/** The static box a Slice node cuts, per input axis: `[start, end)`. */
function sliceBox(x: Shape, inputs: readonly Value[], where: string) {
  const [starts, ends, axes] = inputs.slice(1).map((v) => knownOf(v, where) as number[]);
  const box = x.map((d) => ({ start: 0, end: d }));
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + x.length : a0;
    const d = x[a];
    if (typeof d !== "number") {
      throw new AutoencoderError(
        `Cannot build ${where}: axis ${a} of ${showShape(x)} is not static`,
      );
    }
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    box[a] = { start: clamp(starts[i]), end: Math.max(clamp(starts[i]), clamp(ends[i])) };
  });
  return box;
}

// ---------------------------------------------------------------------------
// The records

/** All operator records, by ONNX type. */
export const registry: Readonly<Record<OpType, OpDef>> = {
  Add: binary((x, y) => x + y, (b, { inputs: [x, y] }, [g]) => [
    b.unbroadcast(g!, x.shape),
    b.unbroadcast(g!, y.shape),
  ]),
  Sub: binary((x, y) => x - y, (b, { inputs: [x, y] }, [g]) => [
    b.unbroadcast(g!, x.shape),
    b.unbroadcast(b.neg(g!), y.shape),
  ]),
  Mul: binary((x, y) => x * y, (b, { inputs: [x, y] }, [g]) => [
    b.unbroadcast(b.mul(g!, y), x.shape),
    b.unbroadcast(b.mul(g!, x), y.shape),
  ]),
  Div: binary((x, y) => x / y, (b, { inputs: [x, y], outputs: [q] }, [g]) => [
    b.unbroadcast(b.div(g!, y), x.shape),
    b.unbroadcast(b.neg(b.div(b.mul(g!, q), y)), y.shape),
  ]),
  // d(x^y)/dx = y x^(y-1); d(x^y)/dy = x^y log x (defined for x > 0).
  Pow: binary((x, y) => x ** y, (b, { inputs: [x, y], outputs: [p] }, [g]) => [
    b.unbroadcast(b.mul(g!, b.mul(y, b.pow(x, b.sub(y, b.scalar(1))))), x.shape),
    b.unbroadcast(b.mul(g!, b.mul(p, b.op1("Log", [x]))), y.shape),
  ]),
  Neg: unary((x) => -x, (b, _n, [g]) => [b.neg(g!)]),
  // relu'(x) = [y > 0]. (On every provider the mask is lowered to Ceil(Clip(y, 0, 1)):
  // src/lower/relu_mask.ts.)
  Relu: unary((x) => Math.max(x, 0), (b, { outputs: [y] }, [g]) => [
    b.mul(g!, b.indicator(b.greater(y, b.scalar(0)))),
  ]),
  Sigmoid: unary(sigmoid, (b, { outputs: [y] }, [g]) => [
    b.mul(g!, b.mul(y, b.sub(b.scalar(1), y))),
  ]),
  // |x|' = sign(x). (WebGPU has no Sign: src/lower/abs_gradient.ts.)
  Abs: unary(Math.abs, (b, { inputs: [x] }, [g]) => [b.mul(g!, b.sign(x))]),
  Sign: unary(Math.sign, "zero"),
  Ceil: unary(Math.ceil, "zero"),
  // clip(x, lo, hi) with scalar bounds (emitted by the ReLU-mask lowering).
  Clip: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 3, where);
      inputs.forEach((v) => expectFloat(v, where));
      if (inputs[1].shape.length || inputs[2].shape.length) {
        throw new AutoencoderError(`Cannot build ${where}: the bounds of Clip must be scalars`);
      }
      return same("float32", inputs[0].shape);
    },
    ref: ([x, lo, hi]) => [map(x, (v) => Math.min(Math.max(v, lo.data[0]), hi.data[0]))],
    vjp: "none",
  },
  Sqrt: unary(Math.sqrt, (b, { outputs: [y] }, [g]) => [b.div(g!, b.mul(b.scalar(2), y))]),
  Log: unary(Math.log, (b, { inputs: [x] }, [g]) => [b.div(g!, x)]),
  Identity: unary((x) => x, (_b, _n, [g]) => [g]),

  // 2-D, or batched 3-D with the same batch: [B, m, k] @ [B, k, n].
  MatMul: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 2, where);
      const [a, w] = inputs;
      expectFloat(a, where);
      expectFloat(w, where);
      const r = a.shape.length;
      if (
        (r !== 2 && r !== 3) || w.shape.length !== r || a.shape[r - 1] !== w.shape[r - 2] ||
        (r === 3 && a.shape[0] !== w.shape[0])
      ) {
        throw new AutoencoderError(
          `Cannot build ${where}: shapes ${showShape(a.shape)} and ${showShape(w.shape)} ` +
            "do not multiply (2-D, or 3-D with one batch; inner dimensions equal)",
        );
      }
      return same("float32", [...a.shape.slice(0, -1), w.shape[r - 1]]);
    },
    ref([a, w]) {
      if (a.shape.length === 2) return [matmul(a, w)];
      const [batch, m, k] = a.shape, n = w.shape[2];
      const out = tensor([batch, m, n]);
      for (let i = 0; i < batch; i++) {
        const part = matmul(
          tensor([m, k], a.data.slice(i * m * k, (i + 1) * m * k)),
          tensor([k, n], w.data.slice(i * k * n, (i + 1) * k * n)),
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
      return [b.matmul(g!, t(w)), b.matmul(t(a), g!)];
    },
  },

  // Y = alpha * op(A) @ op(B) + beta * C, op transposing when transA / transB is 1.
  Gemm: {
    attrs: { transA: "int", transB: "int", alpha: "float", beta: "float" },
    infer(inputs, attrs, where) {
      if (inputs.length < 2 || inputs.length > 3) expectArity(inputs, 2, where);
      inputs.forEach((v) => expectFloat(v, where));
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

  Transpose: {
    attrs: { perm: "ints" },
    infer(inputs, attrs, where) {
      expectArity(inputs, 1, where);
      const x = inputs[0];
      const perm = intsAttr(attrs, "perm") ?? [...x.shape.keys()].reverse();
      if ([...perm].sort().join() !== [...x.shape.keys()].join()) {
        throw new AutoencoderError(
          `Cannot build ${where}: [${perm}] is not a permutation of the axes of ${
            showShape(x.shape)
          }`,
        );
      }
      return same(x.dtype, perm.map((p) => x.shape[p]));
    },
    ref: ([x], attrs) => [transpose(x, intsAttr(attrs, "perm") ?? [...x.shape.keys()].reverse())],
    vjp(b, { inputs: [x], attrs }, [g]) {
      const perm = intsAttr(attrs, "perm") ?? [...x.shape.keys()].reverse();
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [b.transpose(g!, inverse)];
    },
  },

  ReduceSum: reduction("input", 0, (a, x) => a + x, (t) => t, (b, node, [g]) => {
    const x = node.inputs[0];
    const keep = intAttr(node.attrs, "keepdims", 1) === 1;
    return [spreadBack(b, x, g!, reducedAxes(x, node), keep), undefined];
  }),
  ReduceMean: reduction(
    "attr",
    0,
    (a, x) => a + x,
    (t, n) => map(t, (v) => v / n),
    (b, node, [g]) => {
      const x = node.inputs[0];
      const axes = reducedAxes(x, node);
      const keep = intAttr(node.attrs, "keepdims", 1) === 1;
      return [b.div(spreadBack(b, x, g!, axes, keep), b.countOf(x, axes))];
    },
  ),

  Reshape: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 2, where);
      const [x, shape] = inputs;
      return same(x.dtype, resolveReshape(x.shape, knownOf(shape, where), where));
    },
    ref([x, s]) {
      const target = [...s.data].map((d, i) => (d === 0 ? x.shape[i] : d));
      const known = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
      return [tensor(target.map((d) => (d === -1 ? x.data.length / known : d)), x.data)];
    },
    vjp: (b, { inputs: [x] }, [g]) => [b.op1("Reshape", [g!, b.shapeOf(x)]), undefined],
  },

  Shape: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 1, where);
      return [{ dtype: "int64", shape: [inputs[0].shape.length], known: inputs[0].shape }];
    },
    ref: ([x]) => [tensor([x.shape.length], x.shape)],
    vjp: "zero",
  },

  Expand: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 2, where);
      const [x, shape] = inputs;
      return same(x.dtype, broadcastShapes(x.shape, knownOf(shape, where), where));
    },
    ref([x, s]) {
      const rank = Math.max(x.shape.length, s.data.length);
      const pad = (a: number[]) => [...new Array(rank - a.length).fill(1), ...a];
      const xs = pad(x.shape), ss = pad([...s.data]);
      return [expandTo(x, xs.map((d, i) => Math.max(d, ss[i])))];
    },
    vjp: (b, { inputs: [x] }, [g]) => [b.unbroadcast(g!, x.shape), undefined],
  },

  Unsqueeze: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 2, where);
      const [x, axesValue] = inputs;
      const rank = x.shape.length + knownOf(axesValue, where).length;
      const axes = normalizeAxes(knownOf(axesValue, where) as number[], rank, where);
      const rest = [...x.shape];
      return same(
        x.dtype,
        [...Array(rank).keys()].map((i) => axes.includes(i) ? 1 : rest.shift()!),
      );
    },
    ref([x, axesT]) {
      const rank = x.shape.length + axesT.data.length;
      const axes = normalizeAxes([...axesT.data], rank, "reference");
      const rest = [...x.shape];
      return [
        tensor([...Array(rank).keys()].map((i) => axes.includes(i) ? 1 : rest.shift()!), x.data),
      ];
    },
    vjp: (b, { inputs: [x] }, [g]) => [b.op1("Reshape", [g!, b.shapeOf(x)]), undefined],
  },

  // Used only to turn bool masks into float32 here.
  Cast: {
    attrs: { to: "int" },
    infer(inputs, attrs, where) {
      expectArity(inputs, 1, where);
      if (attrs.to !== 1) {
        throw new AutoencoderError(`Cannot build ${where}: only casts to float32`);
      }
      return same("float32", inputs[0].shape);
    },
    ref: ([x]) => [x],
    vjp: "none",
  },

  // Cross-correlation, group 1, stride 1: y = conv(x, w) + b; x [N,C,H,W], w [M,C,kh,kw].
  // Dilated kernels occur only in a lowered kernel gradient, which is not differentiated.
  Conv: {
    attrs: { kernel_shape: "ints", pads: "ints", strides: "ints", dilations: "ints" },
    infer(inputs, attrs, where) {
      if (inputs.length < 2 || inputs.length > 3) expectArity(inputs, 2, where);
      inputs.forEach((v) => expectFloat(v, where));
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

  Slice: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 4, where);
      const box = sliceBox(inputs[0].shape, inputs, where);
      return same(
        inputs[0].dtype,
        box.map(({ start, end }, i) => typeof end === "number" ? end - start : inputs[0].shape[i]),
      );
    },
    ref: ([x, starts, ends, axes]) => [
      slice(
        x,
        [...starts.data],
        [...ends.data],
        [...axes.data].map((a) => (a < 0 ? a + x.shape.length : a)),
      ),
    ],
    vjp(b, { inputs }, [g]) {
      const x = inputs[0];
      const box = sliceBox(x.shape, inputs, "gradient");
      const pads = [
        ...box.map(({ start }) => start),
        ...box.map(({ end }, i) => (typeof end === "number" ? (x.shape[i] as number) - end : 0)),
      ];
      return [b.op1("Pad", [g!, b.ints(pads)]), undefined, undefined, undefined];
    },
  },

  // Constant padding with zeros: pads = [begin_0..begin_r, end_0..end_r].
  Pad: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 2, where);
      const [x, padsValue] = inputs;
      const pads = knownOf(padsValue, where) as number[];
      const r = x.shape.length;
      if (pads.length !== 2 * r || pads.some((p) => p < 0)) {
        throw new AutoencoderError(`Cannot build ${where}: pads [${pads}] do not fit rank ${r}`);
      }
      return same(
        x.dtype,
        x.shape.map((d, i) => {
          if (pads[i] + pads[i + r] === 0) return d;
          if (typeof d !== "number") {
            throw new AutoencoderError(`Cannot build ${where}: cannot pad symbolic axis ${i}`);
          }
          return d + pads[i] + pads[i + r];
        }),
      );
    },
    ref: ([x, pads]) => [pad(x, [...pads.data], 0)],
    vjp(b, { inputs: [x, padsValue] }, [g]) {
      const pads = padsValue.known as number[], r = x.shape.length;
      const axes = [...Array(r).keys()].filter((i) => pads[i] + pads[i + r] > 0);
      const starts = axes.map((i) => pads[i]);
      const ends = axes.map((i) => pads[i] + (x.shape[i] as number));
      return [b.slice(g!, starts, ends, axes), undefined];
    },
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

  // Comparisons give bool masks (1 / 0 in the reference); they have no gradient.
  Equal: binary((x, y) => Number(x === y), "zero", "bool"),
  Greater: binary((x, y) => Number(x > y), "zero", "bool"),

  // y = condition ? a : b, with broadcasting.
  Where: {
    attrs: {},
    infer(inputs, _attrs, where) {
      expectArity(inputs, 3, where);
      const [c, a, b] = inputs;
      if (c.dtype !== "bool" || a.dtype !== b.dtype) {
        throw new AutoencoderError(
          `Cannot build ${where}: expected a bool condition and two values of one type`,
        );
      }
      const shape = broadcastShapes(broadcastShapes(c.shape, a.shape, where), b.shape, where);
      return same(a.dtype, shape);
    },
    ref([c, a, b]) {
      const shape = zipWith(zipWith(c, a, () => 0), b, () => 0).shape;
      const [cc, aa, bb] = [c, a, b].map((t) => expandTo(t, shape));
      return [tensor(shape, cc.data.map((ci, i) => (ci ? aa.data[i] : bb.data[i])))];
    },
    vjp(b, { inputs: [c, x, y] }, [g]) {
      const zero = b.scalar(0);
      return [
        undefined,
        b.unbroadcast(b.where(c, g!, zero), x.shape),
        b.unbroadcast(b.where(c, zero, g!), y.shape),
      ];
    },
  },
};
