/**
 * The blog's third model: stacked fully connected layers.
 *
 * @module
 */

import { Autoencoder, type ModelOptions } from "../src/autoencoder.ts";
import { Dense } from "../src/nn/layers.ts";

/** Options of {@link DeepAutoencoder}. */
export interface DeepOptions extends ModelOptions {
  /** Features per sample (default 784, flattened 28×28 images; a table's width). */
  inputSize?: number;
  /** Code size (default 32; a table of a few columns wants fewer). */
  codeSize?: number;
  /**
   * The output layer's activation: `"sigmoid"` (default; data in [0, 1]) or `"linear"`
   * (standardized data; train it with loss `"mse"`).
   */
  output?: "sigmoid" | "linear";
}

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
   * @param options Input and code size, output activation, seed, runtime, provider, threads.
   */
  constructor(options: DeepOptions = {}) {
    const { inputSize = 784, codeSize = 32, output = "sigmoid" } = options;
    super({
      name: "deep",
      inputShape: [inputSize],
      encoder: [new Dense(128, "relu"), new Dense(64, "relu"), new Dense(codeSize, "relu")],
      decoder: [new Dense(64, "relu"), new Dense(128, "relu"), new Dense(inputSize, output)],
    }, options);
  }
}
