/**
 * `deno task train`: trains a model on MNIST from the command line, prints a line
 * per epoch, and with `--out` writes the model, the training graph, the history
 * and the reconstruction figure.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import {
  AutoencoderError,
  DenoisingAutoencoder,
  describeData,
  type DownloadProgress,
  loadFashionMnist,
  loadMnist,
  loadMnistSubset,
  nodeRuntime,
} from "../../mod.ts";
import type { Autoencoder } from "../autoencoder.ts";
import { encodeModel } from "../onnx/model.ts";
import { renderCodes, renderGrid } from "../viz/grid.ts";
import { BLOG_MODELS, blogModel } from "../../models/registry.ts";
import { architectureSvg, type ReportFigure, reportHtml } from "../viz/report.ts";
import { TensorBoardLog } from "../viz/tensorboard_file.ts";
import type { TrainingModel } from "../../training/callbacks.ts";
import { emptyHistory, type EpochLogs } from "../../training/fit.ts";
import { progress } from "./progress.ts";
import { parseCommandLine, runCommand } from "./command.ts";
import { buildTrainStep } from "../../training/train_step.ts";
import { type Optimizer, optimizerByName, OPTIMIZERS } from "../../training/optimizers.ts";
import type { ProviderChoice } from "../runtime/types.ts";

const PROVIDERS: readonly ProviderChoice[] = ["auto", "cpu", "cuda", "webgpu", "wasm"];

const HELP = `Train an autoencoder of the Keras blog on MNIST with ONNX Runtime.

Usage: deno task train [options]

Options:
  --model NAME        ${Object.keys(BLOG_MODELS).join(" | ")} (default undercomplete)
  --epochs N          epochs (default: the blog's, 50 or 100)
  --batch-size N      samples per update (default: the blog's, 256 dense or 128 conv)
  --optimizer NAME    ${OPTIMIZERS.join(" | ")} (default adam)
  --learning-rate X   learning rate (default: the optimizer's)
  --limit N           use only the first N training (and test) images
  --dataset NAME      mnist (default) | fashion-mnist
  --data DIR          folder with the four IDX files (default: $AUTOENCODERS_DATA_DIR, the cache,
                      else download to the cache)
  --or-subset         without the data set and without a network, train on the MNIST subset
                      embedded in the library (the demo does)
  --seed S            seed of initialisation and shuffling (default 0)
  --noise-factor X    denoising: noise standard deviation (default 0.5)
  --noise MODE        denoising: fresh (new noise each epoch, default) | fixed (drawn once, as the blog)
  --provider NAME     cpu (default) | cuda | webgpu | auto: the fastest available here (says which;
                      a software WebGPU adapter such as SwiftShader is slower than the CPU, so auto
                      passes it over); one that is not available is an error saying how to get it
  --threads N         ONNX Runtime intra-op threads (default: one per core)
  --passive           idle threads sleep instead of spin-waiting (kinder to a busy machine)
  --out DIR           write model.onnx, encoder.onnx, decoder.onnx, train_step.onnx, history.json,
                      reconstructions.png; codes.png (conv models), denoised.png (denoising),
                      architecture.svg and report.html (all of it in one page);
                      and checkpoint.onnx (the whole training state) after every epoch
  --resume            continue the run saved in --out DIR up to --epochs epochs in all
  --logdir DIR        write TensorBoard event files (loss, val_loss, penalty, lr; reconstructions
                      each epoch): tensorboard --logdir DIR
  --json              print one JSON object with the results as the last line
  --quiet             no per-epoch lines
  -h, --help          show this help
`;

function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min = -Infinity,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || value.trim() === "") {
    throw new AutoencoderError(
      `Cannot parse --${name}: expected ${
        min === 1 ? "a positive integer" : "an integer"
      }, got "${value}"`,
    );
  }
  return n;
}

/** Loads the data set, falling back to the embedded subset when asked and needed. */
async function loadData(
  values: { dataset: string; data?: string; "or-subset": boolean },
  log: (s: string) => void,
) {
  const loaders: Record<string, typeof loadMnist> = {
    mnist: loadMnist,
    "fashion-mnist": loadFashionMnist,
  };
  const load = loaders[values.dataset];
  if (!load) {
    throw new AutoencoderError(
      `Cannot load data set "${values.dataset}": it is not known; choose mnist or fashion-mnist`,
    );
  }
  let lastShown = 0;
  const onProgress = ({ url, received, total }: DownloadProgress) => {
    if (performance.now() - lastShown < 1000 && received !== total) return;
    lastShown = performance.now();
    log(
      `Downloading ${url}: ${(received / 1e6).toFixed(1)}${
        total ? ` of ${(total / 1e6).toFixed(1)}` : ""
      } MB`,
    );
  };
  try {
    return await load({ dir: values.data, onProgress });
  } catch (e) {
    if (!(e instanceof AutoencoderError) || !values["or-subset"] || values.data) throw e;
    log(
      `${e.message}\nFalling back to the MNIST subset embedded in the library (3000 training, 1000 test digits)`,
    );
    return await loadMnistSubset();
  }
}

