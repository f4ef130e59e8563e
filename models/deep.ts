/**
 * The blog's third model: stacked fully connected layers.
 *
 * @module
 */

import { Autoencoder, type ModelOptions } from "../src/autoencoder.ts";
import { Dense } from "../src/nn/layers.ts";

/**
 * `784 → 128 → 64 → 32 → 64 → 128 → 784`, relu everywhere but the sigmoid output.
 *
 * @example
 * ```ts
 * import { DeepAutoencoder, loadMnistSubset } from "@autoencoders/onnx";
 * const { train, test } = await loadMnistSubset(); // loadMnist(): all 60000 digits
 * const model = new DeepAutoencoder();
 * // The blog: 100 epochs on all of MNIST, val ≈ 0.082.
 * const history = await model.fit(train, { epochs: 2, batchSize: 256, validationData: test });
 * console.assert(history.valLoss[1] < history.valLoss[0]);
 * ```
 */
export class DeepAutoencoder extends Autoencoder {
  /**
   * Creates the model with fresh Glorot-uniform weights.
   *
   * @param options Seed, runtime, provider, threads.
   */
  constructor(options: ModelOptions = {}) {
    super({
      name: "deep",
      inputShape: [784],
      encoder: [new Dense(128, "relu"), new Dense(64, "relu"), new Dense(32, "relu")],
      decoder: [new Dense(64, "relu"), new Dense(128, "relu"), new Dense(784, "sigmoid")],
    }, options);
  }
}
