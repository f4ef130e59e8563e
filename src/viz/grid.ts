/**
 * PNG figures drawn with jimp: grids of grayscale images such as the blog's
 * "originals over reconstructions" figure.
 *
 * @module
 */

import { Jimp } from "jimp";
import { AutoencoderError } from "../errors.ts";

/** Options of {@link renderGrid}. */
export interface GridOptions {
  /** Image height in pixels (default 28). */
  height?: number;
  /** Image width in pixels (default 28). */
  width?: number;
  /** Colour planes per image: 1 (grey, default) or 3 (red, green, blue planes). */
  channels?: 1 | 3;
  /** Nearest-neighbour magnification (default 2). */
  scale?: number;
  /** Gap between images in output pixels (default 2). */
  gap?: number;
}

/**
 * Draws rows of grayscale images (values in [0, 1], clipped) as one PNG, each
 * image magnified by nearest-neighbour copying, with a dark gap between images.
 *
 * @param rows Each row: its images back to back (`columns * height * width` floats).
 * @param options Image size, scale, gap.
 * @returns The PNG file's bytes.
 *
 * @example
 * ```ts
 * import { renderGrid } from "./grid.ts";
 * const png = await renderGrid([new Float32Array(2 * 28 * 28).fill(0.5)]);
 * console.assert(png[1] === 0x50); // "PNG"
 * ```
 */
export async function renderGrid(
  rows: Float32Array[],
  options: GridOptions = {},
): Promise<Uint8Array> {
  const { height = 28, width = 28, scale = 2, gap = 2, channels = 1 } = options;
  const plane = height * width, size = channels * plane;
  const columns = rows[0]?.length / size;
  if (!rows.length || !Number.isInteger(columns) || rows.some((r) => r.length !== rows[0].length)) {
    throw new AutoencoderError(
      `Cannot draw grid: every row must hold the same whole number of ${channels}x${height}x${width} images`,
    );
  }
  const cellW = width * scale, cellH = height * scale;
  const image = new Jimp({
    width: columns * cellW + (columns + 1) * gap,
    height: rows.length * cellH + (rows.length + 1) * gap,
    color: 0x202020ff,
  });
  const pixels = image.bitmap.data;
  rows.forEach((row, r) => {
    for (let c = 0; c < columns; c++) {
      for (let y = 0; y < cellH; y++) {
        for (let x = 0; x < cellW; x++) {
          const p = c * size + Math.floor(y / scale) * width + Math.floor(x / scale);
          const px = gap + c * (cellW + gap) + x, py = gap + r * (cellH + gap) + y;
          const at = (py * image.bitmap.width + px) * 4;
          for (let k = 0; k < 3; k++) {
            const v = row[p + (channels === 3 ? k * plane : 0)];
            pixels[at + k] = Math.round(255 * Math.min(1, Math.max(0, v)));
          }
          pixels[at + 3] = 255;
        }
      }
    }
  });
  return new Uint8Array(await image.getBuffer("image/png"));
}

/**
 * Draws convolutional codes as the blog does: one row per channel, one column per
 * image, each `height×width` map magnified by nearest-neighbour copying (no
 * interpolation) and scaled so that the largest value is white.
 *
 * @param codes `count × channels × height × width` values, row-major.
 * @param channels Code channels.
 * @param height Map height.
 * @param width Map width.
 * @returns The PNG file's bytes.
 *
 * @example
 * ```ts
 * import { renderCodes } from "./grid.ts";
 * const png = await renderCodes(new Float32Array(2 * 8 * 4 * 4).fill(1), 8, 4, 4);
 * console.assert(png.length > 0);
 * ```
 */
export function renderCodes(
  codes: Float32Array,
  channels: number,
  height: number,
  width: number,
): Promise<Uint8Array> {
  const size = height * width, count = codes.length / (channels * size);
  let max = 0;
  for (const v of codes) max = Math.max(max, v);
  const rows = Array.from({ length: channels }, (_, c) => {
    const row = new Float32Array(count * size);
    for (let i = 0; i < count; i++) {
      const map = codes.subarray((i * channels + c) * size, (i * channels + c + 1) * size);
      row.set(map.map((v) => (max > 0 ? v / max : 0)), i * size);
    }
    return row;
  });
  return renderGrid(rows, { height, width, scale: Math.max(1, Math.round(28 / height)) });
}
