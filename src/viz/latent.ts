/**
 * Latent-space figures: the test codes on a plane coloured by label (the code
 * itself when it is 2-D, else its PCA projection through `ml-pca` or, on request,
 * its UMAP embedding through `umap-js`), with a legend of the digits' colours, and a
 * variational autoencoder's manifold: the digits decoded from a grid of latent
 * points at Gaussian quantiles, as in the Keras blog.
 *
 * @module
 */

import { Jimp } from "jimp";
import { renderGrid } from "./grid.ts";
import { normalQuantile } from "./quantile.ts";

export { normalQuantile };

/** The ten label colours (matplotlib's `tab10`), as `0xRRGGBB`. */
export const LABEL_COLOURS: readonly number[] = [
  0x1f77b4,
  0xff7f0e,
  0x2ca02c,
  0xd62728,
  0x9467bd,
  0x8c564b,
  0xe377c2,
  0x7f7f7f,
  0xbcbd22,
  0x17becf,
];

/** Which colour each label has in {@link renderScatter}, for captions. */
export const LABEL_KEY: string =
  "0 blue, 1 orange, 2 green, 3 red, 4 purple, 5 brown, 6 pink, 7 grey, 8 olive, 9 cyan";

/** The digits 0–9 in a 3×5 pixel font, a row of 3 bits (left = 4) per line. */
const DIGIT_GLYPHS: readonly (readonly number[])[] = [
  [7, 5, 5, 5, 7],
  [2, 6, 2, 2, 7],
  [7, 1, 7, 4, 7],
  [7, 1, 3, 1, 7],
  [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7],
  [7, 4, 7, 5, 7],
  [7, 1, 2, 2, 2],
  [7, 5, 7, 5, 7],
  [7, 5, 7, 1, 7],
];

/** Height in pixels of the legend strip under {@link renderScatter}'s plot. */
export const LEGEND_HEIGHT = 24;

/**
 * Draws points on a white square, each a 3×3 dot in its label's colour, and under it
 * a legend: the ten colours as squares, each followed by its digit.
 *
 * @param points `count` rows of 2 values.
 * @param labels A label from 0 to 9 per point.
 * @param size Side of the plot in pixels (default 480); the image is
 *   {@link LEGEND_HEIGHT} pixels taller, for the legend.
 * @returns The PNG file's bytes.
 *
 * @example
 * ```ts
 * import { renderScatter } from "./latent.ts";
 * const png = await renderScatter(new Float32Array([0, 0, 1, 1]), new Uint8Array([3, 7]));
 * console.assert(png[1] === 0x50); // "PNG"
 * ```
 */
export async function renderScatter(
  points: Float32Array,
  labels: Uint8Array,
  size = 480,
): Promise<Uint8Array> {
  const count = Math.min(points.length / 2, labels.length);
  const height = size + LEGEND_HEIGHT;
  const image = new Jimp({ width: size, height, color: 0xffffffff });
  const pixels = image.bitmap.data;
  const paint = (x: number, y: number, colour: number) => {
    if (x < 0 || y < 0 || x >= size || y >= height) return;
    const o = (y * size + x) * 4;
    pixels[o] = colour >> 16;
    pixels[o + 1] = (colour >> 8) & 255;
    pixels[o + 2] = colour & 255;
    pixels[o + 3] = 255;
  };
  const bounds = [0, 1].map((axis) => {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < count; i++) {
      lo = Math.min(lo, points[2 * i + axis]);
      hi = Math.max(hi, points[2 * i + axis]);
    }
    const pad = (hi - lo) * 0.05 || 1;
    return [lo - pad, hi + pad];
  });
  const at = (v: number, [lo, hi]: number[]) => Math.round(((v - lo) / (hi - lo)) * (size - 1));
  for (let i = 0; i < count; i++) {
    const colour = LABEL_COLOURS[labels[i] % 10];
    const px = at(points[2 * i], bounds[0]), py = size - 1 - at(points[2 * i + 1], bounds[1]);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) paint(px + dx, py + dy, colour);
    }
  }
  // The legend: a grey rule, then per digit a 12×12 square and the digit at 2× scale.
  for (let x = 0; x < size; x++) paint(x, size, 0xcccccc);
  const slot = Math.floor(size / 10), top = size + 6;
  LABEL_COLOURS.forEach((colour, digit) => {
    const left = digit * slot + Math.max(0, Math.floor((slot - 24) / 2));
    for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) paint(left + x, top + y, colour);
    DIGIT_GLYPHS[digit].forEach((bits, row) => {
      for (let col = 0; col < 3; col++) {
        if (!(bits & (4 >> col))) continue;
        for (let d = 0; d < 4; d++) {
          paint(left + 16 + 2 * col + (d & 1), top + 1 + 2 * row + (d >> 1), 0x000000);
        }
      }
    });
  });
  return new Uint8Array(await image.getBuffer("image/png"));
}

/**
 * The blog's manifold figure: a `n × n` grid of samples decoded from 2-D codes at the
 * Gaussian quantiles of `linspace(0.05, 0.95, n)` (rows: the second coordinate,
 * columns: the first).
 *
 * @param decode Decodes `count` 2-D codes into `count` 28×28 images.
 * @param n Points per axis (default 15).
 * @returns The PNG file's bytes.
 */
export async function renderManifold(
  decode: (codes: Float32Array) => Promise<Float32Array>,
  n = 15,
): Promise<Uint8Array> {
  const grid = Array.from({ length: n }, (_, i) => normalQuantile(0.05 + (0.9 * i) / (n - 1)));
  const codes = new Float32Array(n * n * 2);
  grid.forEach((y, i) =>
    grid.forEach((x, j) => {
      codes[(i * n + j) * 2] = x;
      codes[(i * n + j) * 2 + 1] = y;
    })
  );
  const images = await decode(codes);
  const size = images.length / (n * n);
  const rows = grid.map((_, i) => images.subarray(i * n * size, (i + 1) * n * size));
  return await renderGrid(rows, { scale: 1, gap: 0 });
}
