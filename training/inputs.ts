/**
 * Inputs as values: what a model sees while it trains and what it must reproduce.
 * By default it sees each sample and reproduces it; a denoising model sees a
 * corruption of the sample (Gaussian noise, masking noise, salt and pepper) and
 * reproduces the clean sample. A corruption draws from a seeded generator whose
 * state is part of the training state (checkpoints keep it), so a resumed run draws
 * the same noise as an uninterrupted one.
 *
 * @module
 */

import { AutoencoderError, quote } from "../src/errors.ts";
import { corrupt } from "../src/nn/noise.ts";
import type { NoiseSpec } from "../src/nn/layers.ts";
import { Random } from "../src/nn/random.ts";

/** Whether a corruption is drawn anew each epoch or once per `fit`. */
export type NoiseMode = "fresh" | "fixed";

/** A seeded corruption of the training inputs. */
export interface Corruption {
  /** What it is, e.g. `"gaussian noise (0.5)"`. */
  readonly name: string;
  /**
   * `"fresh"`: new noise for every sample in every epoch, drawn from the run's
   * corruption generator. `"fixed"`: drawn once per `fit` from a generator seeded
   * `seed + 1`, as the blog's `x_train_noisy`.
   */
  readonly mode: NoiseMode;
  /** Seed of the corruption generator (default: the model's seed + 2). */
  readonly seed?: number;
  /**
   * Writes a corruption of `clean` into `into`, drawing from `rng`.
   *
   * @param rng The generator.
   * @param clean Clean values in [0, 1].
   * @param into Destination, as long as `clean` (may be `clean` itself).
   */
  apply(rng: Random, clean: Float32Array, into: Float32Array): void;
}

/** What a model sees while it trains and what it must reproduce. */
export interface Inputs {
  /** A corruption of the sample the model sees (default: the sample itself). */
  input?: Corruption;
  /** What it must reproduce: `"input"`, the clean sample (the default). */
  target?: "input";
}

/** Options of the corruptions. */
export interface CorruptionOptions {
  /** `"fresh"` (default) or `"fixed"`; see {@link Corruption.mode}. */
  mode?: NoiseMode;
  /** Seed of the corruption generator (default: the model's seed + 2). */
  seed?: number;
}

/**
 * Gaussian noise: `clip(x + factor·N(0, 1), 0, 1)`, the blog's denoising input.
 *
 * @param factor Standard deviation (the blog's `noise_factor`, default 0.5).
 * @param options Mode and seed.
 * @returns The corruption.
 *
 * @example
 * ```ts
 * import { gaussianNoise } from "./inputs.ts";
 * import { Random } from "../src/nn/random.ts";
 * const noisy = new Float32Array(4);
 * gaussianNoise(0.5).apply(new Random(0), new Float32Array(4).fill(0.5), noisy);
 * console.assert(noisy.every((v) => v >= 0 && v <= 1));
 * ```
 */
export function gaussianNoise(factor = 0.5, options: CorruptionOptions = {}): Corruption {
  check("gaussian noise", "factor", factor, Infinity);
  return {
    ...settings(options),
    name: `gaussian noise (${factor})`,
    apply: (rng, clean, into) => corrupt(rng, clean, factor, into),
  };
}

/**
 * Masking noise: each value set to 0 with probability `fraction`.
 *
 * @param fraction Share of values masked, from 0 to 1.
 * @param options Mode and seed.
 * @returns The corruption.
 */
export function maskingNoise(fraction: number, options: CorruptionOptions = {}): Corruption {
  check("masking noise", "fraction", fraction, 1);
  return {
    ...settings(options),
    name: `masking noise (${fraction})`,
    apply(rng, clean, into) {
      for (let i = 0; i < clean.length; i++) into[i] = rng.next() < fraction ? 0 : clean[i];
    },
  };
}

/**
 * Salt-and-pepper noise: each value set, with probability `fraction`, to 0 or 1
 * with equal odds.
 *
 * @param fraction Share of values changed, from 0 to 1.
 * @param options Mode and seed.
 * @returns The corruption.
 */
export function saltAndPepper(fraction: number, options: CorruptionOptions = {}): Corruption {
  check("salt-and-pepper noise", "fraction", fraction, 1);
  return {
    ...settings(options),
    name: `salt-and-pepper noise (${fraction})`,
    apply(rng, clean, into) {
      for (let i = 0; i < clean.length; i++) {
        into[i] = rng.next() < fraction ? (rng.next() < 0.5 ? 0 : 1) : clean[i];
      }
    },
  };
}

function settings(options: CorruptionOptions): Pick<Corruption, "mode" | "seed"> {
  const mode = options.mode ?? "fresh";
  if (mode !== "fresh" && mode !== "fixed") {
    throw new AutoencoderError(
      `Cannot create the corruption: mode ${
        JSON.stringify(mode)
      } is not known; choose "fresh" or "fixed"`,
      { kind: "bad-input" },
    );
  }
  return { mode, seed: options.seed };
}