/** The result line of a run (printed with --json, kept in history.json). */
type Result = {
  data: string;
  optimizer: string;
  batch_size: number;
  train_samples: number;
  mean_code: number;
  runtime: string;
};

/**
 * Writes the models, the training graph, the history, the figures, the
 * architecture diagram and the report; returns the paths.
 */
async function writeOutputs(
  out: string,
  model: Autoencoder,
  optimizer: Optimizer,
  testImages: Float32Array,
  result: Result,
): Promise<string[]> {
  const digits = testImages.subarray(0, 10 * 784);
  const figures: ReportFigure[] = [{
    title: "Reconstructions",
    png: await renderGrid([digits, await model.predict(digits)]),
    caption: "Test digits (top) and their reconstructions (bottom)",
  }];
  if (model.codeShape.length === 3) {
    const [channels, height, width] = model.codeShape;
    figures.push({
      title: "Codes",
      png: await renderCodes(await model.encode(digits), channels, height, width),
      caption: "Each code channel (rows) of each test digit (columns)",
    });
  }
  if (model instanceof DenoisingAutoencoder) {
    const noisy = model.addNoise(digits, 1);
    figures.push({
      title: "Denoising",
      png: await renderGrid([noisy, await model.denoise(noisy)]),
      caption: "Noisy test digits (top) and the model's output (bottom)",
    });
  }
  const text = (s: string) => new TextEncoder().encode(s);
  const report = reportHtml({
    model,
    history: model.history,
    figures,
    trainSamples: result.train_samples,
    data: result.data,
    details: {
      optimizer: result.optimizer,
      "batch size": result.batch_size,
      "mean code": result.mean_code,
      runtime: result.runtime,
    },
  });
  const figureFile = {
    Reconstructions: "reconstructions.png",
    Codes: "codes.png",
    Denoising: "denoised.png",
  };
  const files: [string, Uint8Array][] = [
    ["model.onnx", model.toOnnx()],
    ["encoder.onnx", model.toOnnx("encoder")],
    ["decoder.onnx", model.toOnnx("decoder")],
    [
      "train_step.onnx",
      encodeModel(
        buildTrainStep(model.config, optimizer, {
          separateTarget: model instanceof DenoisingAutoencoder,
        }).graph,
      ),
    ],
    ["history.json", text(JSON.stringify({ ...result, history: model.history }, null, 2))],
    ...figures.map((
      f,
    ): [string, Uint8Array] => [figureFile[f.title as keyof typeof figureFile], f.png]),
    ["architecture.svg", text(architectureSvg(model))],
    ["report.html", text(report)],
  ];
  for (const [name, bytes] of files) await nodeRuntime.writeFile(join(out, name), bytes);
  return files.map(([name]) => join(out, name));
}

