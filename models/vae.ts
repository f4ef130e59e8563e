/**
 * The blog's named next step: a variational autoencoder. It is configuration: a
 * sampling code layer (two heads and the reparameterised draw, its `ε` fed from a
 * seeded generator of the training program) and a two-term loss (reconstruction in
 * nats, and the KL term).
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
import { Dense, type Layer } from "../src/nn/layers.ts";
import { convDecoder, convEncoder } from "./conv.ts";
import { Flatten, Reshape } from "../src/nn/reshape_layers.ts";
import { GAUSSIAN_HEADS, GaussianSample } from "../src/nn/sampling.ts";
import { binaryCrossEntropy, gaussianKl } from "../src/nn/losses.ts";
import { Random } from "../src/nn/random.ts";
import type { History } from "../training/fit.ts";
import { type Optimizer, rmsprop } from "../training/optimizers.ts";
import type { TrainingProgram } from "../training/program.ts";

/** Options of {@link VariationalAutoencoder}. */
export interface VaeOptions extends ModelOptions {
  /** Size of the code (default 2, the blog's, for plotting the plane). */
  latentDim?: number;
  /** Units of the hidden layer on each side (default 256). */
  hiddenUnits?: number;
  /** Features per sample (default 784, flattened 28×28 images). */
  inputSize?: number;
  /**
   * The convolutional variant (default false): the conv autoencoder's encoder and
   * decoder around the sampled code, for `[1, 28, 28]` images (`inputSize` 784).
   * `hiddenUnits` is then unused.
   */
  conv?: boolean;
}

/** The conv autoencoder's code shape, which the convolutional variant flattens and restores. */
const CONV_CODE: [number, number, number] = [8, 4, 4];

function convParts(latentDim: number): { encoder: Layer[]; decoder: Layer[] } {
  return {
    encoder: [...convEncoder(), new Flatten(), new GaussianSample(latentDim)],
    decoder: [
      new Dense(CONV_CODE[0] * CONV_CODE[1] * CONV_CODE[2], "relu"),
      new Reshape(CONV_CODE),
      ...convDecoder(),
    ],
  };
}

/** A variational encoder's code distribution for each sample: `N(mean, exp(logVar))`. */
export interface CodeDistribution {
  /** `μ`, `count` rows of the latent size. */
  mean: Float32Array;
  /** `log σ²`, same shape. */
  logVar: Float32Array;
}

/** The negative evidence lower bound of samples, per sample, in nats. */
export interface Elbo {
  /** `reconstruction + kl`: the validation loss. */
  negativeElbo: number;
  /** Binary cross-entropy summed over each sample's pixels (nats). */
  reconstruction: number;
  /** `KL(N(μ, σ²) ‖ N(0, I))` summed over the code (nats). */
  kl: number;
}

/**
 * The Keras blog's variational autoencoder: `784 → Dense(256, relu) →` the heads
 * `z_mean`, `z_log_var` (`latentDim` each) `→ z = μ + exp(½·log σ²)·ε`; decoder
 * `latentDim → Dense(256, relu) → Dense(784, sigmoid)`. The loss per sample is
 * `784 · mean BCE + KL`, `KL = −½ Σ (1 + log σ² − μ² − σ²)`: the negative ELBO in
 * nats, which `fit` reports as the loss and the validation loss (the code drawn with
 * a fixed `ε` for validation). Trains with RMSprop unless told otherwise, as the blog.
 * `encode` gives `μ`; `predict` reconstructs from `μ`.
 *
 * With `conv: true` the dense layers give way to the conv autoencoder's:
 * `[1, 28, 28] → Conv16 → Pool → Conv8 → Pool → Conv8 → Pool → Flatten (128) →` the
 * heads `→ z`; decoder `z → Dense(128, relu) → Reshape [8, 4, 4] → Conv8 → Up → Conv8 →
 * Up → Conv16 (valid) → Up → Conv1 (sigmoid)`, images `[N, 1, 28, 28]` out.
 *
 * @example
 * ```ts
 * import { loadMnistSubset, VariationalAutoencoder } from "@autoencoders/onnx";
 * const { train, test } = await loadMnistSubset(); // loadMnist(): all 60000 digits
 * const model = new VariationalAutoencoder({ seed: 1 });
 * const history = await model.fit(train, { epochs: 2, batchSize: 100, validationData: test });
 * const digits = await model.sample(4, { seed: 7 }); // four new digits
 * const { mean, logVar } = await model.encodeDistribution(test.images.subarray(0, 784));
 * console.assert(digits.length === 4 * 784 && mean.length === 2 && logVar.length === 2);
 * console.assert(history.valLoss[1] < history.valLoss[0]);
 * ```
 */
