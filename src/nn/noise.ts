/**
 * Gaussian corruption for denoising: `clip(x + factor * N(0, 1), 0, 1)`, drawn
 * from the library's seeded generator (Box-Muller), so runs are reproducible.
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
  for (let i = 0; i < clean.length; i += 2) {
    // Box-Muller: two independent standard normals from two uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const angle = 2 * Math.PI * rng.next();
    into[i] = Math.min(1, Math.max(0, clean[i] + factor * r * Math.cos(angle)));
    if (i + 1 < clean.length) {
      into[i + 1] = Math.min(1, Math.max(0, clean[i + 1] + factor * r * Math.sin(angle)));
    }
  }
  return into;
}
