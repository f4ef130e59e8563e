/**
 * The shape of one operator record: how to infer its output types, how it
 * evaluates in the float64 reference interpreter, and its vector-Jacobian product.
 *
 * @module
 */

import type { Attrs, TensorType, Value } from "../ir/graph.ts";
import type { Builder } from "./builder.ts";

/** A concrete float64 tensor of the reference interpreter (int64 data is stored as floats too). */
export interface Tensor64 {
  /** Static shape. */
  shape: number[];
  /** Elements, row-major. */
  data: Float64Array;
}

/** ONNX attribute encodings. */
export type AttrType = "int" | "ints" | "float" | "string";

/** A node as a gradient rule sees it. */
export interface NodeView {
  /** Input values. */
  inputs: readonly Value[];
  /** Output values. */
  outputs: readonly Value[];
  /** Attributes. */
  attrs: Attrs;
}

/**
 * A vector-Jacobian product: given the gradients of the outputs (`undefined` where
 * an output does not reach the loss), emits the gradients of the inputs
 * (`undefined` for inputs that are not differentiable, such as shapes).
 */
export type Vjp = (
  b: Builder,
  node: NodeView,
  gradOutputs: readonly (Value | undefined)[],
) => (Value | undefined)[];

/** One operator: forward type inference, reference semantics and gradient, side by side. */
export interface OpDef {
  /** Types of the attributes this op accepts (others are rejected). */
  attrs: Readonly<Record<string, AttrType>>;
  /** Infers and validates output types; throws an `AutoencoderError` naming `where`. */
  infer(inputs: readonly Value[], attrs: Attrs, where: string): TensorType[];
  /** Reference semantics in float64, for gradient checks without ORT. */
  ref(inputs: Tensor64[], attrs: Attrs): Tensor64[];
  /**
   * The gradient rule; `"zero"` when the derivative is zero wherever it exists
   * (Sign, integer shape arithmetic); `"none"` when the op must not be
   * differentiated through (autodiff then throws a clear error).
   */
  vjp: Vjp | "zero" | "none";
  /** The operator set domain of an op outside ONNX's own (a runtime's contrib ops). */
  domain?: string;
  /** The op's type in that domain, where it differs from the record's name. */
  onnxType?: string;
}

/**
 * A rewrite of one op's nodes (see src/lower): where `apply` finds its pattern
 * (the node and the nodes that produce its inputs), it emits a replacement with
 * the same values and returns its outputs; elsewhere it returns `undefined`.
 */
export interface Rewrite {
  /** Names the rewrite (in bench/NOTES.md and in tests). */
  readonly name: string;
  /** The op whose nodes it replaces. */
  readonly op: string;
  /**
   * Emits the replacement of `op(inputs, attrs)`, or declines.
   *
   * @param b The builder to emit into.
   * @param inputs The node's inputs.
   * @param attrs The node's attributes.
   * @returns The replacement's outputs, or `undefined` where the pattern does not match.
   */
  apply(b: Builder, inputs: readonly Value[], attrs: Attrs): Value[] | undefined;
}
