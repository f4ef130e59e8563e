/**
 * The blog's second model: the undercomplete autoencoder with a sparsity
 * constraint on its code.
 *
 * @module
 */

import { Autoencoder, type ModelOptions } from "../src/autoencoder.ts";
import { Dense } from "../src/nn/layers.ts";
import { activityL1, lossOf } from "../src/nn/losses.ts";

/** Options of {@link SparseAutoencoder}. */
export interface SparseOptions extends ModelOptions {
  /** Code size (default 32). */
  codeSize?: number;
  /** Weight of the L1 activity penalty on the code (default 1e-4, the blog's). */
  l1?: number;
}

/**
 * `784 → Dense(32, relu) with an L1 activity penalty → Dense(784, sigmoid)`:
 * training minimises the per-pixel binary cross-entropy plus
 * `l1 * sum_over_units(mean_over_batch(|code|))` (Keras 1's `activity_regularizer`),
 * which drives most code units to zero for any one digit. The penalty is part of
 * the training loss only; validation loss is the cross-entropy alone, as in Keras.
 *
 * @example
 * ```ts
 * import { loadMnistSubset, SparseAutoencoder } from "@autoencoders/onnx";
 * const { train, test } = await loadMnistSubset(); // loadMnist(): all 60000 digits
 * const model = new SparseAutoencoder(); // the blog: 100 epochs on all of MNIST
 * const history = await model.fit(train, { epochs: 2, validationData: test });
 * console.assert(history.penalty[1] > 0 && (await model.meanCodeActivation(test)) > 0);
 * ```
 */
export class SparseAutoencoder extends Autoencoder {
  /**
   * Creates the model with fresh Glorot-uniform weights.
   *
   * @param options Code size, penalty weight, seed, runtime, provider, threads.
   */
  constructor(options: SparseOptions = {}) {
    const { codeSize = 32, l1 = 1e-4 } = options;
    super({
      name: "sparse",
      inputShape: [784],
      encoder: [new Dense(codeSize, "relu")],
      decoder: [new Dense(784, "sigmoid")],
      loss: [...lossOf(options.loss), activityL1(l1)],
    }, options);
  }
}
