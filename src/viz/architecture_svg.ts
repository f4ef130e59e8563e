/**
 * The architecture diagram (the equivalent of Keras' `plot_model` figure) as SVG,
 * and the layer rows the report's summary table shares with it.
 *
 * @module
 */

import { type Architecture, placeLayers } from "../nn/architecture.ts";
import { esc, fmtInt, MONO, MONO_CHAR, svgOpen, type SvgOptions } from "./svg.ts";

/** A model to report on: an `Autoencoder` (anything with a `config`) or its configuration. */
export type ReportModel =
  | { readonly config: Architecture & { readonly name?: string } }
  | (Architecture & { readonly name?: string });

/** One layer as the report shows it. */
export interface LayerRow {
  /** Its name, e.g. `encoder.0`. */
  name: string;
  /** Its type, e.g. `Dense`. */
  type: string;
  /** Its activation, unless linear. */
  activation?: string;
  /** Its input shape's text (none for the input row). */
  input?: string;
  /** Its output shape's text. */
  output: string;
  /** Its parameter count. */
  params: number;
  /** Which part of the model it is in. */
  part: "input" | "encoder" | "decoder";
}

/**
 * The architecture of a model to report on.
 *
 * @param model The model or its configuration.
 * @returns Its configuration.
 */
export function configOf(model: ReportModel): Architecture & { readonly name?: string } {
  return "config" in model ? model.config : model;
}

/**
 * A shape's text with its batch axis, e.g. `[N, 32]`.
 *
 * @param shape The shape of one sample.
 * @returns The text.
 */
export function shapeText(shape: readonly number[]): string {
  return `[${["N", ...shape].join(", ")}]`;
}

/**
 * The input and every layer, in order.
 *
 * @param model The model or its configuration.
 * @returns One row each.
 */
export function layerRows(model: ReportModel): LayerRow[] {
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

const PART_STYLE = {
  input: { fill: "#eceff1", stroke: "#78909c" },
  encoder: { fill: "#e3f2fd", stroke: "#1e88e5" },
  decoder: { fill: "#fff3e0", stroke: "#fb8c00" },
} as const;

/** The diagram's rows, texts and measures. */
interface Layout {
  name?: string;
  rows: LayerRow[];
  titles: string[];
  subtitles: string[];
  shapes: (string | undefined)[][];
  leftW: number;
  boxW: number;
  boxH: number;
  gap: number;
  top: number;
  x0: number;
  width: number;
  height: number;
}

function layout(model: ReportModel): Layout {
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
  return {
    name,
    rows,
    titles,
    subtitles,
    shapes,
    leftW,
    boxW,
    boxH,
    gap,
    top,
    x0: margin,
    width,
    height,
  };
}

/** The diagram's heading: the model's name, if any, and the encoder and decoder legend. */
function heading({ name, x0, top }: Layout): string[] {
  const out: string[] = [];
  if (name) {
    out.push(`<text x="${x0}" y="24" font-size="15" font-weight="bold">${esc(name)}</text>`);
  }
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
  return out;
}

/** Row `i`'s box: name and type, activation and parameters, input and output shapes. */
function layerBox(l: Layout, i: number): string[] {
  const { x0, leftW, boxW, boxH, subtitles } = l;
  const row = l.rows[i];
  const y = l.top + i * (boxH + l.gap);
  const s = PART_STYLE[row.part];
  const out = [
    `<g class="layer" data-name="${esc(row.name)}" data-part="${row.part}">`,
    `<rect x="${x0}" y="${y}" width="${boxW}" height="${boxH}" rx="4" fill="${s.fill}" ` +
    `stroke="${s.stroke}" stroke-width="1.5"/>`,
    `<line x1="${x0 + leftW}" y1="${y}" x2="${x0 + leftW}" y2="${y + boxH}" stroke="${s.stroke}"/>`,
    `<text x="${x0 + 12}" y="${y + (subtitles[i] ? 19 : 28)}" font-family="${MONO}" ` +
    `font-weight="bold">${esc(l.titles[i])}</text>`,
  ];
  if (subtitles[i]) {
    out.push(
      `<text x="${x0 + 12}" y="${y + 36}" font-family="${MONO}" fill="#546e7a">${
        esc(subtitles[i])
      }</text>`,
    );
  }
  const lines = l.shapes[i].filter((line): line is string => Boolean(line));
  lines.forEach((line, k) => {
    const ty = y + (lines.length === 1 ? 28 : 19 + 17 * k);
    out.push(
      `<text x="${x0 + leftW + 12}" y="${ty}" font-family="${MONO}" xml:space="preserve">${
        esc(line)
      }</text>`,
    );
  });
  out.push("</g>");
  return out;
}

/** The arrow from row `i` to the next, with the code's shape where the decoder starts. */
function arrow(l: Layout, i: number): string[] {
  const { rows, boxH, gap } = l;
  const y = l.top + i * (boxH + gap);
  const cx = l.x0 + l.boxW / 2;
  const out = [
    `<line x1="${cx}" y1="${y + boxH}" x2="${cx}" y2="${y + boxH + gap - 1}" ` +
    `stroke="#455a64" stroke-width="1.5" marker-end="url(#ae-arrow)"/>`,
  ];
  if (rows[i].part === "encoder" && rows[i + 1].part === "decoder") {
    out.push(
      `<text x="${cx + 10}" y="${y + boxH + gap / 2 + 4}" font-style="italic" ` +
        `fill="#37474f">code ${esc(rows[i].output)}</text>`,
    );
  }
  return out;
}

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
 * import { architectureSvg } from "./architecture_svg.ts";
 * const svg = architectureSvg({
 *   inputShape: [784],
 *   encoder: [new Dense(32, "relu")],
 *   decoder: [new Dense(784, "sigmoid")],
 * });
 * console.assert(svg.includes("encoder.0: Dense") && svg.includes("[N, 32]"));
 * ```
 */
export function architectureSvg(model: ReportModel, options: SvgOptions = {}): string {
  const l = layout(model);
  const { name, width, height } = l;
  const out: string[] = [
    svgOpen(width, height, `Architecture${name ? ` of ${name}` : ""}`, options),
    `<defs><marker id="ae-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" ` +
    `markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#455a64"/>` +
    `</marker></defs>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...heading(l),
  ];
  l.rows.forEach((_, i) => {
    out.push(...layerBox(l, i));
    if (i < l.rows.length - 1) out.push(...arrow(l, i));
  });
  out.push("</svg>");
  return out.join("\n");
}
