/**
 * Numeric tables from CSV text (parsed by `csv-parse`), scaled per column:
 * browser-safe, no file access (`loadCsv` in `./files.ts` reads a file, then
 * calls {@link parseCsv}).
 *
 * @module
 */

import { parse } from "csv-parse/sync";
import { applyScaling, fitScaling, type Scaling } from "../anomaly.ts";
import { AutoencoderError, quote } from "../errors.ts";

/** Options of {@link parseCsv} and `loadCsv`. */
export interface CsvOptions {
  /** The columns to use, in this order (default: every column but the label column). */
  columns?: string[];
  /** A column to keep apart as each row's label (e.g. `"class"`), not an input. */
  labelColumn?: string;
  /**
   * How columns are scaled: `"minmax"` (default: to [0, 1] over these rows),
   * `"standard"` (zero mean, unit variance), `"none"`, or a {@link Scaling} saved
   * with a model (new rows scaled as its training rows were; its columns are used).
   */
  scale?: "minmax" | "standard" | "none" | Scaling;
}

/** A table of numbers, one sample per row. */
export interface Table {
  /** `count * columns.length` scaled values, row-major. */
  data: Float32Array;
  /** Rows. */
  count: number;
  /** The input columns, in order. */
  columns: string[];
  /** The label column's value per row, if one was named. */
  labels?: string[];
  /** The scaling applied (absent with `"none"`), to save with a model. */
  scaling?: Scaling;
}

/**
 * Parses CSV text with a header line into a scaled numeric table.
 *
 * @param text The CSV text (comma-separated, a header line first).
 * @param options Columns, label column, scaling.
 * @param source Names the source in errors (a file path).
 * @returns The table.
 * @throws {AutoencoderError} Of kind `"bad-input"` naming the row and column of a
 * missing or non-numeric value, or a column that is not in the header.
 *
 * @example
 * ```ts
 * import { parseCsv } from "./table.ts";
 * const t = parseCsv("a,b,kind\n1,10,x\n3,30,y\n", { labelColumn: "kind" });
 * console.assert(t.columns.join() === "a,b" && t.data.join() === "0,0,1,1");
 * console.assert(t.labels?.join() === "x,y" && t.scaling?.offset.join() === "1,10");
 * ```
 */
export function parseCsv(text: string, options: CsvOptions = {}, source = "CSV text"): Table {
  const cannot = `Cannot read ${quote(source)}`;
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (cause) {
    throw new AutoencoderError(`${cannot}: it is not valid CSV (${(cause as Error).message})`, {
      kind: "bad-input",
      cause,
    });
  }
  const [header, ...rows] = records;
  if (!header || rows.length === 0) {
    throw new AutoencoderError(`${cannot}: it has no data rows; pass a header line and rows`, {
      kind: "bad-input",
    });
  }
  const { labelColumn, scale = "minmax" } = options;
  const saved = typeof scale === "object" ? scale : undefined;
  const columns = saved?.columns ?? options.columns ??
    header.filter((name) => name !== labelColumn);
  const index = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) {
      throw new AutoencoderError(
        `${cannot}: it has no column ${quote(name)}; its columns are ${header.join(", ")}`,
        { kind: "bad-input" },
      );
    }
    return i;
  };
  const at = columns.map(index);
  const labelAt = labelColumn === undefined ? -1 : index(labelColumn);
  const data = new Float32Array(rows.length * columns.length);
  rows.forEach((row, r) => {
    at.forEach((i, c) => {
      const cell = row[i] ?? "";
      const value = cell === "" ? NaN : Number(cell);
      if (!Number.isFinite(value)) {
        throw new AutoencoderError(
          `${cannot}: row ${r + 1}, column ${quote(columns[c])} is ${
            cell === "" ? "missing" : `${quote(cell)}, not a number`
          }; fill in a number or leave the column out with the columns option`,
          { kind: "bad-input" },
        );
      }
      data[r * columns.length + c] = value;
    });
  });
  const scaling = saved ??
    (scale === "none" ? undefined : fitScaling(data, columns, scale as Scaling["method"]));
  if (scaling) applyScaling(data, scaling);
  const labels = labelAt < 0 ? undefined : rows.map((row) => row[labelAt] ?? "");
  return { data, count: rows.length, columns, ...(labels ? { labels } : {}), scaling };
}
