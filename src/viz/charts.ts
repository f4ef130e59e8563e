/**
 * A line chart as SVG: one point per epoch for each series, "nice" axis steps, a
 * legend, and each point's value as its tooltip.
 *
 * @module
 */

import { esc, fmt, svgOpen, type SvgOptions } from "./svg.ts";

/** One line of a chart. */
export interface Series {
  /** Its name in the legend and tooltips, e.g. `val_loss`. */
  name: string;
  /** One value per epoch (non-finite ones are left out). */
  values: readonly number[];
  /** Its CSS colour. */
  color: string;
}

/** A "nice" step (1, 2 or 5 times a power of ten) giving about `count` intervals. */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power;
}

const width = 480, height = 280;
const left = 64, right = 20, top = 48, bottom = 44;
const plotW = width - left - right, plotH = height - top - bottom;

/** Rounds a coordinate to a tenth of a pixel. */
const r = (v: number) => Math.round(v * 10) / 10;

/** The axes' ranges and the maps from epoch and value to pixels. */
interface Frame {
  epochs: number;
  lo: number;
  hi: number;
  step: number;
  x: (epoch: number) => number;
  y: (v: number) => number;
}

function frame(series: Series[]): Frame {
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
  const x = (epoch: number) =>
    left + (epochs === 1 ? plotW / 2 : ((epoch - 1) / (epochs - 1)) * plotW);
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * plotH;
  return { epochs, lo, hi, step, x, y };
}

/** The value grid lines and labels, the epoch ticks and labels, and the axes. */
function axes({ epochs, lo, hi, step, x, y }: Frame): string[] {
  const out: string[] = [];
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
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
  return out;
}

/** The legend, right-aligned above the plot. */
function legend(series: Series[]): string[] {
  const out: string[] = [];
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
  return out;
}

/** A series' line and its points, each with its value as a tooltip. */
function line(s: Series, { x, y }: Frame): string[] {
  const points = s.values.map((v, i) => [i + 1, v] as const).filter(([, v]) => Number.isFinite(v));
  const out = [
    `<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${s.color}" ` +
    `stroke-width="2" stroke-linejoin="round" points="${
      points.map(([e, v]) => `${r(x(e))},${r(y(v))}`).join(" ")
    }"/>`,
  ];
  for (const [e, v] of points) {
    out.push(
      `<circle data-series="${esc(s.name)}" cx="${r(x(e))}" cy="${r(y(v))}" r="3" ` +
        `fill="${s.color}"><title>${esc(s.name)}, epoch ${e}: ${fmt(v)}</title></circle>`,
    );
  }
  return out;
}

/**
 * A line chart of per-epoch values.
 *
 * @param title The chart's title and accessible name.
 * @param series The lines, in the legend's order.
 * @param options `standalone: false` to inline the SVG in HTML.
 * @returns The SVG document's text.
 */
export function lineChart(title: string, series: Series[], options: SvgOptions): string {
  const f = frame(series);
  return [
    svgOpen(width, height, title, options),
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...axes(f),
    ...legend(series),
    ...series.flatMap((s) => line(s, f)),
    "</svg>",
  ].join("\n");
}

/**
 * A histogram of scores, 40 bins, with the threshold as a red line.
 *
 * @param scores The scores.
 * @param threshold The threshold, if any.
 * @returns The SVG document's text (it can be inlined in HTML).
 *
 * @example
 * ```ts
 * import { histogramSvg } from "./charts.ts";
 * const svg = histogramSvg(new Float64Array([0.1, 0.2, 0.2, 0.9]), 0.5);
 * console.assert(svg.includes("threshold 0.5000"));
 * ```
 */
export function histogramSvg(scores: Float64Array, threshold?: number): string {
  const [W, H, pad, bins] = [640, 200, 30, 40];
  let [lo, hi] = [Infinity, -Infinity];
  for (const s of [...scores, ...(threshold === undefined ? [] : [threshold])]) {
    [lo, hi] = [Math.min(lo, s), Math.max(hi, s)];
  }
  const width = (hi - lo) / bins || 1;
  const counts = new Array(bins).fill(0);
  for (const s of scores) counts[Math.min(bins - 1, Math.floor((s - lo) / width))]++;
  const most = Math.max(...counts);
  const x = (v: number) => pad + ((v - lo) / (width * bins)) * (W - 2 * pad);
  const bars = counts.map((n, i) => {
    const h = (n / most) * (H - 2 * pad);
    return `<rect x="${fmt(x(lo + i * width))}" y="${fmt(H - pad - h)}" width="${
      fmt((W - 2 * pad) / bins - 1)
    }" height="${fmt(h)}" fill="#4a7ab7"/>`;
  });
  const line = threshold === undefined
    ? ""
    : `<line x1="${fmt(x(threshold))}" x2="${fmt(x(threshold))}" y1="${pad / 2}" y2="${
      H - pad
    }" stroke="#c33" stroke-width="2"/><text x="${
      fmt(x(threshold) + 4)
    }" y="${pad}" font-size="12" fill="#c33">threshold ${esc(threshold.toPrecision(4))}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${
    bars.join("")
  }${line}<text x="${pad}" y="${H - 8}" font-size="12">${esc(lo.toPrecision(3))}</text><text x="${
    W - pad
  }" y="${H - 8}" font-size="12" text-anchor="end">${esc(hi.toPrecision(3))}</text></svg>`;
}