function check(what: string, name: string, value: number, max: number): void {
  if (!(value >= 0 && Number.isFinite(value) && value <= max)) {
    throw new AutoencoderError(
      `Cannot create ${what}: the ${name} must be a finite number from 0${
        max === Infinity ? "" : ` to ${max}`
      }, got ${value}`,
      { kind: "bad-input" },
    );
  }
}

/** Seed of the validation corruption: the same noise every epoch, so epochs compare. */
const VALIDATION_SEED = 12345;

/**
 * Draws a corruption of a whole data set from a generator seeded `seed`.
 *
 * @param corruption The corruption.
 * @param clean Clean samples.
 * @param seed The seed (default: the validation seed, the same for every run).
 * @returns The corrupted copy.
 */
export function corruptAll(
  corruption: Corruption,
  clean: Float32Array,
  seed: number = VALIDATION_SEED,
): Float32Array {
  const into = new Float32Array(clean.length);
  corruption.apply(new Random(seed), clean, into);
  return into;
}

/**
 * Corrupts samples as a model's training inputs are corrupted (`Autoencoder.corrupt`).
 *
 * @param inputs The model's inputs.
 * @param model The model's name, for the error.
 * @param rng The model's corruption generator, drawn from (advanced) unless `seed` is given.
 * @param clean Clean samples in [0, 1].
 * @param seed Draw from a generator with this seed instead.
 * @returns New corrupted samples.
 * @throws {AutoencoderError} If the inputs declare no corruption.
 */
export function corruptInputs(
  inputs: Inputs,
  model: string,
  rng: Random | undefined,
  clean: Float32Array,
  seed?: number,
): Float32Array {
  const corruption = inputs.input;
  if (!corruption || !rng) {
    throw new AutoencoderError(
      `Cannot corrupt inputs of model ${
        quote(model)
      }: its inputs declare no corruption; create it with inputs: { input: gaussianNoise(0.5) }`,
      { kind: "bad-input" },
    );
  }
  if (seed !== undefined) return corruptAll(corruption, clean, seed);
  const into = new Float32Array(clean.length);
  corruption.apply(rng, clean, into);
  return into;
}

/**
 * The model's inputs for a `fit`: fills a batch's inputs for the clean rows of the
 * training set, fresh from the generator or copied from noise drawn once.
 *
 * @param corruption The corruption.
 * @param data The clean training samples, row-major.
 * @param sampleSize Values per sample.
 * @param rng The run's corruption generator (advanced by fresh noise).
 * @param seed The corruption's seed (fixed noise draws from `seed + 1`).
 * @returns `fill(into, rows)`.
 */
export function corruptor(
  corruption: Corruption,
  data: Float32Array,
  sampleSize: number,
  rng: Random,
  seed: number,
): (into: Float32Array, rows: Uint32Array) => void {
  // Fixed noise comes from its own seed, so a resumed run draws the same noise.
  const fixed = corruption.mode === "fixed" ? corruptAll(corruption, data, seed + 1) : undefined;
  return (into, rows) => {
    rows.forEach((row, i) => {
      const at = i * sampleSize, from = row * sampleSize;
      const slot = into.subarray(at, at + sampleSize);
      if (fixed) slot.set(fixed.subarray(from, from + sampleSize));
      else corruption.apply(rng, data.subarray(from, from + sampleSize), slot);
    });
  };
}

/**
 * Standard-normal draws for the noise inputs of `n` samples (a variational encoder's
 * `ε`), each from its own generator.
 *
 * @param specs The program's noise inputs.
 * @param n Samples.
 * @param rng The generator of each input (the run's, or a seeded one for validation).
 * @returns The draws by input name, `n` rows each.
 *
 * @example
 * ```ts
 * import { drawNoise } from "./inputs.ts";
 * import { Random } from "../src/nn/random.ts";
 * const eps = drawNoise([{ name: "noise.encoder.1", shape: [2] }], 3, () => new Random(0));
 * console.assert(eps.get("noise.encoder.1")!.length === 6);
 * ```
 */
export function drawNoise(
  specs: readonly NoiseSpec[],
  n: number,
  rng: (name: string, index: number) => Random,
): Map<string, Float32Array> {
  return new Map(specs.map((spec, i) => {
    const g = rng(spec.name, i);
    const data = new Float32Array(n * spec.shape.reduce((a, d) => a * d, 1));
    for (let j = 0; j < data.length; j++) data[j] = g.normal();
    return [spec.name, data];
  }));
}

/**
 * The noise inputs of a validation set: the same draws every epoch, so epochs compare.
 *
 * @param specs The program's noise inputs.
 * @param n Samples.
 * @returns The draws by input name.
 */
export function validationNoise(specs: readonly NoiseSpec[], n: number): Map<string, Float32Array> {
  return drawNoise(specs, n, (_, i) => new Random(VALIDATION_SEED + 1 + i));
}
