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
 * ```ts ignore
 * import { DeepAutoencoder, loadMnist } from "@autoencoders/onnx";
 * const { train, test } = await loadMnist({ dir: "data/mnist" });
 * const model = new DeepAutoencoder();
 * await model.fit(train, { epochs: 100, batchSize: 256, validationData: test }); // val ≈ 0.082
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
