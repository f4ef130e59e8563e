/**
 * The records of the operators that move, reshape, reduce, cut and pad tensors:
 * `Transpose`, `ReduceSum`, `ReduceMean`, `ReduceProd`, `Reshape`, `Shape`, `Expand`,
 * `Unsqueeze`, `Slice`, `Pad`, `DepthToSpace` and `SpaceToDepth`; each record's type
 * inference, float64 reference semantics and gradient rule side by side (assembled
 * in src/ops/registry.ts).
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { type Attrs, type Shape, showShape, type Value } from "../ir/graph.ts";
import { broadcastShapes, normalizeAxes, resolveReshape } from "../ir/shapes.ts";
import { expectArity, intAttr, intsAttr, knownOf, same } from "./infer.ts";
import { expandTo, map, pad, reduce, slice, tensor, transpose } from "./tensor64.ts";
import type { Builder } from "./builder.ts";
import type { OpDef, Tensor64 } from "./types.ts";

/** The operators on the layout, size and contents of tensors. */
export type TensorOp =
  | "Transpose"
  | "ReduceSum"
  | "ReduceMean"
  | "ReduceProd"
  | "Reshape"
  | "Shape"
  | "Expand"
  | "Unsqueeze"
  | "Slice"
  | "Pad"
  | "DepthToSpace"
  | "SpaceToDepth";

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

/**
 * `DepthToSpace` (DCR) as a transpose: `[N, b·b·C, H, W]` read as `[N, b, b, C, H, W]`
 * and laid out `[N, C, H, b, W, b]`; `SpaceToDepth` is its inverse.
 */
const DEPTH_TO_SPACE = [0, 3, 4, 1, 5, 2];

/** The record of `DepthToSpace` (DCR) or `SpaceToDepth` with a static block size. */
function blocks(toSpace: boolean): OpDef {
  const perm = toSpace ? DEPTH_TO_SPACE : DEPTH_TO_SPACE.map((_, i) => DEPTH_TO_SPACE.indexOf(i));
  const outShape = ([n, c, h, w]: readonly (number | string)[], k: number) =>
    toSpace
      ? [n, (c as number) / (k * k), (h as number) * k, (w as number) * k]
      : [n, (c as number) * k * k, (h as number) / k, (w as number) / k];
  return {
    attrs: toSpace ? { blocksize: "int", mode: "string" } : { blocksize: "int" },
    infer(inputs, attrs, where) {
      expectArity(inputs, 1, where);
      const [x] = inputs, k = intAttr(attrs, "blocksize", 0);
      const shape = outShape(x.shape, k);
      if (
        x.shape.length !== 4 || (toSpace && attrs.mode !== "DCR") ||
        !shape.slice(1).every((d) => Number.isInteger(d) && (d as number) > 0)
      ) {
        throw new AutoencoderError(
          `Cannot build ${where}: ${showShape(x.shape)} is not [N, C, H, W] in blocks of ${k}${
            toSpace ? " (DCR mode)" : ""
          }`,
        );
      }
      return same(x.dtype, shape);
    },
    ref([x], attrs) {
      const k = intAttr(attrs, "blocksize", 0), [n, c, h, w] = x.shape;
      const split = toSpace ? [n, k, k, c / (k * k), h, w] : [n, c, h / k, k, w / k, k];
      const moved = transpose(tensor(split, x.data), perm);
      return [tensor(outShape(x.shape, k) as number[], moved.data)];
    },
    vjp: (b, { attrs }, [g]) => [
      toSpace
        ? b.op1("SpaceToDepth", [g!], { blocksize: attrs.blocksize })
        : b.op1("DepthToSpace", [g!], { blocksize: attrs.blocksize, mode: "DCR" }),
    ],
  };
}

/** The records of the tensor operators, by ONNX type. */
export const tensorOps: Readonly<Record<TensorOp, OpDef>> = {
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
  // The product rule g·y/x, for nonzero x (the library uses it on values in [½, 1]).
  ReduceProd: reduction("attr", 1, (a, x) => a * x, (t) => t, (b, node, [g]) => {
    const x = node.inputs[0];
    const keep = intAttr(node.attrs, "keepdims", 1) === 1;
    const axes = reducedAxes(x, node);
    const y = node.outputs[0];
    return [b.div(spreadBack(b, x, b.mul(g!, y), axes, keep), x)];
  }),

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

  DepthToSpace: blocks(true),
  SpaceToDepth: blocks(false),
};
