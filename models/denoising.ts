/**
 * The blog's fifth model: a convolutional autoencoder trained to remove noise.
 * It is configuration: the architecture, and inputs corrupted by Gaussian noise.
 *
 * @module
 */

import { Autoencoder, type ModelOptions } from "../src/autoencoder.ts";
import { Conv2D, MaxPool2D, UpSampling2D } from "../src/nn/layers.ts";
import { gaussianNoise, type NoiseMode } from "../training/inputs.ts";

/** Options of {@link DenoisingAutoencoder}. */
export interface DenoisingOptions extends ModelOptions {
  /** Standard deviation of the Gaussian noise (default 0.5, the blog's `noise_factor`). */
  noiseFactor?: number;
  /**
   * `"fresh"` (default): new noise for every sample in every epoch — the network
   * never sees the same corruption twice, which regularises it, and no noisy copy
   * of the data set is kept (188 MB for MNIST). `"fixed"`: the noise is drawn once,
   * as the blog's `x_train_noisy`, for a faithful reproduction.
   */
  noise?: NoiseMode;
}

/**
 * Input `[N, 1, 28, 28]`; encoder `Conv32 → MaxPool → Conv32 → MaxPool`, code
 * `[N, 32, 7, 7]`; decoder `Conv32 → Up → Conv32 → Up → Conv1 (sigmoid)` (3×3, relu,
 * `"same"`). Trained on `clip(x + 0.5·N(0, 1), 0, 1)` to reproduce the clean `x`;
 * validation measures `denoise(noisy test)` against the clean test images, with the
 * validation noise drawn once.
 *
 * @example
 * ```ts
 * import { DenoisingAutoencoder, loadMnistSubset } from "@autoencoders/onnx";
 * const { train, test } = await loadMnistSubset(); // loadMnist(): all 60000 digits
 * const model = new DenoisingAutoencoder(); // the blog: 100 epochs on all of MNIST
 * const history = await model.fit(train, { epochs: 1, batchSize: 128, validationData: test });
 * const cleaned = await model.denoise(model.addNoise(test.images, 1));
 * console.assert(cleaned.length === test.images.length && history.valLoss[0] < 0.69);
 * ```
 */
export class DenoisingAutoencoder extends Autoencoder {
  /** Noise standard deviation. */
  readonly noiseFactor: number;
  /** Noise mode used by `fit`. */
  readonly noise: NoiseMode;
  /** Seed of the `"fixed"` noise: `fit` trains on `addNoise(x, fixedNoiseSeed)`. */
  readonly fixedNoiseSeed: number;

  /**
   * Creates the model with fresh Glorot-uniform weights.
   *
   * @param options Noise factor and mode, seed, runtime, provider, threads.
   * @throws {AutoencoderError} If the noise factor is not a finite number >= 0.
   */
  constructor(options: DenoisingOptions = {}) {
    const { noiseFactor = 0.5, noise = "fresh" } = options;
    // The corruption generator is seeded seed + 2; fixed noise draws from seed + 3.
    const input = gaussianNoise(noiseFactor, { mode: noise, seed: (options.seed ?? 0) + 2 });
    super({
      name: "denoising",
      inputShape: [1, 28, 28],
      encoder: [
        new Conv2D(32, 3, "relu"),
        new MaxPool2D("same"),
        new Conv2D(32, 3, "relu"),
        new MaxPool2D("same"),
      ],
      decoder: [
        new Conv2D(32, 3, "relu"),
        new UpSampling2D(2),
        new Conv2D(32, 3, "relu"),
        new UpSampling2D(2),
        new Conv2D(1, 3, "sigmoid"),
      ],
    }, { ...options, inputs: { input } });
    this.noiseFactor = noiseFactor;
    this.noise = noise;
    this.fixedNoiseSeed = input.seed! + 1;
  }

  /**
   * Corrupts images with this model's noise: `clip(x + factor·N(0, 1), 0, 1)`.
   *
   * @param images Clean images in [0, 1].
   * @param seed Draw from a generator with this seed instead of the model's own.
   * @returns New noisy images.
   */
  addNoise(images: Float32Array, seed?: number): Float32Array {
    return this.corrupt(images, seed);
  }
}
