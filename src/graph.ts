/**
 * Graph building, for custom layers, losses and optimizers: the symbolic values a
 * layer's `apply`, a loss term's `emit` and an optimizer's `update` receive and
 * return, the builder that emits ONNX operators, and FLOP counts of a graph
 * (`countFlops`: its matrix products and convolutions, for benchmarks). The models,
 * layers, losses and optimizers themselves are exported from the main entry point.
 *
 * @example
 * ```ts
 * import { Builder } from "@autoencoders/onnx/graph";
 * const b = new Builder();
 * const x = b.graph.input("x", "float32", ["N", 4]);
 * const y = b.relu(b.mul(x, b.scalar(2)));
 * console.assert(y.shape.join() === "N,4");
 * ```
 *
 * @module
 */

export type {
  Attrs,
  AttrValue,
  Dim,
  DType,
  Graph,
  Node,
  Region,
  Shape,
  Source,
  TensorType,
  Value,
} from "./ir/graph.ts";
export { Builder } from "./ops/builder.ts";
export type { OpType } from "./ops/registry.ts";
export type { ElementwiseOp } from "./ops/elementwise.ts";
export type { TensorOp } from "./ops/tensor_ops.ts";
export type { NnOp } from "./ops/nn_ops.ts";
export type { NchwcOp } from "./ops/nchwc_ops.ts";
export type { NodeView, Rewrite, Vjp } from "./ops/types.ts";
export { grad } from "./autodiff/grad.ts";
export { countFlops, type DimSizes, nodeFlops } from "./ir/flops.ts";
