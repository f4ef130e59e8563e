/**
 * The blog's fifth model: a convolutional autoencoder trained to remove noise.
 *
 * @module
 */

import {
  Autoencoder,
  type FitOptions,
  type ImageBatch,
  type ModelOptions,
} from "../src/autoencoder.ts";
import { AutoencoderError } from "../src/errors.ts";
import { Conv2D, MaxPool2D, UpSampling2D } from "../src/nn/layers.ts";
import { corrupt } from "../src/nn/noise.ts";
import { Random } from "../src/nn/random.ts";
import type { History } from "../training/fit.ts";

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
  noise?: "fresh" | "fixed";
}

/**
 * Input `[N, 1, 28, 28]`; encoder `Conv32 → MaxPool → Conv32 → MaxPool`, code
 * `[N, 32, 7, 7]`; decoder `Conv32 → Up → Conv32 → Up → Conv1 (sigmoid)` (3×3, relu,
 * `"same"`). Trained on `clip(x + 0.5·N(0, 1), 0, 1)` to reproduce the clean `x`;
 * validation measures `denoise(noisy test)` against the clean test images, with the
 * validation noise drawn once.
 *
 * @example
 * ```ts ignore
 * import { DenoisingAutoencoder, loadMnist } from "@autoencoders/onnx";
 * const { train, test } = await loadMnist({ dir: "data/mnist" });
 * const model = new DenoisingAutoencoder();
 * await model.fit(train, { epochs: 100, batchSize: 128, validationData: test });
 * const cleaned = await model.denoise(model.addNoise(test.images));
 * ```
 */
export class DenoisingAutoencoder extends Autoencoder {
  /** Noise standard deviation. */
  readonly noiseFactor: number;
  /** Noise mode used by `fit`. */
  readonly noise: "fresh" | "fixed";
  /** Seed of the `"fixed"` noise: `fit` trains on `addNoise(x, fixedNoiseSeed)`. */
  readonly fixedNoiseSeed: number;

  /**
   * Creates the model with fresh Glorot-uniform weights.
   *
   * @param options Noise factor and mode, seed, runtime, provider, threads.
   */
  constructor(options: DenoisingOptions = {}) {
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
    }, options);
    this.noiseFactor = options.noiseFactor ?? 0.5;
    this.noise = options.noise ?? "fresh";
    this.fixedNoiseSeed = (options.seed ?? 0) + 3;
    if (!(this.noiseFactor >= 0 && Number.isFinite(this.noiseFactor))) {
      throw new AutoencoderError(
        `Cannot create denoising model: the noise factor must be a finite number >= 0, got ${this.noiseFactor}`,
      );
    }
  }

  /**
   * Corrupts images with this model's noise: `clip(x + factor·N(0, 1), 0, 1)`.
   *
   * @param images Clean images in [0, 1].
   * @param seed Draw from a generator with this seed instead of the model's own.
   * @returns New noisy images.
   */
  addNoise(images: Float32Array, seed?: number): Float32Array {
    return corrupt(seed === undefined ? this.noiseRng : new Random(seed), images, this.noiseFactor);
  }

  /**
   * Trains on noisy inputs against clean targets; validation data is corrupted
   * once, with a fixed seed, so epochs are compared on the same noise.
   *
   * @param x Clean training images.
   * @param options As for `Autoencoder.fit`.
   * @returns Losses per epoch (validation: cleaned noisy test images against clean ones).
   */
  override fit(x: Float32Array | ImageBatch, options: FitOptions = {}): Promise<History> {
    return this.train(x, options, (train, validation) => {
      const size = train.data.length / train.count;
      // Fixed noise comes from its own seed, so a resumed run draws the same noise.
      const fixed = this.noise === "fixed"
        ? this.addNoise(train.data, this.fixedNoiseSeed)
        : undefined;
      return {
        corrupt: (into, rows) => {
          rows.forEach((row, i) => {
            const at = i * size, from = row * size;
            if (fixed) into.set(fixed.subarray(from, from + size), at);
            else {
              corrupt(
                this.noiseRng,
                train.data.subarray(from, from + size),
                this.noiseFactor,
                into.subarray(at, at + size),
              );
            }
          });
        },
        validationInput: validation && this.addNoise(validation.data, 12345),
      };
    });
  }

  /**
   * Cleans noisy images (the reconstruction of a noisy input).
   *
   * @param noisy Noisy images, 784 floats each.
   * @returns The cleaned images.
   */
  denoise(noisy: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.reconstruct(noisy, "denoise");
  }
}
