/**
 * What every example shares: its command line (`--epochs`, `--limit`, `--data`,
 * `--out`), loading MNIST, the per-epoch lines, and writing a figure.
 *
 * @module
 */

import { join } from "node:path";
import { AutoencoderError, type ImageBatch, loadMnist, nodeRuntime } from "../mod.ts";
import type { EpochLogs } from "../training/fit.ts";
import { parseScriptArgs } from "../src/cli/command.ts";
import { progress } from "../src/cli/progress.ts";

/** An example's settings from its command line. */
export interface ExampleArgs {
  /** Epochs to train. */
  epochs: number;
  /** Folder for the figures. */
  out: string;
  /** Other options the example declared, by name. */
  extra: Record<string, string | undefined>;
}

/**
 * Parses `--epochs N` (default the blog's), `--limit N`, `--data DIR`, `--out DIR`
 * and the example's own string options.
 *
 * @param name Example name (the default output folder is `out/<name>`).
 * @param epochs The blog's epoch count.
 * @param extra The example's own options with their defaults.
 * @returns Settings, and the training and test images (the first `--limit` of each).
 */
export async function setUp(
  name: string,
  epochs: number,
  extra: Record<string, string> = {},
): Promise<ExampleArgs & { train: ImageBatch; test: ImageBatch }> {
  const own = Object.entries(extra).map(([k, v]) =>
    `\n  --${k} VALUE`.padEnd(18) + `see the example's header (default ${v})`
  );
  const { values } = parseScriptArgs(
    `Usage: deno task example:${name.replace("_", "-")} [options]

  --epochs N     epochs to train (default ${epochs}, the blog's)
  --limit N      train and test on the first N digits of each set
  --data DIR     folder with the MNIST IDX files (default: $AUTOENCODERS_DATA_DIR, the
                 cache, else a download into the cache)
  --out DIR      folder for the figures (default out/${name})${own.join("")}
  -h, --help     show this help`,
    {
      args: Deno.args,
      options: {
        epochs: { type: "string", default: String(epochs) },
        limit: { type: "string" },
        data: { type: "string" },
        out: { type: "string", default: `out/${name}` },
        ...Object.fromEntries(
          Object.entries(extra).map(([k, v]) => [k, { type: "string", default: v }]),
        ),
      },
    },
  );
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  if (!(limit >= 1)) throw new Error(`Cannot use --limit "${values.limit}": expected a count >= 1`);
  // x_train and x_test: 60000 and 10000 digits, 784 floats each in [0, 1].
  const data = await loadMnist({ dir: values.data }).catch((e) => {
    if (!(e instanceof AutoencoderError)) throw e;
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  });
  const first = ({ images, count }: ImageBatch) => {
    const n = Math.min(count, Math.floor(limit));
    return { images: images.subarray(0, n * 784), count: n };
  };
  return {
    epochs: Number(values.epochs),
    out: values.out as string,
    extra: values as Record<string, string | undefined>,
    train: first(data.train),
    test: first(data.test),
  };
}

/**
 * Prints one line per epoch, as Keras does with `verbose=2`.
 *
 * @param epochs Epochs in the run.
 * @returns An `onEpochEnd` callback.
 */
export function epochLines(epochs: number): (logs: EpochLogs) => void {
  return progress(epochs, (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)), false)
    .onEpochEnd;
}

/**
 * Writes a figure and says where.
 *
 * @param out Folder.
 * @param file File name.
 * @param png The figure.
 * @param what What it shows.
 */
export async function writeFigure(out: string, file: string, png: Uint8Array, what: string) {
  const path = join(out, file);
  await nodeRuntime.writeFile(path, png);
  console.log(`${what}: ${path}`);
}
