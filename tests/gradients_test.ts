/**
 * The two tiers of gradient tests (see DESIGN.md, "Examples to follow").
 *
 * Tier 1, without ONNX Runtime: for every op with a gradient rule, a small graph
 * `loss = <op(x...), c>` with a fixed random cotangent `c`, differentiated with
 * `grad` and evaluated in float64 by the reference interpreter, is held to a
 * directional central finite difference (JAX's `check_vjp`):
 * `<t, dloss/dx> = (loss(x + e t) - loss(x - e t)) / 2e` for a random direction `t`.
 *
 * Tier 2, through ONNX Runtime in float32: the same graphs, encoded as ONNX, give
 * gradients that agree with finite differences of the loss computed by ORT and
 * with the interpreter's float64 gradients; the same for a whole autoencoder
 * loss, the optimizer updates and the full train step.
 */

import assert from "node:assert/strict";
import { grad } from "../src/autodiff/grad.ts";
import { AutoencoderError } from "../src/errors.ts";
import { type Graph, type Shape, showShape, type Value } from "../src/ir/graph.ts";
import {
  type Architecture,
  emitForward,
  paramsAsInputs,
  paramSpecs,
} from "../src/nn/architecture.ts";
import { Conv2D, Dense, MaxPool2D, UpSampling2D } from "../src/nn/layers.ts";
import { binaryCrossEntropyFromLogits } from "../src/nn/losses.ts";
import { Random } from "../src/nn/random.ts";
import { decodeModel, encodeModel } from "../src/onnx/model.ts";
import {
  ENCODE_REWRITES,
  FORWARD_REWRITES,
  LAYOUT_REWRITES,
  rewriteGraph,
} from "../src/lower/lower.ts";
import { Builder } from "../src/ops/builder.ts";
import { evaluate } from "../src/ops/interpret.ts";
import { type OpType, registry } from "../src/ops/registry.ts";
import { tensor } from "../src/ops/tensor64.ts";
import type { Rewrite, Tensor64 } from "../src/ops/types.ts";
import { adam } from "../training/optimizers.ts";
import { buildEvalStep, buildTrainStep } from "../training/train_step.ts";
import { nextName, stateName } from "../training/state.ts";
import { assertAllClose, maxAbs, referenceUpdate, runOrt, withSession } from "./numeric.ts";

// ---------------------------------------------------------------------------
// Helpers

/** Sizes given to symbolic dimensions when a graph is fed. */
const SYMBOLS: Readonly<Record<string, number>> = { N: 3 };

function concrete(shape: Shape): number[] {
  return shape.map((d) => (typeof d === "number" ? d : SYMBOLS[d]));
}

/** How the values of an input are drawn: away from kinks and outside domains. */
type Gen = "any" | "wide" | "away" | "positive" | "unit";
const GENS: Readonly<Record<Gen, (r: Random) => number>> = {
  any: (r) => r.uniform(-1, 1),
  wide: (r) => r.uniform(-4, 4),
  away: (r) => (r.next() < 0.5 ? -1 : 1) * r.uniform(0.2, 1.2), // |x| > 0.1: Relu, Abs, Div
  positive: (r) => r.uniform(0.5, 2), // Log, Sqrt, Pow base
  unit: (r) => r.uniform(0, 1), // images
};

/** A graph input and how to draw its values. */
interface Spec {
  name: string;
  shape: Shape;
  gen: Gen;
}

function spec(name: string, shape: Shape, gen: Gen = "any"): Spec {
  return { name, shape, gen };
}

/** A graph with a scalar output `loss` and an output `grad.<name>` for each name in `wrt`. */
interface Problem {
  graph: Graph;
  inputs: Spec[];
  wrt: string[];
}

/** Declares `inputs` as graph inputs of a new builder. */
function declare(inputs: readonly Spec[]): { b: Builder; xs: Value[] } {
  const b = new Builder();
  return { b, xs: inputs.map((s) => b.graph.input(s.name, "float32", s.shape)) };
}

/** Outputs `loss` and the gradients of `loss` with respect to `wrt`. */
function outputLossAndGrads(b: Builder, loss: Value, wrt: ReadonlyMap<string, Value>): void {
  b.graph.output("loss", loss);
  const grads = grad(b, loss, [...wrt.values()]);
  for (const [name, v] of wrt) b.graph.output(`grad.${name}`, grads.get(v)!);
}

/** Values of float32 precision (so that ORT and the interpreter see the same numbers). */
function sample(r: Random, s: Spec): Tensor64 {
  const shape = concrete(s.shape);
  const size = shape.reduce((a, d) => a * d, 1);
  return tensor(shape, Array.from({ length: size }, () => Math.fround(GENS[s.gen](r))));
}

