/**
 * The operator registry: one record per ONNX operator (opset {@link OPSET}), its
 * type inference, float64 reference semantics and gradient rule side by side,
 * written by family in src/ops/elementwise.ts, src/ops/tensor_ops.ts and
 * src/ops/nn_ops.ts and assembled here. Each family's `Record` type and the
 * `Record<OpType, OpDef>` one make a missing or misspelt record a compile error,
 * and a check here makes an op in two families one too; losses, regularizers and
 * optimizers are composed from these and need no rules of their own. The rules
 * are the textbook ones; the forms a provider runs faster are named rewrites in
 * src/lower, applied when a graph is encoded.
 *
 * @module
 */

import { type ElementwiseOp, elementwiseOps } from "./elementwise.ts";
import { type NchwcOp, nchwcOps } from "./nchwc_ops.ts";
import { type NnOp, nnOps } from "./nn_ops.ts";
import { type TensorOp, tensorOps } from "./tensor_ops.ts";
import type { OpDef } from "./types.ts";

/** The ONNX opset every emitted model imports (ORT node, web wasm and WebGPU run it). */
export const OPSET = 17;

/**
 * Every operator the library emits: the elementwise, tensor and neural-network ones,
 * and ORT's NCHWc CPU operators (emitted only by a lowering rewrite).
 */
export type OpType = ElementwiseOp | TensorOp | NnOp | NchwcOp;

/** Compiles only when `T` is `never`. */
type Never<T extends never> = T;

/** No op in two families (each family's own type rejects a missing or unknown record). */
type _OneFamilyEach = Never<
  | (ElementwiseOp & TensorOp)
  | (ElementwiseOp & NnOp)
  | (TensorOp & NnOp)
  | (NchwcOp & (ElementwiseOp | TensorOp | NnOp))
>;

/** All operator records, by ONNX type. */
export const registry: Readonly<Record<OpType, OpDef>> = {
  ...elementwiseOps,
  ...tensorOps,
  ...nnOps,
  ...nchwcOps,
} satisfies Record<OpType, OpDef>;
