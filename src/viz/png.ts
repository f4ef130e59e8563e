/**
 * The PNG header reader shared by the TensorBoard writer and the report: no
 * dependency, browser-safe.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";

/** Width, height and TensorBoard colorspace read from a PNG header. */
export interface PngInfo {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** 1 grayscale, 2 grayscale + alpha, 3 RGB, 4 RGBA (as `Summary.Image.colorspace`). */
  colorspace: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads a PNG's `IHDR` chunk.
 *
 * @param png The PNG file's bytes.
 * @param what Names the image in error messages.
 * @returns Its size and colorspace.
 *
 * @example
 * ```ts
 * import { pngInfo } from "./png.ts";
 * import { renderGrid } from "./grid.ts";
 * const info = pngInfo(await renderGrid([new Float32Array(784)], { scale: 1, gap: 0 }));
 * console.assert(info.width === 28 && info.height === 28);
 * ```
 */
export function pngInfo(png: Uint8Array, what = "image"): PngInfo {
  const isPng = png.length >= 33 && PNG_SIGNATURE.every((b, i) => png[i] === b) &&
    String.fromCharCode(...png.subarray(12, 16)) === "IHDR";
  if (!isPng) {
    throw new AutoencoderError(
      `Cannot use image "${what}": the bytes are not a PNG file; pass PNG bytes such as renderGrid returns`,
    );
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const colorType = png[25];
  const colorspace = ({ 0: 1, 4: 2, 2: 3, 3: 3, 6: 4 } as Record<number, number>)[colorType];
  if (colorspace === undefined) {
    throw new AutoencoderError(
      `Cannot use image "${what}": the PNG has an unknown colour type ${colorType}`,
    );
  }
  return { width: view.getUint32(16), height: view.getUint32(20), colorspace };
}