function sampleFeeds(r: Random, inputs: readonly Spec[]): Record<string, Tensor64> {
  return Object.fromEntries(inputs.map((s) => [s.name, sample(r, s)]));
}

/** `x + s * t`, rounded to float32 when asked. */
function axpy(x: Tensor64, s: number, t: Tensor64, f32 = false): Tensor64 {
  const data = x.data.map((v, i) => v + s * t.data[i]);
  return tensor(x.shape, f32 ? Float32Array.from(data) : data);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** `|actual - expected| <= rtol * max(|actual|, |expected|, floor)`. */
function assertClose(actual: number, expected: number, rtol: number, what: string, floor = 1e-3) {
  const err = Math.abs(actual - expected);
  const scale = Math.max(Math.abs(actual), Math.abs(expected), floor);
  const relative = (err / scale).toExponential(2);
  assert.ok(err <= rtol * scale, `${what}: ${actual} vs ${expected} (error ${relative} > ${rtol})`);
}

/** Runs an ORT session on float64 feeds; returns the float32 outputs. */
/** Tier 1: float64 interpreter, directional central difference per input. */
function checkVjp64(p: Problem, seed: number, eps = 1e-5, rtol = 1e-6): void {
  const r = new Random(seed);
  const feeds = sampleFeeds(r, p.inputs);
  const out = evaluate(p.graph, feeds);
  const lossAt = (f: Record<string, Tensor64>) => evaluate(p.graph, f).loss.data[0];
  for (const name of p.wrt) {
    const g = out[`grad.${name}`];
    assert.deepEqual(g.shape, feeds[name].shape, `shape of the gradient of ${name}`);
    assert.ok(maxAbs(g.data) > 0, `the gradient of ${name} is all zeros: a vacuous check`);
    const t = sample(r, spec("t", feeds[name].shape));
    const at = (s: number) => lossAt({ ...feeds, [name]: axpy(feeds[name], s, t) });
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    assertClose(dot(t.data, g.data), fd, rtol, `<t, dloss/d${name}> vs finite difference`);
  }
}

/**
 * Tier 2: gradients computed by ORT in float32 against finite differences of the
 * loss computed by ORT, and against the float64 interpreter. The difference
 * quotient uses the float32 inputs actually fed, `<x+ - x-, g>` vs `loss(x+) - loss(x-)`.
 */
async function checkVjp32(p: Problem, seed: number, eps = 1e-2, rtol = 1e-2): Promise<void> {
  const r = new Random(seed);
  const feeds = sampleFeeds(r, p.inputs);
  const expected = evaluate(p.graph, feeds);
  await withSession(p.graph, async (session) => {
    const out = await runOrt(session, feeds);
    assertClose(out.loss[0], expected.loss.data[0], 1e-5, "loss of ORT vs the interpreter");
    const lossAt = async (f: Record<string, Tensor64>) =>
      (await runOrt(session, f, ["loss"])).loss[0];
    for (const name of p.wrt) {
      const g = out[`grad.${name}`];
      assert.ok(maxAbs(g) > 0, `the gradient of ${name} is all zeros: a vacuous check`);
      assertAllClose(g, expected[`grad.${name}`].data, 1e-4, `ORT vs interpreter dloss/d${name}`);
      const t = sample(r, spec("t", feeds[name].shape));
      const plus = axpy(feeds[name], eps, t, true), minus = axpy(feeds[name], -eps, t, true);
      const change = (await lossAt({ ...feeds, [name]: plus })) -
        (await lossAt({ ...feeds, [name]: minus }));
      const step = plus.data.map((v, i) => v - minus.data[i]);
      assertClose(dot(step, g), change, rtol, `<dx, dloss/d${name}> vs loss change (ORT)`, 1e-6);
    }
  });
}

// ---------------------------------------------------------------------------
// The per-op cases

/** One op under test: `build` applies it to the inputs (in `inputs` order). */
interface OpCase {
  op: OpType;
  name: string;
  inputs: Spec[];
  build(b: Builder, xs: Value[]): Value;
  /** Finite-difference step in float32 (smaller for ops with kinks, such as MaxPool's argmax). */
  eps32?: number;
  /** The inputs to differentiate with respect to (default all). */
  wrt?: string[];
}

/**
 * `loss = sum(op(x...) * c)` with a random cotangent `c`, and its gradients; the op
 * emitted with `rewrites` (src/lower's forward rewrites) when given.
 */
function opProblem(c: OpCase, rewrites: readonly Rewrite[] = []): Problem {
  const { b, xs } = declare(c.inputs);
  const y = b.withRewrites(rewrites, () => c.build(b, xs));
  assert.ok(b.graph.nodes.some((n) => n.op === c.op), `case "${c.name}" emits no ${c.op}`);
  const cotangent = b.graph.input("cotangent", "float32", y.shape);
  const weighted = b.mul(y, cotangent);
  const loss = weighted.shape.length
    ? b.reduceSum(weighted, [...weighted.shape.keys()], false)
    : weighted;
  const wrt = c.wrt ?? c.inputs.map((s) => s.name);
  outputLossAndGrads(
    b,
    loss,
    new Map(c.inputs.map((s, i) => [s.name, xs[i]] as const).filter(([n]) => wrt.includes(n))),
  );
  return { graph: b.graph, inputs: [...c.inputs, spec("cotangent", y.shape)], wrt };
}

const BINARY: [OpType, Gen, Gen][] = [
  ["Add", "any", "any"],
  ["Sub", "any", "any"],
  ["Mul", "any", "any"],
  ["Div", "any", "away"],
  ["Pow", "positive", "any"],
];
const BROADCASTS: [Shape, Shape][] = [
  [[3, 4], [3, 4]],
  [[3, 4], [4]],
  [[3, 4], [3, 1]],
  [[3, 4], []],
  [[4], [3, 4]],
  [[1, 4], [3, 1]],
  [["N", 4], [4]],
  [[1], ["N", 1]],
];

const UNARY: [OpType, Gen][] = [
  ["Neg", "any"],
  ["Relu", "away"],
  ["Sigmoid", "wide"],
  ["Abs", "away"],
  ["Sqrt", "positive"],
  ["Log", "positive"],
  ["Exp", "any"],
  ["Identity", "any"],
];

/** Gemm: trans flags and the bias C with its broadcast shape (m = 3, k = 4, n = 2). */
interface GemmCase {
  transA: number;
  transB: number;
  c?: Shape;
  alpha?: number;
  beta?: number;
}
const GEMMS: GemmCase[] = [
  ...[[0, 0], [0, 1], [1, 0], [1, 1]].flatMap(([transA, transB]): GemmCase[] => [
    { transA, transB },
    { transA, transB, c: [2] },
    { transA, transB, c: [3, 1], alpha: 0.5, beta: 2 },
  ]),
  { transA: 0, transB: 0, c: [], alpha: -1.5, beta: 0.25 },
  { transA: 1, transB: 0, c: [1, 2] },
  { transA: 0, transB: 1, c: [3, 2], beta: -1 },
];

const REDUCTIONS: { shape: Shape; axes: number[]; keepdims: boolean }[] = [
  { shape: [2, 3, 4], axes: [1], keepdims: false },
  { shape: [2, 3, 4], axes: [0, 2], keepdims: true },
  { shape: [2, 3, 4], axes: [-1], keepdims: false },
  { shape: [2, 3, 4], axes: [0, 1, 2], keepdims: false },
  { shape: ["N", 3], axes: [0], keepdims: false }, // the count of a symbolic axis, counted in the graph
  { shape: ["N", 3], axes: [0, 1], keepdims: true },
  { shape: ["N", 3], axes: [1], keepdims: false },
  { shape: [2, 3], axes: [], keepdims: false }, // ONNX: no axes listed reduces them all
  { shape: ["N", 3], axes: [], keepdims: true },
];

const CASES: OpCase[] = [
  ...BINARY.flatMap(([op, genA, genB]) =>
    BROADCASTS.map(([sa, sb]): OpCase => ({
      op,
      name: `${op} ${showShape(sa)} ${showShape(sb)}`,
      inputs: [spec("a", sa, genA), spec("b", sb, genB)],
      build: (b, [x, y]) => b.op1(op, [x, y]),
    }))
  ),
  ...UNARY.flatMap(([op, gen]) =>
    [[3, 4], ["N", 2]].map((shape): OpCase => ({
      op,
      name: `${op} ${showShape(shape)}`,
      inputs: [spec("x", shape, gen)],
      build: (b, [x]) => b.op1(op, [x]),
    }))
  ),
  {
    op: "MatMul",
    name: "MatMul [3, 4] [4, 2]",
    inputs: [spec("a", [3, 4]), spec("w", [4, 2])],
    build: (b, [a, w]) => b.matmul(a, w),
  },
  {
    op: "MatMul",
    name: "MatMul [N, 4] [4, 2]",
    inputs: [spec("a", ["N", 4]), spec("w", [4, 2])],
    build: (b, [a, w]) => b.matmul(a, w),
  },
  {
    op: "MatMul",
    name: "MatMul batched [2, 3, 4] [2, 4, 5]",
    inputs: [spec("a", [2, 3, 4]), spec("w", [2, 4, 5])],
    build: (b, [a, w]) => b.matmul(a, w),
  },
  {
    op: "MatMul",
    name: "MatMul batch times one matrix [N, 3, 4] [4, 5]",
    inputs: [spec("a", ["N", 3, 4]), spec("w", [4, 5])],
    build: (b, [a, w]) => b.matmul(a, w),
  },
  ...GEMMS.map(({ transA, transB, c, alpha, beta }): OpCase => {
    const attrs = { transA, transB, ...(alpha === undefined ? {} : { alpha }) };
    return {
      op: "Gemm",
      name: `Gemm ${JSON.stringify({ ...attrs, beta })} C ${c ? showShape(c) : "none"}`,
      inputs: [
        spec("a", transA ? [4, 3] : [3, 4]),
        spec("w", transB ? [2, 4] : [4, 2]),
        ...(c ? [spec("c", c)] : []),
      ],
      build: (b, xs) => b.op1("Gemm", xs, beta === undefined ? attrs : { ...attrs, beta }),
    };
  }),
  {
    op: "Gemm",
    name: "Gemm [N, 4] [4, 2] C [2] (Dense)",
    inputs: [spec("x", ["N", 4]), spec("kernel", [4, 2]), spec("bias", [2])],
    build: (b, xs) => b.op1("Gemm", xs),
  },
  ...[[2, 0, 1], [1, 0, 2], undefined].map((perm): OpCase => ({
    op: "Transpose",
    name: `Transpose ${perm ? `[${perm}]` : "default perm"}`,
    inputs: [spec("x", [2, 3, 4])],
    build: (b, [x]) => b.op1("Transpose", [x], perm ? { perm } : {}),
  })),
  ...(["ReduceSum", "ReduceMean"] as const).flatMap((op) =>
    REDUCTIONS.map(({ shape, axes, keepdims }): OpCase => ({
      op,
      name: `${op} ${showShape(shape)} axes [${axes}] keepdims ${Number(keepdims)}`,
      inputs: [spec("x", shape)],
      build: (b, [x]) =>
        op === "ReduceSum" ? b.reduceSum(x, axes, keepdims) : b.reduceMean(x, axes, keepdims),
    }))
  ),
  ...REDUCTIONS.map(({ shape, axes, keepdims }): OpCase => ({
    op: "ReduceProd",
    name: `ReduceProd ${showShape(shape)} axes [${axes}] keepdims ${Number(keepdims)}`,
    inputs: [spec("x", shape, "positive")], // the rule g·y/x needs x ≠ 0
    build: (b, [x]) => b.op1("ReduceProd", [x], { axes, keepdims: Number(keepdims) }),
  })),
  ...([
    [[2, 3, 4], [6, 4]],
    [[2, 3, 4], [-1]],
    [[3, 4], [2, 2, 3]],
    [["N", 2, 3], [0, -1]],
  ] as [Shape, number[]][]).map(([shape, target]): OpCase => ({
    op: "Reshape",
    name: `Reshape ${showShape(shape)} to [${target}]`,
    inputs: [spec("x", shape)],
    build: (b, [x]) => b.reshape(x, target),
  })),
  ...([
    [[3, 1], [2, 3, 4]],
    [[4], [3, 4]],
    [[], [2, 3]],
  ] as [Shape, number[]][]).map(([shape, target]): OpCase => ({
    op: "Expand",
    name: `Expand ${showShape(shape)} to [${target}]`,
    inputs: [spec("x", shape)],
    build: (b, [x]) => b.op1("Expand", [x, b.ints(target)]),
  })),
  {
    op: "Expand",
    name: "Expand [1, 4] like [N, 4] (symbolic)",
    inputs: [spec("x", [1, 4]), spec("like", ["N", 4])],
    build: (b, [x, like]) => b.mul(b.expandLike(x, like), like),
  },
  ...([
    [[3, 4], [0]],
    [[3, 4], [1, 3]],
    [[3, 4], [-1]],
    [[], [0]],
  ] as [Shape, number[]][]).map(([shape, axes]): OpCase => ({
    op: "Unsqueeze",
    name: `Unsqueeze ${showShape(shape)} axes [${axes}]`,
    inputs: [spec("x", shape)],
    build: (b, [x]) => b.unsqueeze(x, axes),
  })),
  ...([
    { x: [2, 3, 5, 5], w: [4, 3, 3, 3], pads: [1, 1, 1, 1], bias: true }, // "same"
    { x: ["N", 2, 6, 5], w: [3, 2, 3, 3], pads: [0, 0, 0, 0], bias: true }, // "valid"
    { x: [1, 1, 4, 4], w: [2, 1, 3, 3], pads: [1, 1, 1, 1], bias: false },
    // Fewer filters than input channels: the kernel gradient takes the other orientation.
    { x: [2, 4, 5, 5], w: [2, 4, 3, 3], pads: [1, 1, 1, 1], bias: true },
    { x: ["N", 3, 6, 5], w: [1, 3, 3, 3], pads: [0, 0, 0, 0], bias: false },
    // Non-square kernels and uneven pads, in both orientations of the kernel gradient.
    { x: [2, 3, 5, 6], w: [4, 3, 2, 3], pads: [0, 1, 1, 1], bias: false },
    { x: ["N", 4, 6, 5], w: [2, 4, 3, 2], pads: [1, 0, 1, 1], bias: true },
    // One input channel or one filter: the kernel gradient shifts that side once per tap.
    { x: [2, 1, 5, 6], w: [3, 1, 2, 3], pads: [0, 1, 1, 1], bias: false },
    { x: ["N", 2, 5, 6], w: [1, 2, 3, 2], pads: [1, 0, 1, 1], bias: true },
    // A 1×1 kernel: the kernel gradient is one product over the pixels.
    { x: ["N", 3, 4, 5], w: [2, 3, 1, 1], pads: [0, 0, 0, 0], bias: true },
  ] as { x: Shape; w: number[]; pads: number[]; bias: boolean }[]).map(
    ({ x, w, pads, bias }): OpCase => ({
      op: "Conv",
      name: `Conv ${showShape(x)} kernel ${showShape(w)} pads [${pads}]${bias ? " bias" : ""}`,
      inputs: [spec("x", x), spec("w", w), ...(bias ? [spec("bias", [w[0]])] : [])],
      build: (b, xs) => b.op1("Conv", xs, { kernel_shape: w.slice(2), pads }),
    }),
  ),
  // A single-filter Conv of an upsampling with more channels than taps: emitted as the
  // upsampling of per-tap maps (upsampled-single-filter-conv).
  {
    op: "Conv",
    name: "Conv of Resize [N, 10, 2, 3] x2, kernel [1, 10, 3, 3] pads [1, 1, 1, 1] bias",
    inputs: [spec("x", ["N", 10, 2, 3]), spec("w", [1, 10, 3, 3]), spec("bias", [1])],
    build: (b, [x, w, bias]) =>
      b.op1("Conv", [b.upsampleNearest(x, 2), w, bias], {
        kernel_shape: [3, 3],
        pads: [1, 1, 1, 1],
      }),
  },
  {
    op: "DepthToSpace",
    name: "DepthToSpace [N, 8, 2, 3] blocks of 2",
    inputs: [spec("x", ["N", 8, 2, 3])],
    build: (b, [x]) => b.op1("DepthToSpace", [x], { blocksize: 2, mode: "DCR" }),
  },
  {
    op: "SpaceToDepth",
    name: "SpaceToDepth [N, 2, 4, 6] blocks of 2",
    inputs: [spec("x", ["N", 2, 4, 6])],
    build: (b, [x]) => b.op1("SpaceToDepth", [x], { blocksize: 2 }),
  },
  // A single-filter 3×3 Conv of a 2× upsampling: emitted as four 2×2 phases of the
  // small image (upsampled-conv), "same" (cropped) and "valid".
  ...([
    { x: ["N", 3, 3, 4], w: [1, 3, 3, 3], pads: [1, 1, 1, 1], bias: true },
    { x: [2, 2, 4, 3], w: [1, 2, 3, 3], pads: [0, 0, 0, 0], bias: true },
    { x: ["N", 4, 3, 3], w: [1, 4, 3, 3], pads: [1, 1, 1, 1], bias: false },
    // Several filters: left as it is (a plain Conv of the upsampling).
    { x: [2, 2, 3, 3], w: [2, 2, 3, 3], pads: [1, 1, 1, 1], bias: true },
  ] as { x: Shape; w: number[]; pads: number[]; bias: boolean }[]).map(
    ({ x, w, pads, bias }): OpCase => ({
      op: "Conv",
      name: `Conv of Resize ${showShape(x)} x2, kernel ${showShape(w)} pads [${pads}]${
        bias ? " bias" : ""
      }`,
      inputs: [spec("x", x), spec("w", w), ...(bias ? [spec("bias", [w[0]])] : [])],
      build: (b, [v, ...rest]) =>
        b.op1("Conv", [b.upsampleNearest(v, 2), ...rest], { kernel_shape: [3, 3], pads }),
    }),
  ),
  ...([
    { x: [2, 3, 4, 6], pads: [0, 0, 0, 0] },
    { x: ["N", 2, 7, 7], pads: [0, 0, 1, 1] }, // Keras "same": 7 -> 4
    { x: [1, 2, 5, 3], pads: [0, 0, 1, 1] },
  ] as { x: Shape; pads: number[] }[]).map(({ x, pads }): OpCase => ({
    op: "MaxPool",
    name: `MaxPool 2x2 ${showShape(x)} pads [${pads}]`,
    inputs: [spec("x", x)],
    build: (b, [v]) => b.op1("MaxPool", [v], { kernel_shape: [2, 2], strides: [2, 2], pads }),
    eps32: 1e-3,
  })),
  {
    op: "MaxPool",
    name: "MaxPool 2x2 of Relu [N, 2, 6, 6] (windows of negatives tie at 0)",
    inputs: [spec("x", ["N", 2, 6, 6])],
    build: (b, [v]) =>
      b.op1("MaxPool", [b.relu(v)], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }),
    eps32: 1e-3,
  },
  {
    op: "Resize",
    name: "nearest upsampling 2x [N, 2, 3, 4]",
    inputs: [spec("x", ["N", 2, 3, 4])],
    build: (b, [x]) => b.upsampleNearest(x, 2),
  },
  ...([
    [[3, 4], [3, 4], [3, 4]],
    [[3, 4], [4], []],
    [["N", 4], [], ["N", 1]],
  ] as Shape[][]).map(([sc, sa, sb]): OpCase => ({
    op: "Where",
    name: `Where ${showShape(sc)} ${showShape(sa)} ${showShape(sb)}`,
    inputs: [spec("c", sc), spec("a", sa), spec("b", sb)],
    // The condition comes from a comparison of the first input with 0.
    build: (b, [c, x, y]) => b.where(b.op1("Greater", [c, b.scalar(0)]), x, y),
    wrt: ["a", "b"],
  })),
  {
    op: "Slice",
    name: "Slice [N, 2, 8, 8] to [N, 2, 7, 6]",
    inputs: [spec("x", ["N", 2, 8, 8])],
    build: (b, [x]) => b.slice(x, [0, 1], [7, 7], [2, 3]),
  },
  {
    op: "Pad",
    name: "Pad [N, 2, 3, 3] by [0,0,1,0, 0,0,0,2]",
    inputs: [spec("x", ["N", 2, 3, 3])],
    build: (b, [x]) => b.op1("Pad", [x, b.ints([0, 0, 1, 0, 0, 0, 0, 2])]),
  },
];

