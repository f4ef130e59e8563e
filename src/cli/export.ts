/**
 * `deno task export`: writes the inference models (`encoder.onnx`, `decoder.onnx`,
 * `model.onnx`) of a saved model or checkpoint, with the weights inside.
 *
 * @module
 */

import { join } from "node:path";
import process from "node:process";
import { AutoencoderError, nodeRuntime } from "../../mod.ts";
import { printable, quote } from "../errors.ts";
import { BLOG_MODELS, type BlogModelName } from "../../models/registry.ts";
import type { Part } from "../nn/architecture.ts";
import { savedModelName } from "../checkpoint.ts";
import { parseCommandLine, runCommand } from "./command.ts";

const HELP = `Export the inference models of a saved model or checkpoint.

Usage: deno task export FILE --out DIR

  FILE        model.onnx or checkpoint.onnx written by the train command (or Autoencoder.save)
  --out DIR   where to write encoder.onnx, decoder.onnx and model.onnx
  -h, --help  show this help
`;

/**
 * Runs the command.
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine({
    args,
    allowPositionals: true,
    options: { out: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help || positionals.length !== 1 || !values.out) {
    console.log(HELP);
    if (!values.help) process.exit(2);
    return;
  }
  const [file] = positionals;
  const bytes = await nodeRuntime.readFile(file);
  const name = savedModelName(bytes, file);
  if (name === undefined || !Object.hasOwn(BLOG_MODELS, name)) {
    throw new AutoencoderError(
      `Cannot export ${quote(file)}: it holds ${
        name ? `a ${quote(name)} model, which` : "no model name, so it"
      } is not one of ${
        Object.keys(BLOG_MODELS).join(", ")
      }; load it with Autoencoder.loadOnnx and call toOnnx`,
    );
  }
  const model = BLOG_MODELS[name as BlogModelName].create();
  model.loadOnnx(bytes, file);
  const parts: [string, Part][] = [["encoder.onnx", "encoder"], ["decoder.onnx", "decoder"], [
    "model.onnx",
    "autoencoder",
  ]];
  for (const [out, part] of parts) {
    await nodeRuntime.writeFile(join(values.out, out), model.toOnnx(part));
  }
  const written = parts.map(([f]) => printable(join(values.out!, f))).join(", ");
  console.log(`Wrote the ${name} model's ${written}`);
}

if (import.meta.main) await runCommand(main);
