/**
 * Helpers the operator records share to check their inputs and read their
 * attributes while inferring output types (src/ops/elementwise.ts,
 * src/ops/tensor_ops.ts, src/ops/nn_ops.ts).
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import type { Attrs, Dim, DType, Shape, TensorType, Value } from "../ir/graph.ts";

/**
 * Throws unless the node has `n` inputs.
 *
 * @param inputs The node's inputs.
 * @param n How many it must have.
 * @param where Names the node in the error.
 */
export function expectArity(inputs: readonly Value[], n: number, where: string): void {
  if (inputs.length !== n) {
    throw new AutoencoderError(`Cannot build ${where}: expected ${n} inputs, got ${inputs.length}`);
  }
}

/**
 * Throws unless `v` is float32.
 *
 * @param v An input.
 * @param where Names the node in the error.
 */
export function expectFloat(v: Value, where: string): void {
  if (v.dtype !== "float32") {
    throw new AutoencoderError(`Cannot build ${where}: expected a float32 input, got ${v.dtype}`);
  }
}

/**
 * The contents of an input that must be known when the graph is built (a shape, axes, pads).
 *
 * @param v The input.
 * @param where Names the node in the error.
 * @returns Its known contents.
 */
export function knownOf(v: Value, where: string): readonly Dim[] {
  if (!v.known) {
    throw new AutoencoderError(
      `Cannot build ${where}: the shape input must be known when the graph is built`,
    );
  }
  return v.known;
}

/**
 * An integer attribute.
 *
 * @param attrs The node's attributes.
 * @param name The attribute.
 * @param fallback Its value when absent.
 * @returns The value.
 */
export function intAttr(attrs: Attrs, name: string, fallback: number): number {
  return (attrs[name] as number | undefined) ?? fallback;
}

/**
 * An integer-list attribute.
 *
 * @param attrs The node's attributes.
 * @param name The attribute.
 * @returns The value, or `undefined` when absent.
 */
export function intsAttr(attrs: Attrs, name: string): readonly number[] | undefined {
  return attrs[name] as readonly number[] | undefined;
}

/**
 * The one output type of a node.
 *
 * @param dtype Its element type.
 * @param shape Its shape.
 * @returns `[{ dtype, shape }]`.
 */
export function same(dtype: DType, shape: Shape): TensorType[] {
  return [{ dtype, shape }];
}