// ---------------------------------------------------------------------------
// Composites: the loss (a custom VJP region) and the whole train-step loss path

const TINY: Architecture = {
  inputShape: [6],
  encoder: [new Dense(3, "relu")],
  decoder: [new Dense(6, "sigmoid")],
};

// The output layer has one filter (lowered to per-tap maps and their shifted sum when
// encoded); the ReLU convolution followed by pooling is emitted pooling first.
const TINY_CONV: Architecture = {
  inputShape: [1, 4, 6],
  encoder: [new Conv2D(2, 3, "relu", "same"), new MaxPool2D()],
  decoder: [new UpSampling2D(), new Conv2D(1, 3, "sigmoid", "same")],
};

/** The train step's forward pass and loss, with the gradients of every parameter and the input. */
function autoencoderProblem(arch: Architecture): Problem {
  const inputs = [spec("input", ["N", ...arch.inputShape], "unit")];
  const { b, xs: [x] } = declare(inputs);
  const { ctx, inputs: params } = paramsAsInputs(b);
  for (const s of paramSpecs(arch)) {
    ctx.param(s);
    // Positive biases keep the ReLUs alive (no dead units, no vacuous gradients).
    inputs.push(spec(s.name, s.shape, s.init.kind === "zeros" ? "unit" : "any"));
  }
  const { preActivation: logits } = emitForward(ctx, arch, "autoencoder", x);
  // The input is also the target: its gradient sums both uses.
  const wrt = new Map([["input", x], ...params]);
  outputLossAndGrads(b, binaryCrossEntropyFromLogits(b, logits, x), wrt);
  return { graph: b.graph, inputs, wrt: [...wrt.keys()] };
}

