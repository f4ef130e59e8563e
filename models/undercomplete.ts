/**
 * The blog's first model: a single fully connected layer on each side.
 *
 * @module
 */

import { Autoencoder, type ModelOptions } from "../src/autoencoder.ts";
import { Dense } from "../src/nn/layers.ts";

/** Options of {@link UndercompleteAutoencoder}. */
export interface UndercompleteOptions extends ModelOptions {
  /** Code size (default 32, a compression factor of 24.5 on MNIST). */
  codeSize?: number;
  /** Features per sample (default 784, flattened 28×28 images). */
  inputSize?: number;
}

/**
 * `784 → Dense(32, relu) → Dense(784, sigmoid)`, trained with per-pixel binary
 * cross-entropy — the "simplest possible autoencoder" of the Keras blog.
 *
 * @example
 * ```ts
 * import { loadMnistSubset, UndercompleteAutoencoder } from "@autoencoders/onnx";
 * const { train, test } = await loadMnistSubset(); // loadMnist(): all 60000 digits
 * const model = new UndercompleteAutoencoder({ seed: 1 });
 * const history = await model.fit(train, { epochs: 2, batchSize: 256, validationData: test });
 * const reconstructions = await model.predict(test); // the blog: 50 epochs, val ≈ 0.092
 * console.assert(reconstructions.length === 1000 * 784 && history.valLoss[1] < history.valLoss[0]);
 * ```
 */
export class UndercompleteAutoencoder extends Autoencoder {
  /**
   * Creates the model with fresh Glorot-uniform weights.
   *
   * @param options Code size, seed, runtime, provider, threads.
   */
  constructor(options: UndercompleteOptions = {}) {
    const { codeSize = 32, inputSize = 784 } = options;
    super({
      name: "undercomplete",
      inputShape: [inputSize],
      encoder: [new Dense(codeSize, "relu")],
      decoder: [new Dense(inputSize, "sigmoid")],
    }, options);
  }
}
