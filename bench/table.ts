/**
 * Plain-text tables and number formatting of the bench commands.
 *
 * @module
 */

/**
 * A text table: the first `left` columns left-aligned, the rest right-aligned.
 *
 * @param head Column titles.
 * @param rows Cells.
 * @param left How many leading columns are left-aligned.
 * @returns The table's lines.
 */
export function table(head: string[], rows: string[][], left = 2): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => c < left ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A number with `digits` decimals and thousands separators; "-" for none. */
export const fmt = (x: number | undefined, digits = 1): string =>
  x === undefined ? "-" : x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
