/**
 * The blog's fourth model: a convolutional autoencoder.
 *
 * @module
 */

import { Autoencoder, type ModelOptions } from "../src/autoencoder.ts";
import { AutoencoderError } from "../src/errors.ts";
import { Conv2D, type Layer, MaxPool2D, type Padding, UpSampling2D } from "../src/nn/layers.ts";

/** Options of {@link ConvAutoencoder}. */
export interface ConvOptions extends ModelOptions {
  /**
   * `[channels, height, width]` (default `[1, 28, 28]`; `[3, h, w]` for colour). Height
   * and width must both be a multiple of 8, or both 4 less than one (28, 60, ...: the
   * decoder's third convolution is then `"valid"`, as the blog's).
   */
  inputShape?: [number, number, number];
}

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
   * @param options Input shape, seed, runtime, provider, threads.
   * @throws {AutoencoderError} Of kind `"bad-input"` if the input shape does not fit the layers.
   */
  constructor(options: ConvOptions = {}) {
    const { inputShape = [1, 28, 28] } = options;
    const [channels, height, width] = inputShape;
    const fit = (n: number) => (n % 8 === 0 ? "same" : n % 8 === 4 ? "valid" : undefined);
    const padding = fit(height);
    if (
      inputShape.length !== 3 || !(channels >= 1 && Number.isInteger(channels)) || !padding ||
      !(height >= 8 && width >= 8) || fit(width) !== padding
    ) {
      throw new AutoencoderError(
        `Cannot create model "conv" for input shape [${inputShape}]: height and width must both be multiples of 8, or both 4 less than one (28, 60, ...), and at least 8; resize the images, e.g. to 28x28 or 32x32`,
        { kind: "bad-input" },
      );
    }
    super({
      name: "conv",
      inputShape: [channels, height, width],
      encoder: convEncoder(),
      decoder: convDecoder(channels, padding),
    }, options);
  }
}

/**
 * The blog's convolutional encoder: `Conv16 → MaxPool → Conv8 → MaxPool → Conv8 →
 * MaxPool` (3×3 relu convolutions, 2×2 "same" pooling), code `[8, H/8, W/8]`.
 *
 * @returns New layers.
 */
export function convEncoder(): Layer[] {
  return [
    new Conv2D(16, 3, "relu"),
    new MaxPool2D("same"),
    new Conv2D(8, 3, "relu"),
    new MaxPool2D("same"),
    new Conv2D(8, 3, "relu"),
    new MaxPool2D("same"),
  ];
}

/**
 * The blog's convolutional decoder: `Conv8 → Up → Conv8 → Up → Conv16 → Up → Conv(channels,
 * sigmoid)`.
 *
 * @param channels Channels of the images it reconstructs.
 * @param padding The third convolution's: `"valid"` for sizes 4 less than a multiple of 8 (28).
 * @returns New layers.
 */
export function convDecoder(channels = 1, padding: Padding = "valid"): Layer[] {
  return [
    new Conv2D(8, 3, "relu"),
    new UpSampling2D(2),
    new Conv2D(8, 3, "relu"),
    new UpSampling2D(2),
    new Conv2D(16, 3, "relu", padding),
    new UpSampling2D(2),
    new Conv2D(channels, 3, "sigmoid"),
  ];
}