/**
 * Runs the command.
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  const { values } = parseCommandLine({
    args,
    options: {
      model: { type: "string", default: "undercomplete" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      optimizer: { type: "string", default: "adam" },
      "learning-rate": { type: "string" },
      limit: { type: "string" },
      data: { type: "string" },
      dataset: { type: "string", default: "mnist" },
      "or-subset": { type: "boolean", default: false },
      seed: { type: "string" },
      "noise-factor": { type: "string", default: "0.5" },
      noise: { type: "string", default: "fresh" },
      provider: { type: "string", default: "cpu" },
      threads: { type: "string" },
      passive: { type: "boolean", default: false },
      resume: { type: "boolean", default: false },
      logdir: { type: "string" },
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
  const out = values.out;
  const print = values.json ? console.error : console.log;
  const log = (line: string) => {
    if (!values.quiet) print(line);
  };
  const spec = blogModel(values.model, "train");
  const optimizer = optimizerByName(values.optimizer);
  const epochs = intOption(values.epochs, "epochs", spec.epochs, 1);
  const batchSize = intOption(values["batch-size"], "batch-size", spec.batchSize, 1);
  const noiseFactor = Number(values["noise-factor"]);
  const noise = values.noise;
  if (noise !== "fresh" && noise !== "fixed") {
    throw new AutoencoderError(`Cannot use --noise "${noise}": choose fresh or fixed`);
  }
  const seed = intOption(values.seed, "seed", 0);
  const threads = values.threads ? intOption(values.threads, "threads", 0, 1) : undefined;
  const learningRate = values["learning-rate"] ? Number(values["learning-rate"]) : undefined;
  if (learningRate !== undefined && !(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new AutoencoderError(
      `Cannot parse --learning-rate: expected a number > 0, got "${values["learning-rate"]}"`,
    );
  }
  const limitOption = intOption(values.limit, "limit", Infinity, 1);
  const provider = values.provider as ProviderChoice;
  if (!PROVIDERS.includes(provider)) {
    throw new AutoencoderError(
      `Cannot use --provider "${values.provider}": it is not known; choose ${
        PROVIDERS.slice(0, -1).join(", ")
      }`,
    );
  }

  const data = await loadData(values, log);
  const { train, test } = data;
  log(`Data: ${describeData(data)}`);
  const limit = Math.min(limitOption, train.count);
  const trainImages = train.images.subarray(0, limit * 784);
  const testImages = test.images.subarray(0, Math.min(limit, test.count) * 784);

  const model = spec.create({
    seed,
    provider,
    threads,
    spinning: !values.passive,
    noiseFactor,
    noise,
  });
  const checkpoint = out && join(out, "checkpoint.onnx");
  if (values.resume) {
    if (!checkpoint) {
      throw new AutoencoderError(
        "Cannot resume: pass --out DIR, the directory of the run to continue",
      );
    }
    if (!existsSync(checkpoint)) {
      throw new AutoencoderError(
        `Cannot resume: there is no checkpoint "${checkpoint}"; start the run without --resume`,
      );
    }
    const info = model.restore(await nodeRuntime.readFile(checkpoint), checkpoint);
    if (info.optimizer !== undefined && info.optimizer !== optimizer.name) {
      throw new AutoencoderError(
        `Cannot resume "${checkpoint}" with ${optimizer.name}: the run was trained with ${info.optimizer}; pass --optimizer ${info.optimizer}`,
      );
    }
    log(`Resuming "${checkpoint}" after epoch ${model.epoch}`);
  }
  const chosen = await model.resolveProvider(); // an unavailable provider stops here
  if (provider === "auto") log(`Provider: ${chosen.summary}`);
  log(model.summary());
  log(
    `Training ${values.model} on ${
      trainImages.length / 784
    } images with ${optimizer.name}, ${model.backend}`,
  );
  const board = values.logdir ? await TensorBoardLog.open(values.logdir) : undefined;
  const terminal = !values.json && (process.stdout as { isTTY?: boolean }).isTTY === true;
  const bar = progress(epochs, (text) => {
    if (!values.quiet) (values.json ? process.stderr : process.stdout).write(text);
  }, terminal);
  const history = model.epoch >= epochs ? emptyHistory() : await model.fit(trainImages, {
    epochs: epochs - model.epoch,
    batchSize,
    optimizer,
    learningRate,
    validationData: testImages,
    onBatchEnd: bar.onBatchEnd,
    onEpochEnd: bar.onEpochEnd,
    callbacks: [
      // After every epoch, the whole training state: --resume continues from it.
      ...(checkpoint
        ? [{
          onEpochEnd: (_: EpochLogs, m: TrainingModel) => m.writeFile(checkpoint, m.checkpoint()),
        }]
        : []),
      ...(board
        ? [{
          onEpochEnd: async (logs: EpochLogs) => {
            const sample = testImages.subarray(0, 10 * 784);
            const reconstructions = await renderGrid([sample, await model.predict(sample)]);
            await board.logEpoch(logs, { reconstructions });
          },
        }]
        : []),
    ],
  });
  if (board) log(`TensorBoard log: ${board.path} (tensorboard --logdir ${values.logdir})`);
  // This invocation's speed; the losses are the run's (resumed runs included).
  const trainSeconds = history.epochSeconds.reduce((a, b) => a + b, 0);
  const run = model.history;
  const result = {
    model: values.model,
    data: describeData(data),
    optimizer: optimizer.name,
    epochs: model.epoch,
    batch_size: batchSize,
    train_samples: trainImages.length / 784,
    loss: run.loss.at(-1),
    val_loss: run.valLoss.at(-1),
    ...(run.penalty.length ? { penalty: run.penalty.at(-1) } : {}),
    mean_code: await model.meanCodeActivation(testImages),
    samples_per_sec: (history.loss.length * trainImages.length / 784) / trainSeconds,
    train_seconds: trainSeconds,
    epoch_seconds: history.epochSeconds,
    provider: chosen.provider,
    runtime: model.backend,
  };

  if (out) {
    const written = await writeOutputs(out, model, optimizer, testImages, result);
    log(`Wrote ${written.join(", ")}`);
    log(`Report: ${written.find((path) => path.endsWith("report.html"))} (open it in a browser)`);
  }
  await model.dispose();
  if (values.json) console.log(JSON.stringify(result));
}

if (import.meta.main) await runCommand(main);
