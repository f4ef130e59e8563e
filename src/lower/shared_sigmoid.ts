/**
 * One `Sigmoid` per value on onnxruntime-web's wasm, whose `Sigmoid` is scalar code
 * (0.32 ms on 256 × 784 values, ten times a `Sub`; bench/NOTES.md, part 14). The
 * binary cross-entropy's forward pass reads `σ(|z|)` and its gradient `σ(z)`: the
 * first is rewritten `½ + |σ(z) − ½|` (equal for every z: σ(−z) = 1 − σ(z)), and
 * every `Sigmoid` of one value is emitted once, so the two share one pass.
 *
 * @module
 */

import type { Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";
import { type Lowering, producer } from "./rewrite.ts";

/** `Sigmoid(Abs(z))` to `½ + |σ(z) − ½|`, and `Sigmoid(z)` emitted once per `z`. */
export const sharedSigmoid: Lowering = {
  name: "shared-sigmoid",
  // On the CPU, whose Sigmoid is vectorized, the three passes cost what the Sigmoid
  // saves (the undercomplete step 0.99–1.01× in part 14): left as it was measured.
  providers: ["wasm"],
  op: "Sigmoid",
  apply(b, [x]) {
    const abs = producer(x, "Abs");
    if (!abs) return [sigmoidOf(b, x)];
    const half = b.scalar(0.5);
    return [b.add(b.abs(b.sub(sigmoidOf(b, abs.inputs[0]), half)), half)];
  },
};

/** The graph's one `Sigmoid` of `z`. */
function sigmoidOf(b: Builder, z: Value): Value {
  return b.shared(`sigmoid:${z.id}`, () => b.sigmoid(z));
}
