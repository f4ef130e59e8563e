/**
 * Max pooling of a ReLU as the ReLU of the max pooling: `maxpool(relu(z)) =
 * relu(maxpool(z))` (ReLU is monotone), so the ReLU and its gradient's mask touch a
 * quarter of the values, on any provider (bench/NOTES.md, "A ReLU Conv followed by
 * MaxPool"). Gradients agree too: where a window's maximum is not positive both
 * orders give zero.
 *
 * Applied while the forward pass is emitted (`emitForward`), before
 * differentiation: afterwards the gradient would still read the full-size ReLU.
 *
 * @module
 */

import { type Lowering, producer } from "./rewrite.ts";

/** `MaxPool(Relu(z))` to `Relu(MaxPool(z))`. */
export const poolBeforeRelu: Lowering = {
  name: "pool-before-relu",
  providers: ["cpu", "wasm", "webgpu", "cuda"],
  op: "MaxPool",
  apply(b, [h], attrs) {
    const relu = producer(h, "Relu");
    return relu && [b.relu(b.op1("MaxPool", relu.inputs, attrs))];
  },
};
