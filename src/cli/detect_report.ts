/**
 * `anomalies.html` of the detect command: the most anomalous inputs beside their
 * reconstructions and scores, and the histogram of every score with the threshold.
 *
 * @module
 */

import { Jimp } from "jimp";
import { base64 } from "../viz/report.ts";
import { histogramSvg } from "../viz/charts.ts";
import { esc } from "../viz/svg.ts";

/** One listed input. */
export interface ListedInput {
  /** Its file or row. */
  name: string;
  /** Its score. */
  score: number;
  /** Whether it is above the threshold. */
  anomalous: boolean;
  /** Its values. */
  input: Float32Array;
}

/** What the page shows. */
export interface AnomalyPage {
  /** One sample's shape: `[c, h, w]` images or `[columns]` rows. */
  shape: number[];
  /** Every score, for the histogram. */
  scores: Float64Array;
  /** The threshold, if the model has one. */
  threshold?: number;
  /** The listed inputs, most anomalous first. */
  top: ListedInput[];
  /** Their reconstructions, in the same order. */
  reconstructions: Float32Array;
}

/** An image (`[c, h, w]`, c 1 or 3, values in [0, 1]) as a PNG data URL, magnified. */
async function pngUrl(values: Float32Array, [c, h, w]: number[], scale: number): Promise<string> {
  const image = new Jimp({ width: w * scale, height: h * scale, color: 0xff });
  const level = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  for (let y = 0; y < h * scale; y++) {
    for (let x = 0; x < w * scale; x++) {
      const p = Math.floor(y / scale) * w + Math.floor(x / scale);
      const rgb = c === 3
        ? [0, 1, 2].map((k) => level(values[k * h * w + p]))
        : Array(3).fill(level(values[p]));
      image.bitmap.data.set([...rgb, 255], (y * w * scale + x) * 4);
    }
  }
  return `data:image/png;base64,${base64(new Uint8Array(await image.getBuffer("image/png")))}`;
}

/**
 * The page's HTML.
 *
 * @param page What it shows.
 * @returns The HTML text.
 */
export async function anomaliesHtml(page: AnomalyPage): Promise<string> {
  const size = page.shape.reduce((a, d) => a * d, 1);
  const image = page.shape.length === 3;
  const scale = Math.max(1, Math.round(84 / page.shape[1]));
  const rows: string[] = [];
  for (const [n, item] of page.top.entries()) {
    const recon = page.reconstructions.subarray(n * size, (n + 1) * size);
    const cells = image
      ? `<td><img src="${await pngUrl(
        item.input,
        page.shape,
        scale,
      )}"></td><td><img src="${await pngUrl(recon, page.shape, scale)}"></td>`
      : `<td>${Array.from(item.input, (v) => v.toPrecision(3)).join(", ")}</td><td>${
        Array.from(recon, (v) => v.toPrecision(3)).join(", ")
      }</td>`;
    rows.push(
      `<tr${item.anomalous ? ' class="a"' : ""}><td>${n + 1}</td><td>${esc(item.name)}</td><td>${
        esc(item.score.toPrecision(4))
      }</td>${cells}</tr>`,
    );
  }
  return `<!doctype html><meta charset="utf-8"><title>Anomalies</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 8px;text-align:left}tr.a td:nth-child(3){color:#c33;font-weight:bold}img{image-rendering:pixelated}</style>
<h1>Anomalies</h1><p>${page.scores.length} inputs scored; ${page.top.length} most anomalous listed (red: above the threshold).</p>
<h2>Scores</h2>${histogramSvg(page.scores, page.threshold)}
<h2>Most anomalous</h2><table><tr><th>#</th><th>input</th><th>score</th><th>${
    image ? "image" : "values (scaled)"
  }</th><th>reconstruction</th></tr>${rows.join("\n")}</table>
`;
}
