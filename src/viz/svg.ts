/**
 * What the report's SVG figures share: escaping, fonts, the opening tag and
 * number formats.
 *
 * @module
 */

import { printable } from "../errors.ts";

/** Options of the SVG functions. */
export interface SvgOptions {
  /**
   * Include the `xmlns` attribute, which a standalone `.svg` file needs and an SVG
   * inlined in HTML does not (default true).
   */
  standalone?: boolean;
}

/**
 * Escapes text for XML and HTML content and attribute values (control characters as `\u` escapes).
 *
 * @param text The text or number.
 * @returns The escaped text.
 */
export function esc(text: string | number): string {
  return printable(String(text)).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

const SVG_NS = "http://www.w3.org/2000/svg";
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
/** The monospace fonts of the diagram's text. */
export const MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace";
/** Advance of one monospace character at 12px (DejaVu Sans Mono: 0.602 em). */
export const MONO_CHAR = 7.3;

/**
 * The opening `<svg>` tag of a figure.
 *
 * @param width Width in pixels.
 * @param height Height in pixels.
 * @param label Its accessible name.
 * @param options `standalone: false` leaves out the namespace.
 * @returns The tag.
 */
export function svgOpen(
  width: number,
  height: number,
  label: string,
  options: SvgOptions,
): string {
  const ns = options.standalone === false ? "" : ` xmlns="${SVG_NS}"`;
  return `<svg${ns} width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-label="${esc(label)}" font-family="${FONT}" font-size="12">`;
}

/**
 * A loss as the report shows it: four decimals (or `NaN`, `Infinity`).
 *
 * @param v The number.
 * @returns Its text.
 */
export function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

/**
 * A count with thousands separators.
 *
 * @param n The number.
 * @returns Its text.
 */
export function fmtInt(n: number): string {
  return n.toLocaleString("en-US");
}
