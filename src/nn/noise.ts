/**
 * Gaussian corruption for denoising: `clip(x + factor * N(0, 1), 0, 1)`, drawn
 * from the library's seeded generator, so runs are reproducible.
 *
 * @module
 */

import type { Random } from "./random.ts";

/**
 * Writes `clip(clean + factor * N(0, 1), 0, 1)` into `into`.
 *
 * @param rng The generator to draw from.
 * @param clean Clean values in [0, 1].
 * @param factor Noise standard deviation (the blog's `noise_factor`, 0.5).
 * @param into Destination, same length as `clean` (may be `clean` itself).
 * @returns `into`.
 *
 * @example
 * ```ts
 * import { corrupt } from "./noise.ts";
 * import { Random } from "./random.ts";
 * const noisy = corrupt(new Random(0), new Float32Array(100).fill(0.5), 0.5);
 * console.assert(noisy.every((v) => v >= 0 && v <= 1));
 * ```
 */
export function corrupt(
  rng: Random,
  clean: Float32Array,
  factor: number,
  into: Float32Array = new Float32Array(clean.length),
): Float32Array {
  for (let i = 0; i < clean.length; i++) {
    into[i] = Math.min(1, Math.max(0, clean[i] + factor * rng.normal()));
  }
  return into;
}
