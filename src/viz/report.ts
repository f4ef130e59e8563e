/**
 * Reports as text, with no dependency and no external resource: the architecture
 * diagram (the equivalent of Keras' `plot_model` figure) and the loss curves as
 * SVG, and one self-contained HTML page with those, the figures (PNG bytes
 * embedded as `data:` URIs), the summary table and the key numbers. The page
 * renders offline; this file runs in a browser too.
 *
 * @example
 * ```ts
 * import { Dense } from "../nn/layers.ts";
 * import { reportHtml } from "./report.ts";
 * const html = reportHtml({
 *   model: {
 *     name: "tiny",
 *     inputShape: [784],
 *     encoder: [new Dense(32, "relu")],
 *     decoder: [new Dense(784, "sigmoid")],
 *   },
 *   history: { loss: [0.28, 0.19], valLoss: [0.19, 0.17], penalty: [], epochSeconds: [1, 1] },
 * });
 * console.assert(html.startsWith("<!doctype html>"));
 * ```
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import type { Architecture } from "../nn/architecture.ts";
import {
  architectureSvg,
  configOf,
  type LayerRow,
  layerRows,
  type ReportModel,
  shapeText,
} from "./architecture_svg.ts";
import { lineChart, type Series } from "./charts.ts";
import { pngInfo } from "./png.ts";
import { esc, fmt, fmtInt, type SvgOptions } from "./svg.ts";

export { architectureSvg };
export type { ReportModel, SvgOptions };

/** The per-epoch record the report draws (a `History` from `fit` fits). */
export interface ReportHistory {
  /** Training loss per epoch. */
  loss: readonly number[];
  /** Validation loss per epoch (may be empty). */
  valLoss?: readonly number[];
  /** Activity penalty per epoch (empty for models without one). */
  penalty?: readonly number[];
  /** Training seconds per epoch. */
  epochSeconds?: readonly number[];
}

/** A PNG figure of the report. */
export interface ReportFigure {
  /** Heading, e.g. `Reconstructions`. */
  title: string;
  /** The PNG file's bytes (as `renderGrid` returns them); or `svg`. */
  png?: Uint8Array;
  /** An SVG document's text (a chart), shown inline; or `png`. */
  svg?: string;
  /** A sentence under the figure. */
  caption?: string;
}

/** Options of {@link reportHtml}. */
export interface ReportOptions {
  /** The trained model (or its configuration). */
  model: ReportModel;
  /** Its training history. */
  history: ReportHistory;
  /** Figures, in order, e.g. reconstructions and code maps. */
  figures?: ReportFigure[];
  /** Training samples per epoch; gives the samples per second. */
  trainSamples?: number;
  /** Which data it trained on, e.g. `describeData(data)`: shown under the title. */
  data?: string;
  /** More key numbers or facts, in order, e.g. `{ optimizer: "adam" }`; `undefined` ones are left out. */
  details?: Record<string, string | number | undefined>;
  /** Page title (default `Autoencoder “<name>”`). */
  title?: string;
}

// ---------------------------------------------------------------------------
// Curves

/**
 * The loss curves: training loss and, when there is one, validation loss, per
 * epoch (one point each, epochs counted from 1), as Keras users plot `history`.
 *
 * @param history Losses per epoch.
 * @param options `standalone: false` to inline the SVG in HTML.
 * @returns The SVG document's text.
 *
 * @example
 * ```ts
 * import { lossCurvesSvg } from "./report.ts";
 * const svg = lossCurvesSvg({ loss: [0.3, 0.2, 0.15], valLoss: [0.25, 0.18, 0.14] });
 * console.assert(svg.includes('data-series="val_loss"'));
 * ```
 */
export function lossCurvesSvg(history: ReportHistory, options: SvgOptions = {}): string {
  checkHistory(history);
  const series: Series[] = [{ name: "loss", values: history.loss, color: "#1e88e5" }];
  if (history.valLoss?.length) {
    series.push({ name: "val_loss", values: history.valLoss, color: "#fb8c00" });
  }
  return lineChart("Binary cross-entropy per epoch", series, options);
}

function checkHistory(history: ReportHistory): void {
  if (!history?.loss?.length) {
    throw new AutoencoderError(
      "Cannot draw the report: the history holds no epoch; train the model first",
    );
  }
}

// ---------------------------------------------------------------------------
// The page

/**
 * Base64 of bytes (browser, Deno and Node alike).
 *
 * @param bytes The bytes.
 * @returns Their base64 text.
 */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #f5f7fa; color: #212121;
  font: 15px/1.5 "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 0 0 12px; }
.lede { color: #546e7a; margin: 0 0 20px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px; padding: 18px 22px;
  margin: 0 0 20px; }
.numbers { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px;
  margin: 0; }
