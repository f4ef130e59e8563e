/**
 * The operator registry: one record per ONNX operator (opset {@link OPSET}), its
 * type inference, float64 reference semantics and gradient rule side by side,
 * written by family in src/ops/elementwise.ts, src/ops/tensor_ops.ts and
 * src/ops/nn_ops.ts and assembled here. The `Record<OpType, OpDef>` type makes a
 * missing or misspelt record a compile error, and so does a record in two
 * families; losses, regularizers and optimizers are composed from these and need
 * no rules of their own. The rules are the textbook ones; the forms a provider
 * runs faster are named rewrites in src/lower, applied when a graph is encoded.
 *
 * @module
 */

import { type ElementwiseOp, elementwiseOps } from "./elementwise.ts";
import { type NnOp, nnOps } from "./nn_ops.ts";
import { type TensorOp, tensorOps } from "./tensor_ops.ts";
import type { OpDef } from "./types.ts";

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

/** Compiles only when `T` is `never`. */
type Never<T extends never> = T;

/** Each op in exactly one family: no family names an op outside {@link OpType}, none two share. */
type _OneFamilyEach = Never<
  | Exclude<ElementwiseOp | TensorOp | NnOp, OpType>
  | (ElementwiseOp & TensorOp)
  | (ElementwiseOp & NnOp)
  | (TensorOp & NnOp)
>;

/** All operator records, by ONNX type. */
export const registry: Readonly<Record<OpType, OpDef>> = {
  ...elementwiseOps,
  ...tensorOps,
  ...nnOps,
} satisfies Record<OpType, OpDef>;
