/**
 * `deno task train`: trains a model on MNIST from the command line, prints a line
 * per epoch, and with `--out` writes the model, the training graph, the history
 * and the reconstruction figure.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { AutoencoderError, loadMnist, nodeRuntime, UndercompleteAutoencoder } from "../../mod.ts";
import type { Autoencoder, ModelOptions } from "../autoencoder.ts";
import { encodeModel } from "../onnx/model.ts";
import { renderGrid } from "../viz/grid.ts";
import { buildTrainStep } from "../../training/train_step.ts";
import { optimizerByName, OPTIMIZERS } from "../../training/optimizers.ts";
import type { Provider } from "../runtime/types.ts";

const MODELS: Record<string, (o: ModelOptions) => Autoencoder> = {
  undercomplete: (o) => new UndercompleteAutoencoder(o),
};

const HELP = `Train an autoencoder of the Keras blog on MNIST with ONNX Runtime.

Usage: deno task train [options]

Options:
  --model NAME        ${Object.keys(MODELS).join(" | ")} (default undercomplete)
  --epochs N          epochs (default 50)
  --batch-size N      samples per update (default 256)
  --optimizer NAME    ${OPTIMIZERS.join(" | ")} (default adam)
  --learning-rate X   learning rate (default: the optimizer's)
  --limit N           use only the first N training (and test) images
  --data DIR          MNIST directory (default: $AUTOENCODERS_DATA_DIR, ./data/mnist, ../shared/data/mnist)
  --seed S            seed of initialisation and shuffling (default 0)
  --threads N         ONNX Runtime intra-op threads (default: one per core)
  --passive           idle threads sleep instead of spin-waiting (kinder to a busy machine)
  --out DIR           write model.onnx, train_step.onnx, history.json, reconstructions.png
  --json              print one JSON object with the results as the last line
  --quiet             no per-epoch lines
  -h, --help          show this help
`;

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) {
    throw new AutoencoderError(`Cannot parse --${name}: expected an integer, got "${value}"`);
  }
  return n;
}

function dataDir(given: string | undefined): string | undefined {
  if (given || process.env.AUTOENCODERS_DATA_DIR) return given;
  return ["data/mnist", "../shared/data/mnist"].find((d) => existsSync(d));
}

/**
 * Runs the command.
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string", default: "undercomplete" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      optimizer: { type: "string", default: "adam" },
      "learning-rate": { type: "string" },
      limit: { type: "string" },
      data: { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      passive: { type: "boolean", default: false },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const make = MODELS[values.model];
  if (!make) {
    throw new AutoencoderError(
      `Cannot train model "${values.model}": it is not known; choose one of ${
        Object.keys(MODELS).join(", ")
      }`,
    );
  }
  const optimizer = optimizerByName(values.optimizer);
  const epochs = intOption(values.epochs, "epochs", 50);
  const batchSize = intOption(values["batch-size"], "batch-size", 256);
  const seed = intOption(values.seed, "seed", 0);
  const threads = values.threads ? intOption(values.threads, "threads", 0) : undefined;
  const learningRate = values["learning-rate"] ? Number(values["learning-rate"]) : undefined;

  const { train, test } = await loadMnist({ dir: dataDir(values.data) });
  const limit = intOption(values.limit, "limit", train.count);
  const trainImages = train.images.subarray(0, Math.min(limit, train.count) * 784);
  const testImages = test.images.subarray(0, Math.min(limit, test.count) * 784);

  const provider: Provider = "cpu";
  const model = make({ seed, provider, threads, spinning: !values.passive });
  const log = (line: string) => {
    if (!values.quiet) (values.json ? console.error : console.log)(line);
  };
  log(
    `Training ${values.model} on ${
      trainImages.length / 784
    } images with ${optimizer.name}, ${model.backend}`,
  );
  const history = await model.fit(trainImages, {
    epochs,
    batchSize,
    optimizer,
    learningRate,
    validationData: testImages,
    onEpochEnd: ({ epoch, loss, valLoss, seconds }) =>
      log(
        `Epoch ${epoch + 1}/${epochs} - ${seconds.toFixed(2)}s - loss: ${
          loss.toFixed(4)
        } - val_loss: ${valLoss!.toFixed(4)}`,
      ),
  });
  const trainSeconds = history.epochSeconds.reduce((a, b) => a + b, 0);
  const result = {
    model: values.model,
    optimizer: optimizer.name,
    epochs,
    batch_size: batchSize,
    train_samples: trainImages.length / 784,
    loss: history.loss.at(-1),
    val_loss: history.valLoss.at(-1),
    samples_per_sec: (epochs * trainImages.length / 784) / trainSeconds,
    train_seconds: trainSeconds,
    epoch_seconds: history.epochSeconds,
    provider,
    runtime: model.backend,
  };

  if (values.out) {
    const out = values.out;
    const writeFile = nodeRuntime.writeFile;
    await model.save(join(out, "model.onnx"));
    await writeFile(
      join(out, "train_step.onnx"),
      encodeModel(buildTrainStep(model.config, optimizer).graph),
    );
    const json = JSON.stringify({ ...history, ...result }, null, 2);
    await writeFile(join(out, "history.json"), new TextEncoder().encode(json));
    const originals = testImages.subarray(0, 10 * 784);
    const png = await renderGrid([originals, await model.predict(originals)], { scale: 2 });
    await writeFile(join(out, "reconstructions.png"), png);
    log(
      `Wrote ${
        ["model.onnx", "train_step.onnx", "history.json", "reconstructions.png"].map((f) =>
          join(out, f)
        ).join(", ")
      }`,
    );
  }
  await model.dispose();
  if (values.json) console.log(JSON.stringify(result));
}

if (import.meta.main) {
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    if (
      !(e instanceof AutoencoderError ||
        (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))
    ) throw e;
    console.error(`error: ${(e as Error).message}`);
    process.exit(2);
  }
}
