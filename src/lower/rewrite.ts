/**
 * What a lowering rewrite is, and the helpers its patterns share.
 *
 * @module
 */

import type { Node, Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";
import type { Rewrite } from "../ops/types.ts";
import type { Provider } from "../runtime/types.ts";

export type { Provider, Rewrite };

/** A rewrite with the providers it is applied for. */
export interface Lowering extends Rewrite {
  /** The providers whose graphs it makes faster (or runnable). */
  readonly providers: readonly Provider[];
}

/**
 * The node that computes `v`, when it is a node of type `op`.
 *
 * @param v A value.
 * @param op An op type.
 * @returns The node, or `undefined`.
 */
export function producer(v: Value, op: string): Node | undefined {
  return v.source.kind === "node" && v.source.node.op === op ? v.source.node : undefined;
}

/**
 * Whether `v` is a scalar constant equal to `x`.
 *
 * @param v A value.
 * @param x The number.
 * @returns `true` when it is.
 */
export function isScalar(v: Value, x: number): boolean {
  return v.source.kind === "constant" && v.shape.length === 0 && v.source.data[0] === x;
}

/**
 * Whether `v` is fed or stored (a graph input or a constant), as layers' parameters are.
 *
 * @param v A value.
 * @returns `true` when no node computes it.
 */
export function isParameter(v: Value): boolean {
  return v.source.kind !== "node";
}

/**
 * The constant kernel that picks one tap per map: `k[t][i, j] = 1` where `(i, j)` is
 * tap `t` (row-major), or with `flip`, tap `t` mirrored in both axes. Reshaped to
 * `shape`: `[1, taps, kh, kw]` sums shifted maps, `[taps, 1, kh, kw]` makes them.
 *
 * @param b The builder.
 * @param kh Kernel height.
 * @param kw Kernel width.
 * @param shape `[1, kh·kw, kh, kw]` or `[kh·kw, 1, kh, kw]`.
 * @param flip Mirror the taps.
 * @returns The constant.
 */
export function oneHotTaps(
  b: Builder,
  kh: number,
  kw: number,
  shape: readonly number[],
  flip = false,
): Value {
  return b.shared(`taps:${kh}x${kw}:${shape}:${flip}`, () => {
    const taps = kh * kw, data = new Float32Array(taps * taps);
    for (let t = 0; t < taps; t++) data[t * taps + (flip ? taps - 1 - t : t)] = 1;
    return b.graph.constant(data, [...shape]);
  });
}