/**
 * Binary cross-entropy from logits alone, with respect to the logits and the target;
 * `width` values per sample (4: a log per value; 24 and 240: logs of products of runs
 * of 24 and 120 values).
 */
function bceProblem(width: number): Problem {
  const inputs = [spec("logits", ["N", width], "wide"), spec("target", ["N", width], "unit")];
  const { b, xs: [z, t] } = declare(inputs);
  outputLossAndGrads(
    b,
    binaryCrossEntropyFromLogits(b, z, t),
    new Map([["logits", z], ["target", t]]),
  );
  return { graph: b.graph, inputs, wrt: ["logits", "target"] };
}

/** Composite graphs checked in both tiers, with the step of their float32 difference quotient. */
const COMPOSITES: { name: string; problem: () => Problem; eps32: number }[] = [
  ...[4, 24, 240].map((width) => ({
    name: `binary cross-entropy from logits, ${width} per sample`,
    problem: () => bceProblem(width),
    eps32: 1e-2,
  })),
  { name: "dense autoencoder loss", problem: () => autoencoderProblem(TINY), eps32: 5e-3 },
  { name: "conv autoencoder loss", problem: () => autoencoderProblem(TINY_CONV), eps32: 5e-3 },
];

// ---------------------------------------------------------------------------
// Tier 1

