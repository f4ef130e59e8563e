/**
 * The blog's fourth model: a convolutional autoencoder.
 *
 * @module
 */

import { Autoencoder, type ModelOptions } from "../src/autoencoder.ts";
import { Conv2D, MaxPool2D, UpSampling2D } from "../src/nn/layers.ts";

/**
 * Input `[N, 1, 28, 28]` (flat 784-float images are fine);
 * encoder `Conv16 → MaxPool → Conv8 → MaxPool → Conv8 → MaxPool`, code `[N, 8, 4, 4]`;
 * decoder `Conv8 → Up → Conv8 → Up → Conv16 (valid) → Up → Conv1 (sigmoid)`. Every
 * convolution is 3×3, relu, `"same"` unless noted; pooling 2×2 with `"same"` padding
 * (28 → 14 → 7 → 4), upsampling nearest 2× (4 → 8 → 16, the valid conv → 14, → 28).
 *
 * @example
 * ```ts
 * import { ConvAutoencoder, loadMnistSubset } from "@autoencoders/onnx";
 * const { train, test } = await loadMnistSubset(); // loadMnist(): all 60000 digits
 * const model = new ConvAutoencoder();
 * // The blog: 50 epochs on all of MNIST, val ≈ 0.094.
 * await model.fit(train, { epochs: 1, batchSize: 128, validationData: test });
 * const codes = await model.encode(test);
 * console.assert(codes.length === 1000 * 8 * 4 * 4);
 * ```
 */
export class ConvAutoencoder extends Autoencoder {
  /**
   * Creates the model with fresh Glorot-uniform weights.
   *
   * @param options Seed, runtime, provider, threads.
   */
  constructor(options: ModelOptions = {}) {
    super({
      name: "conv",
      inputShape: [1, 28, 28],
      encoder: [
        new Conv2D(16, 3, "relu"),
        new MaxPool2D("same"),
        new Conv2D(8, 3, "relu"),
        new MaxPool2D("same"),
        new Conv2D(8, 3, "relu"),
        new MaxPool2D("same"),
      ],
      decoder: [
        new Conv2D(8, 3, "relu"),
        new UpSampling2D(2),
        new Conv2D(8, 3, "relu"),
        new UpSampling2D(2),
        new Conv2D(16, 3, "relu", "valid"),
        new UpSampling2D(2),
        new Conv2D(1, 3, "sigmoid"),
      ],
    }, options);
  }
}
