/**
 * The elementwise operator records: arithmetic with broadcasting, activations,
 * comparisons, `Cast` of masks and `Where`; each record's type inference,
 * float64 reference semantics and gradient rule side by side (assembled in
 * src/ops/registry.ts).
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import type { DType } from "../ir/graph.ts";
import { broadcastShapes } from "../ir/shapes.ts";
import { expectArity, expectFloat, same } from "./infer.ts";
import { expandTo, map, tensor, zipWith } from "./tensor64.ts";
import type { OpDef } from "./types.ts";

/** The elementwise operators. */
export type ElementwiseOp =
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
  | "Exp"
  | "Identity"
  | "Cast"
  | "Equal"
  | "Greater"
  | "Where";

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

/** The elementwise records, by ONNX type. */
export const elementwiseOps: Readonly<Record<ElementwiseOp, OpDef>> = {
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
  Exp: unary(Math.exp, (b, { outputs: [y] }, [g]) => [b.mul(g!, y)]),
  Identity: unary((x) => x, (_b, _n, [g]) => [g]),

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
