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

import { AutoencoderError, printable } from "../errors.ts";
import { type Architecture, placeLayers } from "../nn/architecture.ts";
import { pngInfo } from "./png.ts";

/** A model to report on: an `Autoencoder` (anything with a `config`) or its configuration. */
export type ReportModel =
  | { readonly config: Architecture & { readonly name?: string } }
  | (Architecture & { readonly name?: string });

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
  /** The PNG file's bytes (as `renderGrid` returns them). */
  png: Uint8Array;
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

/** Options of the SVG functions. */
export interface SvgOptions {
  /**
   * Include the `xmlns` attribute, which a standalone `.svg` file needs and an SVG
   * inlined in HTML does not (default true).
   */
  standalone?: boolean;
}

// ---------------------------------------------------------------------------
// Layers

interface LayerRow {
  name: string;
  type: string;
  activation?: string;
  input?: string;
  output: string;
  params: number;
  part: "input" | "encoder" | "decoder";
}

function configOf(model: ReportModel): Architecture & { readonly name?: string } {
  return "config" in model ? model.config : model;
}

const shapeText = (shape: readonly number[]) => `[${["N", ...shape].join(", ")}]`;

function layerRows(model: ReportModel): LayerRow[] {
  const arch = configOf(model);
  const rows: LayerRow[] = [{
    name: "input",
    type: "InputLayer",
    output: shapeText(arch.inputShape),
    params: 0,
    part: "input",
  }];
  for (const { name, layer, input, output, paramCount } of placeLayers(arch)) {
    rows.push({
      name,
      type: layer.type,
      activation: layer.activation === "linear" ? undefined : layer.activation,
      input: shapeText(input),
      output: shapeText(output),
      params: paramCount,
      part: name.startsWith("encoder") ? "encoder" : "decoder",
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------
// Text helpers

/** Escapes text for XML and HTML content and attribute values (control characters as `\u` escapes). */
function esc(text: string | number): string {
  return printable(String(text)).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

const SVG_NS = "http://www.w3.org/2000/svg";
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
const MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace";
/** Advance of one monospace character at 12px (DejaVu Sans Mono: 0.602 em). */
const MONO_CHAR = 7.3;

function svgOpen(width: number, height: number, label: string, options: SvgOptions): string {
  const ns = options.standalone === false ? "" : ` xmlns="${SVG_NS}"`;
  return `<svg${ns} width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-label="${esc(label)}" font-family="${FONT}" font-size="12">`;
}

const fmt = (v: number) => Number.isFinite(v) ? v.toFixed(4) : String(v);

const fmtInt = (n: number) => n.toLocaleString("en-US");

// ---------------------------------------------------------------------------
// Architecture diagram

const PART_STYLE = {
  input: { fill: "#eceff1", stroke: "#78909c" },
  encoder: { fill: "#e3f2fd", stroke: "#1e88e5" },
  decoder: { fill: "#fff3e0", stroke: "#fb8c00" },
} as const;

/**
 * The architecture as a diagram, as Keras' `plot_model(show_shapes=True)` draws
 * it: one box per layer, top to bottom, each with its name, type, activation,
 * parameter count and input and output shapes, arrows between; encoder layers
 * blue, decoder layers orange, the code's shape on the arrow between them.
 *
 * @param model The model or its configuration.
 * @param options `standalone: false` to inline the SVG in HTML.
 * @returns The SVG document's text (write it as `architecture.svg`).
 *
 * @example
 * ```ts
 * import { Dense } from "../nn/layers.ts";
 * import { architectureSvg } from "./report.ts";
 * const svg = architectureSvg({
 *   inputShape: [784],
 *   encoder: [new Dense(32, "relu")],
 *   decoder: [new Dense(784, "sigmoid")],
 * });
 * console.assert(svg.includes("encoder.0: Dense") && svg.includes("[N, 32]"));
 * ```
 */
export function architectureSvg(model: ReportModel, options: SvgOptions = {}): string {
  const rows = layerRows(model);
  const name = configOf(model).name;
  const titles = rows.map((r) => `${r.name}: ${r.type}`);
  const subtitles = rows.map((r) =>
    [r.activation, r.part === "input" ? undefined : `${fmtInt(r.params)} params`]
      .filter(Boolean).join(" · ")
  );
  const shapes = rows.map((r) => [r.input && `input:  ${r.input}`, `output: ${r.output}`]);
  const leftW = Math.ceil(
    Math.max(...titles.map((t) => t.length), ...subtitles.map((s) => s.length)) * MONO_CHAR + 24,
  );
  const rightW = Math.ceil(
    Math.max(...shapes.flat().map((s) => (s ?? "").length)) * MONO_CHAR + 24,
  );
  const boxH = 46, gap = 30, margin = 16, top = name ? 72 : 46;
  const boxW = leftW + rightW;
  const width = boxW + 2 * margin;
  const height = top + rows.length * boxH + (rows.length - 1) * gap + margin;
  const x0 = margin;
  const out: string[] = [
    svgOpen(width, height, `Architecture${name ? ` of ${name}` : ""}`, options),
    `<defs><marker id="ae-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" ` +
    `markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#455a64"/>` +
    `</marker></defs>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (name) {
    out.push(`<text x="${x0}" y="24" font-size="15" font-weight="bold">${esc(name)}</text>`);
  }
  // legend
  let lx = x0;
  const ly = top - 20;
  for (const part of ["encoder", "decoder"] as const) {
    const s = PART_STYLE[part];
    out.push(
      `<rect x="${lx}" y="${
        ly - 10
      }" width="12" height="12" fill="${s.fill}" stroke="${s.stroke}"/>`,
      `<text x="${lx + 17}" y="${ly}">${part}</text>`,
    );
    lx += 90;
  }
  rows.forEach((row, i) => {
    const y = top + i * (boxH + gap);
    const s = PART_STYLE[row.part];
    out.push(
      `<g class="layer" data-name="${esc(row.name)}" data-part="${row.part}">`,
      `<rect x="${x0}" y="${y}" width="${boxW}" height="${boxH}" rx="4" fill="${s.fill}" ` +
        `stroke="${s.stroke}" stroke-width="1.5"/>`,
      `<line x1="${x0 + leftW}" y1="${y}" x2="${x0 + leftW}" y2="${
        y + boxH
      }" stroke="${s.stroke}"/>`,
      `<text x="${x0 + 12}" y="${y + (subtitles[i] ? 19 : 28)}" font-family="${MONO}" ` +
        `font-weight="bold">${esc(titles[i])}</text>`,
    );
    if (subtitles[i]) {
      out.push(
        `<text x="${x0 + 12}" y="${y + 36}" font-family="${MONO}" fill="#546e7a">${
          esc(subtitles[i])
        }</text>`,
      );
    }
    const lines = shapes[i].filter((l): l is string => Boolean(l));
    lines.forEach((line, k) => {
      const ty = y + (lines.length === 1 ? 28 : 19 + 17 * k);
      out.push(
        `<text x="${x0 + leftW + 12}" y="${ty}" font-family="${MONO}" xml:space="preserve">${
          esc(line)
        }</text>`,
      );
    });
    out.push("</g>");
    if (i < rows.length - 1) {
      const cx = x0 + boxW / 2;
      out.push(
        `<line x1="${cx}" y1="${y + boxH}" x2="${cx}" y2="${y + boxH + gap - 1}" ` +
          `stroke="#455a64" stroke-width="1.5" marker-end="url(#ae-arrow)"/>`,
      );
      if (row.part === "encoder" && rows[i + 1].part === "decoder") {
        out.push(
          `<text x="${cx + 10}" y="${y + boxH + gap / 2 + 4}" font-style="italic" ` +
            `fill="#37474f">code ${esc(row.output)}</text>`,
        );
      }
    }
  });
  out.push("</svg>");
  return out.join("\n");
}

// ---------------------------------------------------------------------------
// Curves

interface Series {
  name: string;
  values: readonly number[];
  color: string;
}

/** A "nice" step (1, 2 or 5 times a power of ten) giving about `count` intervals. */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power;
}

function lineChart(title: string, series: Series[], options: SvgOptions): string {
  const width = 480, height = 280;
  const left = 64, right = 20, top = 48, bottom = 44;
  const epochs = Math.max(...series.map((s) => s.values.length));
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  let lo = Math.min(...finite), hi = Math.max(...finite);
  if (!finite.length) [lo, hi] = [0, 1];
  if (hi - lo < 1e-12) {
    [lo, hi] = [lo - (Math.abs(lo) * 0.1 || 0.5), hi + (Math.abs(hi) * 0.1 || 0.5)];
  }
  const step = niceStep(hi - lo, 5);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const plotW = width - left - right, plotH = height - top - bottom;
  const x = (epoch: number) =>
    left + (epochs === 1 ? plotW / 2 : ((epoch - 1) / (epochs - 1)) * plotW);
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * plotH;
  const r = (v: number) => Math.round(v * 10) / 10;
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  const out: string[] = [
    svgOpen(width, height, title, options),
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let k = 0; lo + k * step <= hi + step / 1e6; k++) {
    const v = lo + k * step;
    out.push(
      `<line x1="${left}" y1="${r(y(v))}" x2="${width - right}" y2="${r(y(v))}" stroke="#e0e0e0"/>`,
      `<text x="${left - 8}" y="${r(y(v)) + 4}" text-anchor="end" fill="#555">${
        v.toFixed(digits)
      }</text>`,
    );
  }
  const xStep = Math.max(1, Math.ceil(niceStep(Math.max(1, epochs - 1), 8)));
  for (let e = 1; e <= epochs; e += e === 1 && xStep > 1 ? xStep - 1 : xStep) {
    out.push(
      `<line x1="${r(x(e))}" y1="${top + plotH}" x2="${r(x(e))}" y2="${
        top + plotH + 5
      }" stroke="#555"/>`,
      `<text x="${r(x(e))}" y="${top + plotH + 18}" text-anchor="middle" fill="#555">${e}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${
      top + plotH
    }" stroke="#555"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#555"/>`,
    `<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="#333">epoch</text>`,
  );
  let legendX = width - right;
  for (const s of [...series].reverse()) {
    legendX -= s.name.length * 7 + 34;
    out.push(
      `<line x1="${legendX}" y1="34" x2="${
        legendX + 20
      }" y2="34" stroke="${s.color}" stroke-width="2.5"/>`,
      `<text x="${legendX + 25}" y="38">${esc(s.name)}</text>`,
    );
  }
  for (const s of series) {
    const points = s.values.map((v, i) => [i + 1, v] as const).filter(([, v]) =>
      Number.isFinite(v)
    );
    out.push(
      `<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${s.color}" ` +
        `stroke-width="2" stroke-linejoin="round" points="${
          points.map(([e, v]) => `${r(x(e))},${r(y(v))}`).join(" ")
        }"/>`,
    );
    for (const [e, v] of points) {
      out.push(
        `<circle data-series="${esc(s.name)}" cx="${r(x(e))}" cy="${r(y(v))}" r="3" ` +
          `fill="${s.color}"><title>${esc(s.name)}, epoch ${e}: ${fmt(v)}</title></circle>`,
      );
    }
  }
  out.push("</svg>");
  return out.join("\n");
}

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
function base64(bytes: Uint8Array): string {
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
  const { model, history, figures = [], trainSamples, details = {} } = options;
  checkHistory(history);
  const config = configOf(model);
  const name = config.name ?? "autoencoder";
  const title = options.title ?? `Autoencoder “${name}”`;
  const rows = layerRows(model);
  const totalParams = rows.reduce((n, r) => n + r.params, 0);
  const epochs = history.loss.length;
  const valLoss = history.valLoss ?? [];
  const penalty = history.penalty ?? [];
  const seconds = (history.epochSeconds ?? []).reduce((a, b) => a + b, 0);

  const numbers: [string, string][] = [["epochs", String(epochs)]];
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

  const charts = [lossCurvesSvg(history, { standalone: false })];
  if (penalty.length) {
    charts.push(lineChart(
      "Activity penalty per epoch (included in loss)",
      [{ name: "penalty", values: penalty, color: "#43a047" }],
      { standalone: false },
    ));
  }

  const figureHtml = figures.map((f) => {
    const { width } = pngInfo(f.png, f.title);
    return `<figure><h2>${esc(f.title)}</h2>` +
      `<img src="data:image/png;base64,${base64(f.png)}" alt="${esc(f.title)}" ` +
      `style="max-width: ${Math.max(width, Math.min(2 * width, 1016))}px">` +
      (f.caption ? `<figcaption>${esc(f.caption)}</figcaption>` : "") + `</figure>`;
  });

  const epochRows = history.loss.map((loss, i) =>
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
  const epochHead = `<tr><th class="num">epoch</th><th class="num">loss</th>` +
    (valLoss.length ? `<th class="num">val_loss</th>` : "") +
    (penalty.length ? `<th class="num">penalty</th>` : "") +
    (history.epochSeconds?.length ? `<th class="num">seconds</th>` : "") + `</tr>`;

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
<p class="lede">Trained for ${epochs} epoch${epochs === 1 ? "" : "s"}${
    options.data
      ? ` on ${trainSamples ? `${fmtInt(trainSamples)} images of ` : ""}${esc(options.data)},`
      : ""
  } on ONNX Runtime with <b>@autoencoders/onnx</b>.</p>
<section aria-label="Key numbers"><dl class="numbers">
${numbers.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join("\n")}
</dl></section>
<section><h2>Loss curves</h2><div class="charts">
${charts.join("\n")}
</div>
<details><summary>Per-epoch numbers</summary><table>
<thead>${epochHead}</thead><tbody>
${epochRows.join("\n")}
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
