/**
 * Byte helpers shared by the parsers and writers (browser-safe).
 *
 * @module
 */

/**
 * Joins byte sequences into one new array.
 *
 * @param parts The pieces, in order.
 * @returns A fresh array of their bytes.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * console.assert(concatBytes([new Uint8Array([1]), [2, 3]]).join() === "1,2,3");
 * ```
 */
export function concatBytes(parts: readonly ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