Deno.test("tier 1: every op with a gradient rule has cases", () => {
  const covered = new Set(CASES.map((c) => c.op));
  const missing = Object.entries(registry)
    .filter(([op, def]) => typeof def.vjp === "function" && !covered.has(op as OpType))
    .map(([op]) => op);
  assert.deepEqual(missing, [], `ops with a gradient rule but no gradient test: ${missing}`);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, "case names are unique");
});

Deno.test("tier 1: vjp of each op matches finite differences (float64)", async (t) => {
  for (const [i, c] of CASES.entries()) {
    await t.step(c.name, () => checkVjp64(opProblem(c), 100 + i));
  }
});

Deno.test("tier 1: composite gradients match finite differences (float64)", async (t) => {
  for (const [i, c] of COMPOSITES.entries()) {
    await t.step(c.name, () => checkVjp64(c.problem(), 7 + i));
  }
});

Deno.test("a ReLU convolution before max pooling is emitted pooling first, with the same values", () => {
  const { b, xs: [x] } = declare([spec("x", ["N", ...TINY_CONV.inputShape])]);
  const { ctx, inputs: params } = paramsAsInputs(b);
  const { code } = emitForward(ctx, TINY_CONV, "encoder", x);
  b.graph.output("code", code!);
  // The nodes that are run (emitForward also offers the conv's own ReLU to loss terms).
  const order = decodeModel(encodeModel(b.graph)).ops.filter((op) =>
    op === "Relu" || op === "MaxPool"
  );
  assert.deepEqual(order, ["MaxPool", "Relu"]);
  // Keras' order, written out: conv with its ReLU, then the pooling.
  const [kernel, bias] = ["encoder.0.kernel", "encoder.0.bias"].map((n) => params.get(n)!);
  const conv = b.op1("Conv", [x, kernel, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const pooled = b.op1("MaxPool", [b.relu(conv)], {
    kernel_shape: [2, 2],
    strides: [2, 2],
    pads: [0, 0, 0, 0],
  });
  b.graph.output("keras", pooled);
  const feeds = sampleFeeds(new Random(5), [
    spec("x", [3, ...TINY_CONV.inputShape]),
    ...paramSpecs(TINY_CONV).map((p) => spec(p.name, p.shape)),
  ]);
  const out = evaluate(b.graph, feeds);
  assert.deepEqual(out.code.shape, out.keras.shape);
  assert.deepEqual([...out.code.data], [...out.keras.data]);
  assert.ok(out.code.data.some((v) => v === 0) && out.code.data.some((v) => v > 0));
});

Deno.test("tier 1: each lowering rewrite gives the plain rule's values (float64)", async (t) => {
  const opsOf = (g: Graph) => g.nodes.map((n) => n.op).join();
  for (const rewrite of [...FORWARD_REWRITES, ...ENCODE_REWRITES, ...LAYOUT_REWRITES]) {
    await t.step(rewrite.name, () => {
      const forward = FORWARD_REWRITES.includes(rewrite);
      const problems: [string, Problem, Graph][] = CASES.map((c) => {
        const plain = opProblem(c);
        return [c.name, plain, forward ? opProblem(c, [rewrite]).graph : plain.graph];
      });
      if (!forward) {
        for (const { name, problem } of COMPOSITES) {
          const plain = problem();
          problems.push([name, plain, plain.graph]);
        }
      }
      let applied = 0;
      for (const [i, [name, plain, built]] of problems.entries()) {
        const lowered = forward ? built : rewriteGraph(plain.graph, [rewrite]);
        if (opsOf(lowered) === opsOf(plain.graph)) continue;
        applied++;
        const feeds = sampleFeeds(new Random(300 + i), plain.inputs);
        const [want, got] = [plain.graph, lowered].map((g) => evaluate(g, feeds));
        for (const [output, value] of Object.entries(want)) {
          assertAllClose(
            got[output].data,
            value.data,
            1e-12,
            `${rewrite.name} on ${name}: ${output}`,
          );
        }
      }
      assert.ok(applied > 0, `no case has the pattern of ${rewrite.name}`);
    });
  }
});

Deno.test("tier 1: fan-out sums the gradients of each use (x*x + x)", () => {
  const { b, xs: [x] } = declare([spec("x", [5])]);
  const loss = b.reduceSum(b.add(b.mul(x, x), x), [0], false);
  outputLossAndGrads(b, loss, new Map([["x", x]]));
  const xv = sample(new Random(3), spec("x", [5]));
  const { "grad.x": g } = evaluate(b.graph, { x: xv });
  assert.deepEqual([...g.data], [...xv.data].map((v) => 2 * v + 1));
  checkVjp64({ graph: b.graph, inputs: [spec("x", [5])], wrt: ["x"] }, 3);
});

Deno.test("tier 1: a zero rule (Sign) and an unused input give zeros", () => {
  const inputs = [spec("x", [4], "away"), spec("unused", ["N", 2])];
  const { b, xs: [x, unused] } = declare(inputs);
  const loss = b.reduceSum(b.mul(b.sign(x), x), [0], false);
  outputLossAndGrads(b, loss, new Map([["x", x], ["unused", unused]]));
  const feeds = sampleFeeds(new Random(4), inputs);
  const out = evaluate(b.graph, feeds);
  assert.deepEqual([...out["grad.x"].data], [...feeds.x.data].map(Math.sign));
  assert.deepEqual(out["grad.unused"], tensor([SYMBOLS.N, 2]));
});

Deno.test('tier 1: an op whose rule is "none" cannot be differentiated', () => {
  const cases: [string, (b: Builder, x: Value) => Value, RegExp][] = [
    [
      "Cast",
      (b, x) => b.op1("Cast", [x], { to: 1 }),
      /^Cannot differentiate "Cast".*no gradient rule/,
    ],
    [
      "Clip",
      (b, x) => b.graph.withScope("encoder.0", () => b.op1("Clip", [x, b.scalar(0), b.scalar(1)])),
      /^Cannot differentiate "Clip" in "encoder\.0": no gradient rule is registered$/,
    ],
  ];
  for (const [op, apply, message] of cases) {
    const { b, xs: [x] } = declare([spec("x", [3])]);
    const loss = b.reduceSum(b.mul(apply(b, x), apply(b, x)), [0], false);
    assert.throws(() => grad(b, loss, [x]), (e: unknown) => {
      assert.ok(e instanceof AutoencoderError, `${op}: not an AutoencoderError: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

// ---------------------------------------------------------------------------
// Tier 2

Deno.test("tier 2: each op's emitted gradient through ORT (float32)", async (t) => {
  for (const [i, c] of CASES.entries()) {
    await t.step(c.name, () => checkVjp32(opProblem(c), 100 + i, c.eps32));
  }
});

Deno.test("tier 2: composite gradients through ORT (float32)", async (t) => {
  for (const [i, c] of COMPOSITES.entries()) {
    await t.step(c.name, () => checkVjp32(c.problem(), 7 + i, c.eps32));
  }
});

Deno.test("tier 2: one train step through ORT equals loss, gradient and adam reference", async () => {
  const opt = adam();
  const r = new Random(21);
  const specs = paramSpecs(TINY);
  const input = sample(r, spec("input", [4, ...TINY.inputShape], "unit"));
  const params = Object.fromEntries(specs.map((s) => [s.name, sample(r, spec(s.name, s.shape))]));
  const feeds: Record<string, Tensor64> = {
    input,
    ...params,
    step: tensor([], [1]),
    lr: tensor([], [opt.learningRate]),
  };
  for (const s of specs) {
    for (const slot of opt.slots) feeds[stateName(slot, s.name)] = tensor(s.shape);
  }
  const out = await withSession(buildTrainStep(TINY, opt).graph, (s) => runOrt(s, feeds));

  const evalLoss = evaluate(buildEvalStep(TINY).graph, { input, ...params }).loss.data[0];
  assertClose(out.loss[0], evalLoss, 1e-5, "train-step loss (ORT) vs eval loss (interpreter)");
  const grads = evaluate(autoencoderProblem(TINY).graph, { input, ...params });
  for (const s of specs) {
    const g = grads[`grad.${s.name}`];
    assert.ok(maxAbs(g.data) > 0, `the gradient of ${s.name} is all zeros: a vacuous check`);
    const state = opt.slots.map(() => tensor(s.shape));
    const expected = referenceUpdate(opt, [params[s.name], ...state], g, 1, opt.learningRate);
    [s.name, ...opt.slots.map((slot) => stateName(slot, s.name))].forEach((name, k) => {
      assertAllClose(out[nextName(name)], expected[k].data, 1e-5, nextName(name));
    });
  }
});
