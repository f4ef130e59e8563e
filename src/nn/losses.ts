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
 * `softplus(z) - t z`, which equals `-(t log σ(z) + (1 - t) log(1 - σ(z)))`
 * without overflow or `log(0)`; `softplus(z)` is written `relu(z) - log σ(|z|)`
 * (ORT's own Softplus kernel is scalar code, several times slower on CPU). The
 * gradient is given whole, `(σ(z) - t) / count`, three passes instead of the
 * dozen that differentiating the parts would emit.
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
  const axes = [...logits.shape.keys()];
  const [loss] = b.custom([logits, target], (z, t) => {
    const softplus = b.sub(b.relu(z), b.op1("Log", [b.sigmoid(b.abs(z))]));
    return [b.reduceMean(b.sub(softplus, b.mul(t, z)), axes, false)];
  }, (b, { inputs: [z, t] }, [g]) => {
    const scale = b.div(g!, b.countOf(z, axes));
    const dz = b.mul(b.sub(b.sigmoid(z), t), scale);
    return [dz, b.mul(b.neg(z), scale)];
  });
  return loss;
}