.numbers div { background: #f5f7fa; border-radius: 6px; padding: 8px 12px; }
.numbers dt { font-size: 12px; color: #607d8b; text-transform: uppercase; letter-spacing: .04em; }
.numbers dd { margin: 2px 0 0; font-size: 17px; font-weight: bold; overflow-wrap: anywhere; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg { max-width: 100%; height: auto; }
figure { margin: 0 0 18px; }
figure img { image-rendering: pixelated; width: 100%; height: auto; display: block;
  border-radius: 4px; }
figcaption { color: #546e7a; font-size: 13px; margin-top: 6px; }
table { border-collapse: collapse; font: 13px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
th, td { text-align: left; padding: 4px 14px 4px 0; border-bottom: 1px solid #eceff1; }
th { color: #546e7a; font-weight: normal; border-bottom: 1px solid #b0bec5; }
td.num, th.num { text-align: right; }
tr.encoder td:first-child { border-left: 4px solid #1e88e5; padding-left: 8px; }
tr.decoder td:first-child { border-left: 4px solid #fb8c00; padding-left: 8px; }
tr.input td:first-child { border-left: 4px solid #78909c; padding-left: 8px; }
tfoot td { border: 0; padding-top: 8px; }
details { margin-top: 12px; }
summary { cursor: pointer; color: #1565c0; }
.architecture { overflow-x: auto; }
footer { color: #90a4ae; font-size: 12px; text-align: center; }
`;

/** The key numbers: epochs, losses, speed, parameters, shapes, then `details`. */
function keyNumbers(
  options: ReportOptions,
  rows: LayerRow[],
  totalParams: number,
): [string, string][] {
  const { history, trainSamples, details = {} } = options;
  const config = configOf(options.model);
  const valLoss = history.valLoss ?? [];
  const penalty = history.penalty ?? [];
  const seconds = (history.epochSeconds ?? []).reduce((a, b) => a + b, 0);
  const numbers: [string, string][] = [["epochs", String(history.loss.length)]];
  numbers.push(["final loss", fmt(history.loss.at(-1)!)]);
  if (valLoss.length) {
    numbers.push(["final val_loss", fmt(valLoss.at(-1)!)]);
    const best = valLoss.reduce((b, v, i) => (v < valLoss[b] ? i : b), 0);
    numbers.push(["best val_loss", `${fmt(valLoss[best])} (epoch ${best + 1})`]);
  }
  if (penalty.length) numbers.push(["final penalty", fmt(penalty.at(-1)!)]);
  if (seconds > 0) {
    numbers.push(["training time", `${seconds.toFixed(1)} s`]);
    if (trainSamples) {
      const perEpoch = history.epochSeconds!.length;
      numbers.push(["samples / s", fmtInt(Math.round((trainSamples * perEpoch) / seconds))]);
    }
  }
  numbers.push(["parameters", fmtInt(totalParams)]);
  numbers.push(["input → code", `${shapeText(config.inputShape)} → ${codeText(rows, config)}`]);
  for (const [key, value] of Object.entries(details)) {
    if (value !== undefined) {
      numbers.push([key, typeof value === "number" ? fmtNumber(value) : value]);
    }
  }
  return numbers;
}

/** The loss curves, and the activity penalty's for models with one. */
function charts(history: ReportHistory): string[] {
  const penalty = history.penalty ?? [];
  const out = [lossCurvesSvg(history, { standalone: false })];
  if (penalty.length) {
    out.push(lineChart(
      "Activity penalty per epoch (included in loss)",
      [{ name: "penalty", values: penalty, color: "#43a047" }],
      { standalone: false },
    ));
  }
  return out;
}

/** The figures, each a heading, the PNG as a `data:` URI and its caption. */
function figuresHtml(figures: ReportFigure[]): string[] {
  return figures.map((f) => {
    const caption = f.caption ? `<figcaption>${esc(f.caption)}</figcaption>` : "";
    if (!f.png) return `<figure><h2>${esc(f.title)}</h2>${f.svg ?? ""}${caption}</figure>`;
    const { width } = pngInfo(f.png, f.title);
    return `<figure><h2>${esc(f.title)}</h2>` +
      `<img src="data:image/png;base64,${base64(f.png)}" alt="${esc(f.title)}" ` +
      `style="max-width: ${Math.max(width, Math.min(2 * width, 1016))}px">${caption}</figure>`;
  });
}

/** The per-epoch table: its head row and one row per epoch. */
function epochTable(history: ReportHistory): { head: string; rows: string[] } {
  const valLoss = history.valLoss ?? [];
  const penalty = history.penalty ?? [];
  const rows = history.loss.map((loss, i) =>
    `<tr><td class="num">${i + 1}</td><td class="num">${fmt(loss)}</td>` +
    (valLoss.length
      ? `<td class="num">${valLoss[i] === undefined ? "" : fmt(valLoss[i])}</td>`
      : "") +
    (penalty.length
      ? `<td class="num">${penalty[i] === undefined ? "" : fmt(penalty[i])}</td>`
      : "") +
    (history.epochSeconds?.length
      ? `<td class="num">${history.epochSeconds[i]?.toFixed(2) ?? ""}</td>`
      : "") +
    `</tr>`
  );
  const head = `<tr><th class="num">epoch</th><th class="num">loss</th>` +
    (valLoss.length ? `<th class="num">val_loss</th>` : "") +
    (penalty.length ? `<th class="num">penalty</th>` : "") +
    (history.epochSeconds?.length ? `<th class="num">seconds</th>` : "") + `</tr>`;
  return { head, rows };
}

/** The sentence under the title: epochs, and the data when known. */
function lede({ history, data, trainSamples }: ReportOptions): string {
  const epochs = history.loss.length;
  return `<p class="lede">Trained for ${epochs} epoch${epochs === 1 ? "" : "s"}${
    data ? ` on ${trainSamples ? `${fmtInt(trainSamples)} images of ` : ""}${esc(data)},` : ""
  } on ONNX Runtime with <b>@autoencoders/onnx</b>.</p>`;
}

/**
 * One self-contained HTML page about a trained model: key numbers (epochs,
 * final and best losses, samples per second, parameters, and any `details`), the
 * loss curves (and the activity penalty's, for models with one), the figures,
 * the summary table and the architecture diagram. Images are embedded as
 * `data:` URIs; nothing is fetched, so the file renders offline.
 *
 * @param options Model, history, figures, samples per epoch, details, title.
 * @returns The page's HTML (write it as `report.html`).
 *
 * @example
 * ```ts
 * import { Dense } from "../nn/layers.ts";
 * import { renderGrid } from "./grid.ts";
 * import { reportHtml } from "./report.ts";
 * const png = await renderGrid([new Float32Array(784).fill(0.5)]);
 * const html = reportHtml({
 *   model: { name: "tiny", inputShape: [784], encoder: [new Dense(32, "relu")], decoder: [new Dense(784, "sigmoid")] },
 *   history: { loss: [0.2], valLoss: [0.18], penalty: [], epochSeconds: [2] },
 *   figures: [{ title: "Reconstructions", png, caption: "Originals above, reconstructions below" }],
 *   trainSamples: 60000,
 *   details: { optimizer: "adam" },
 * });
 * console.assert(html.includes("data:image/png;base64,"));
 * ```
 */
export function reportHtml(options: ReportOptions): string {
  const { model, history } = options;
  checkHistory(history);
  const title = options.title ?? `Autoencoder “${configOf(model).name ?? "autoencoder"}”`;
  const rows = layerRows(model);
  const totalParams = rows.reduce((n, r) => n + r.params, 0);
  const numbers = keyNumbers(options, rows, totalParams);
  const chartSvgs = charts(history);
  const figureHtml = figuresHtml(options.figures ?? []);
  const epochs = epochTable(history);
  const summaryRows = rows.map((r) =>
    `<tr class="${r.part}"><td>${esc(`${r.name} (${r.type})`)}</td><td>${esc(r.output)}</td>` +
    `<td>${esc(r.activation ?? "")}</td><td class="num">${fmtInt(r.params)}</td></tr>`
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
${lede(options)}
<section aria-label="Key numbers"><dl class="numbers">
${numbers.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join("\n")}
</dl></section>
<section><h2>Loss curves</h2><div class="charts">
${chartSvgs.join("\n")}
</div>
<details><summary>Per-epoch numbers</summary><table>
<thead>${epochs.head}</thead><tbody>
${epochs.rows.join("\n")}
</tbody></table></details></section>
${figureHtml.length ? `<section>\n${figureHtml.join("\n")}\n</section>` : ""}
<section><h2>Model summary</h2><table>
<thead><tr><th>Layer (type)</th><th>Output shape</th><th>Activation</th><th class="num">Param #</th></tr></thead>
<tbody>
${summaryRows.join("\n")}
</tbody>
<tfoot><tr><td colspan="3">Total params (all trainable)</td><td class="num">${
    fmtInt(totalParams)
  }</td></tr></tfoot>
</table></section>
<section class="architecture"><h2>Architecture</h2>
${architectureSvg(model, { standalone: false })}
</section>
<footer>Generated by @autoencoders/onnx. This file is self-contained and renders offline.</footer>
</main>
</body>
</html>
`;
}

function codeText(rows: LayerRow[], config: Architecture): string {
  return rows[config.encoder.length].output;
}

function fmtNumber(v: number): string {
  if (Number.isInteger(v)) return fmtInt(v);
  return Math.abs(v) >= 100 ? fmtInt(Math.round(v)) : v.toPrecision(4);
}
