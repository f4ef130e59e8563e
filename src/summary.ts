/**
 * A Keras-like table of a model's layers.
 *
 * @module
 */

import { quote } from "./errors.ts";
import { showShape } from "./ir/graph.ts";
import { type Architecture, placeLayers } from "./nn/architecture.ts";

/**
 * The layers of a model: name and type, output shape, parameter count, and the totals.
 *
 * @param name The model's name.
 * @param arch Its architecture.
 * @returns The table's text.
 */
export function summaryTable(name: string, arch: Architecture): string {
  const rows = [["Layer (type)", "Output shape", "Param #"]];
  rows.push(["input (Input)", showShape(["N", ...arch.inputShape]), "0"]);
  let total = 0;
  for (const { name, layer, output, paramCount: count } of placeLayers(arch)) {
    total += count;
    rows.push([
      `${name} (${layer.type})`,
      showShape(["N", ...output]),
      count.toLocaleString("en-US"),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("   ");
  const rule = "=".repeat(widths.reduce((a, b) => a + b + 3, -3));
  return [
    `Model: ${quote(name)}`,
    rule,
    line(rows[0]),
    rule.replaceAll("=", "-"),
    ...rows.slice(1).map(line),
    rule,
    `Total params: ${total.toLocaleString("en-US")}`,
    `Trainable params: ${total.toLocaleString("en-US")}`,
    "Non-trainable params: 0",
  ].join("\n");
}
