/**
 * Losses, composed from primitive ops (they need no gradient rules of their own).
 *
 * @module
 */

import type { Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";

/**
 * Binary cross-entropy between `target` in [0, 1] and `sigmoid(logits)`, mean over
 * every element (pixels and batch) — the number Keras reports for
 * `loss='binary_crossentropy'`. Computed from logits as
 * `softplus(z) - target * z`, which equals `-(t log σ(z) + (1 - t) log(1 - σ(z)))`
 * without overflow or `log(0)`.
 *
 * @param b Builder.
 * @param logits `[N, ...]` pre-sigmoid outputs.
 * @param target Same shape, values in [0, 1].
 * @returns A scalar.
 *
 * @example
 * ```ts
 * import { Builder } from "../ops/builder.ts";
 * import { binaryCrossEntropyFromLogits } from "./losses.ts";
 * const b = new Builder();
 * const z = b.graph.input("z", "float32", ["N", 784]);
 * const t = b.graph.input("t", "float32", ["N", 784]);
 * console.assert(binaryCrossEntropyFromLogits(b, z, t).shape.length === 0);
 * ```
 */
export function binaryCrossEntropyFromLogits(b: Builder, logits: Value, target: Value): Value {
  const perElement = b.sub(b.softplus(logits), b.mul(target, logits));
  return b.reduceMean(perElement, [...logits.shape.keys()], false);
}
