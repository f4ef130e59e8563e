/**
 * Shape arithmetic shared by shape inference, autodiff and the reference
 * interpreter: numpy broadcasting, axis normalisation, reshape resolution,
 * shape equality.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { type Dim, type Shape, showShape } from "./graph.ts";

/**
 * The numpy-broadcast shape of two shapes; symbolic dimensions broadcast only
 * against themselves or against 1.
 *
 * @param a First shape.
 * @param b Second shape.
 * @param where Names the node for the error message.
 * @returns The broadcast shape.
 */
export function broadcastShapes(a: Shape, b: Shape, where: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else {
      throw new AutoencoderError(
        `Cannot build ${where}: shapes ${showShape(a)} and ${showShape(b)} do not broadcast`,
        { kind: "bad-input" },
      );
    }
  }
  return out;
}

/**
 * Normalises possibly negative axes against a rank and checks them.
 *
 * @param axes Axes, negative counting from the end.
 * @param rank The tensor's rank.
 * @param where Names the node for the error message.
 * @returns Sorted non-negative axes.
 */
export function normalizeAxes(axes: readonly number[], rank: number, where: string): number[] {
  const out = axes.map((a) => (a < 0 ? a + rank : a));
  for (const a of out) {
    if (!Number.isInteger(a) || a < 0 || a >= rank) {
      throw new AutoencoderError(
        `Cannot build ${where}: axes [${axes}] are out of range for rank ${rank}`,
        { kind: "bad-input" },
      );
    }
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

/**
 * Resolves an ONNX Reshape target (`0` copies the input dimension, `-1` is
 * inferred) against an input shape.
 *
 * @param input The input shape.
 * @param target The requested shape, possibly with symbolic entries.
 * @param where Names the node for the error message.
 * @returns The output shape.
 */
export function resolveReshape(input: Shape, target: readonly Dim[], where: string): Dim[] {
  const out = target.map((d, i) => (d === 0 ? input[i] : d));
  const fail = () =>
    new AutoencoderError(
      `Cannot build ${where}: shape ${showShape(input)} cannot be reshaped to ${showShape(target)}`,
      { kind: "bad-input" },
    );
  if (out.some((d) => d === undefined)) throw fail();
  const inferred = out.indexOf(-1);
  // Symbolic dimensions cancel when they appear on both sides.
  const symbols = (s: readonly Dim[]) => s.filter((d) => typeof d === "string").sort().join(",");
  const numeric = (s: readonly Dim[]) =>
    s.reduce<number>((p, d) => (typeof d === "number" && d !== -1 ? p * d : p), 1);
  const inSymbols = input.filter((d) => typeof d === "string") as string[];
  const outSymbols = out.filter((d) => typeof d === "string") as string[];
  if (inferred >= 0) {
    if (out.indexOf(-1, inferred + 1) >= 0) throw fail();
    const rest = numeric(input) / numeric(out);
    const missing = inSymbols.filter((s) => !outSymbols.includes(s));
    if (missing.length === 0 && Number.isInteger(rest)) out[inferred] = rest;
    else if (missing.length === 1 && rest === 1) out[inferred] = missing[0];
    else throw fail();
  }
  if (symbols(input) !== symbols(out) || numeric(input) !== numeric(out)) throw fail();
  return out;
}

/**
 * Whether two shapes are identical (symbols compared by name).
 *
 * @param a First shape.
 * @param b Second shape.
 * @returns `true` when equal.
 */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d: Dim, i) => d === b[i]);
}
