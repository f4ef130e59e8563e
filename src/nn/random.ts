/**
 * A small seeded pseudo-random generator (SplitMix32 seeding a xoshiro128**
 * state), so that initialisation and shuffling are reproducible everywhere.
 *
 * @module
 */

/**
 * Seeded generator with a serialisable state.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const a = new Random(42), b = new Random(42);
 * console.assert(a.next() === b.next());
 * ```
 */
export class Random {
  #s: Uint32Array;

  /** @param seed Any integer; the same seed gives the same sequence. */
  constructor(seed: number) {
    this.#s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** @returns A uniform float in [0, 1). */
  next(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result / 4294967296;
  }

  /**
   * @param low Lower bound.
   * @param high Upper bound.
   * @returns A uniform float in [low, high).
   */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /**
   * Shuffles in place (Fisher-Yates).
   *
   * @param a The array.
   * @returns The same array.
   */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** The generator's state, for checkpoints. */
  get state(): number[] {
    return [...this.#s];
  }

  set state(s: number[]) {
    this.#s.set(s);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