export class VariationalAutoencoder extends Autoencoder {
  /** Size of the code. */
  readonly latentDim: number;

  /**
   * Creates the model with fresh Glorot-uniform weights.
   *
   * @param options Latent size, hidden units, seed, runtime, provider, threads.
   */
  constructor(options: VaeOptions = {}) {
    const { latentDim = 2, hiddenUnits = 256, inputSize = 784, conv = false } = options;
    if (conv && inputSize !== 784) {
      throw new AutoencoderError(
        `Cannot create model "vae" with conv: true for ${inputSize} features: the convolutional variant takes 28x28 images (784 features); resize the images or leave out conv`,
        { kind: "bad-input" },
      );
    }
    super({
      name: "vae",
      inputShape: conv ? [1, 28, 28] : [inputSize],
      ...(conv ? convParts(latentDim) : {
        encoder: [new Dense(hiddenUnits, "relu"), new GaussianSample(latentDim)],
        decoder: [new Dense(hiddenUnits, "relu"), new Dense(inputSize, "sigmoid")],
      }),
      loss: [binaryCrossEntropy({ perSample: "sum" }), gaussianKl()],
    }, options);
    this.latentDim = latentDim;
  }

  /**
   * The model's training program; RMSprop unless another optimizer is given.
   *
   * @param optimizer The optimizer (default RMSprop, Keras' defaults).
   * @returns The program.
   */
  override program(optimizer: Optimizer = rmsprop()): TrainingProgram {
    return super.program(optimizer);
  }

  /**
   * Trains the model (see {@link Autoencoder.fit}); RMSprop unless `optimizer` says otherwise.
   *
   * @param x Training samples.
   * @param options Epochs, batch size, optimizer, validation data, callbacks.
   * @returns Losses (negative ELBO per sample) and wall time per epoch.
   */
  override fit(x: Float32Array | ImageBatch, options: FitOptions = {}): Promise<History> {
    return super.fit(x, { ...options, optimizer: options.optimizer ?? "rmsprop" });
  }

  /**
   * The code distribution of each sample.
   *
   * @param x Samples.
   * @returns `mean` (what {@link encode} gives) and `logVar`, `count` rows of `latentDim`.
   */
  async encodeDistribution(x: Float32Array | ImageBatch): Promise<CodeDistribution> {
    const [mean, logVar] = await this.inferOutputs("encoder", x, "encodeDistribution", [
      ...GAUSSIAN_HEADS,
    ]);
    return { mean, logVar };
  }

  /**
   * The negative ELBO of samples per sample, and its two parts (the code drawn with
   * the validation `ε`, the same every call).
   *
   * @param x Samples.
   * @returns Nats per sample.
   */
  async evaluateElbo(x: Float32Array | ImageBatch): Promise<Elbo> {
    const terms = await this.evaluateTerms(x);
    return { negativeElbo: terms.loss, reconstruction: terms["bce(sum)"], kl: terms["kl(code)"] };
  }

  /**
   * Draws codes from the prior `N(0, I)` and decodes them.
   *
   * @param n How many.
   * @param options `seed` of the draw (default 0): the same seed gives the same images.
   * @returns `n` generated samples, values in (0, 1).
   */
  sample(n: number, options: { seed?: number } = {}): Promise<Float32Array> {
    if (!Number.isInteger(n) || n < 1) {
      throw new AutoencoderError(
        `Cannot sample from model "vae": the count must be a positive integer, got ${n}`,
        { kind: "bad-input" },
      );
    }
    const rng = new Random(options.seed ?? 0);
    const codes = new Float32Array(n * this.latentDim);
    for (let i = 0; i < codes.length; i++) codes[i] = rng.normal();
    return this.decode(codes);
  }

  /**
   * Decodes the codes on the segment from `a` to `b`, both ends included.
   *
   * @param a A code (`latentDim` values), e.g. a row of {@link encode}'s output.
   * @param b Another.
   * @param steps Points on the segment, at least 2.
   * @returns `steps` decoded samples.
   */
  interpolate(a: Float32Array, b: Float32Array, steps: number): Promise<Float32Array> {
    const d = this.latentDim;
    if (a.length !== d || b.length !== d || !Number.isInteger(steps) || steps < 2) {
      throw new AutoencoderError(
        `Cannot interpolate in model "vae": it needs two codes of ${d} values and an integer number of steps >= 2, got ${a.length} and ${b.length} values and ${steps} steps`,
        { kind: "bad-input" },
      );
    }
    const codes = new Float32Array(steps * d);
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      for (let j = 0; j < d; j++) codes[s * d + j] = a[j] + t * (b[j] - a[j]);
    }
    return this.decode(codes);
  }
}
