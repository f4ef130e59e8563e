/**
 * Text tables and number formatting of the benchmark's output.
 *
 * @module
 */

/**
 * A text table: a header, a rule, the rows; the first `left` columns left-aligned,
 * the others right-aligned.
 *
 * @param head Column titles.
 * @param rows Cells, one array per row.
 * @param left Left-aligned columns.
 * @returns The table's lines joined.
 */
export function table(head: string[], rows: string[][], left = 2): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => c < left ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * A number with thousands separators and `digits` decimals; `-` when absent.
 *
 * @param x The number.
 * @param digits Decimals.
 * @returns Its text.
 */
export const fmt = (x: number | undefined, digits = 1): string =>
  x === undefined ? "-" : x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
