/**
 * `deno task train`: trains a model on MNIST from the command line, prints a line
 * per epoch, and with `--out` writes the model, the training graph, the history
 * and the reconstruction figure.
 *
 * @module
 */

import { join } from "node:path";
import process from "node:process";
import {
  AutoencoderError,
  describeData,
  type DownloadProgress,
  loadFashionMnist,
  loadMnist,
  loadMnistSubset,
  type MnistData,
  nodeRuntime,
} from "../../mod.ts";
import type { Autoencoder } from "../autoencoder.ts";
import { savedModelName } from "../checkpoint.ts";
import { renderCodes, renderGrid } from "../viz/grid.ts";
import { BLOG_MODELS } from "../../models/registry.ts";
import { architectureSvg, type ReportFigure, reportHtml } from "../viz/report.ts";
import { TensorBoardLog } from "../viz/tensorboard_file.ts";
import { type BatchLogs, emptyHistory, type EpochLogs, type History } from "../../training/fit.ts";
import { progress } from "./progress.ts";
import { runCommand } from "./command.ts";
import { type Optimizer, OPTIMIZER_NAMES } from "../../training/optimizers.ts";
import { RECONSTRUCTION_LOSSES } from "../nn/losses.ts";
import {
  checkResume,
  DATASETS,
  removeEarlierRun,
  type RunFile,
  runInfo,
  type TrainOptions,
  trainOptions,
} from "./train_options.ts";

const HELP = `Train an autoencoder of the Keras blog on MNIST with ONNX Runtime.

Usage: deno task train [options]

Options:
  --model NAME        ${Object.keys(BLOG_MODELS).join(" | ")} (default undercomplete)
  --epochs N          epochs (default: the blog's, 50 or 100)
  --batch-size N      samples per update (default: the blog's, 256 dense or 128 conv)
  --optimizer NAME    ${OPTIMIZER_NAMES.join(" | ")} (default adam)
  --learning-rate X   learning rate (default: the optimizer's)
  --loss NAME         ${
  Object.keys(RECONSTRUCTION_LOSSES).join(" | ")
}: binary cross-entropy (default, the
                      blog's) or mean squared error; val_loss reports it
  --limit N           use only the first N training (and test) images
  --dataset NAME      ${DATASETS.join(" | ")} (default mnist; mnist-subset: the 3000 training
                      and 1000 test digits embedded in the library, no files needed)
  --data DIR          folder with the four IDX files (default: $AUTOENCODERS_DATA_DIR, the cache,
                      else download to the cache)
  --or-subset         without the data set and without a network, train on the MNIST subset
                      embedded in the library (the demo does)
  --seed S            seed of initialisation and shuffling (default 0)
  --noise-factor X    denoising: noise standard deviation (default 0.5)
  --noise MODE        denoising: fresh (new noise each epoch, default) | fixed (drawn once, as the blog)
  --provider NAME     cpu (default) | cuda | webgpu | wasm | auto: the fastest available here (says which;
                      a software WebGPU adapter such as SwiftShader is slower than the CPU, so auto
                      passes it over); one that is not available is an error saying how to get it
  --threads N         ONNX Runtime intra-op threads, 1 to 4 per core (default: one per core)
  --passive           idle threads sleep instead of spin-waiting (kinder to a busy machine)
  --out DIR           write model.onnx, encoder.onnx, decoder.onnx, train_step.onnx, history.json,
                      reconstructions.png; codes.png (conv models), denoised.png (denoising),
                      architecture.svg and report.html (all of it in one page);
                      and checkpoint.onnx (the whole training state) after every epoch
                      (an --out folder holding an earlier run is an error without --resume or
                      --overwrite)
  --resume            continue the run saved in --out DIR up to --epochs epochs in all, with the
                      data set, --limit and --batch-size it was started with
  --overwrite         replace the earlier run in --out DIR; with --resume, continue it although
                      the data set, --limit or --batch-size changed
  --logdir DIR        write TensorBoard event files (loss, val_loss, penalty, lr; reconstructions
                      each epoch): tensorboard --logdir DIR
  --json              print one JSON object with the results as the last line
  --quiet             no per-epoch lines
  -h, --help          show this help
`;

/** Loads the data set, falling back to the embedded subset when asked and needed. */
async function loadData(options: TrainOptions, log: (s: string) => void): Promise<MnistData> {
  if (options.dataset === "mnist-subset") return await loadMnistSubset();
  const load = options.dataset === "mnist" ? loadMnist : loadFashionMnist;
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
    return await load({ dir: options.data, onProgress });
  } catch (e) {
    const unavailable = e instanceof AutoencoderError && e.kind === "data-unavailable";
    if (!unavailable || !options.orSubset || options.data) throw e;
    log(
      `${e.message}\nFalling back to the MNIST subset embedded in the library (3000 training, 1000 test digits)`,
    );
    return await loadMnistSubset();
  }
}

/** Floats per sample the model takes (784 for MNIST's 28×28 digits). */
function sampleSize(model: Autoencoder): number {
  return model.inputShape.reduce((a, d) => a * d, 1);
}

/** The images a run trains and validates on, and which data they are. */
interface RunData {
  trainImages: Float32Array;
  testImages: Float32Array;
  /** What `describeData` says of the data set they come from. */
  description: string;
}

/** The result line of a run (printed with --json, kept in history.json). */
type Result = {
  data: string;
  optimizer: string;
  loss_function: string;
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
  const digits = testImages.subarray(0, 10 * sampleSize(model));
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
  if (model.inputs.input) {
    const noisy = model.corrupt(digits, 1);
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
  const figureFile: Record<string, RunFile> = {
    Reconstructions: "reconstructions.png",
    Codes: "codes.png",
    Denoising: "denoised.png",
  };
  const files: [RunFile, Uint8Array][] = [
    ...weightFiles(model),
    ["train_step.onnx", model.program(optimizer).onnx("train")],
    ["history.json", text(JSON.stringify({ ...result, history: model.history }, null, 2))],
    ...figures.map((
      f,
    ): [RunFile, Uint8Array] => [figureFile[f.title], f.png]),
    ["architecture.svg", text(architectureSvg(model))],
    ["report.html", text(report)],
  ];
  return await writeFiles(out, files);
}

/** The model's weights as the three inference models. */
function weightFiles(model: Autoencoder): [RunFile, Uint8Array][] {
  return [
    ["model.onnx", model.toOnnx()],
    ["encoder.onnx", model.toOnnx("encoder")],
    ["decoder.onnx", model.toOnnx("decoder")],
  ];
}

/** Writes files into a folder (each atomically); returns their paths. */
async function writeFiles(out: string, files: [RunFile, Uint8Array][]): Promise<string[]> {
  for (const [name, bytes] of files) await nodeRuntime.writeFile(join(out, name), bytes);
  return files.map(([name]) => join(out, name));
}

/** Where training is, for the line an interruption prints. */
interface Position {
  /** Epochs finished (over the whole run, resumed ones included). */
  epochs: number;
  /** The last batch logs of the epoch under way, if any. */
  batch?: BatchLogs;
}

/**
 * Ctrl-C: before training, the command stops at once (nothing is written yet); during
 * training it stops after the current batch (the model goes back to its last epoch,
 * which the checkpoint holds); while outputs are written, after the last one. A second
 * Ctrl-C stops at once (every file is written atomically, so none is torn).
 */
function interruption() {
  const state = { requested: false, busy: false };
  const handler = () => {
    if (!state.busy) {
      console.error("Interrupted before training started; nothing was written");
      process.exit(130);
    }
    if (state.requested) {
      console.error(
        "Interrupted again: stopped at once; the checkpoint in --out holds the last finished epoch",
      );
      process.exit(130);
    }
    state.requested = true;
  };
  process.on("SIGINT", handler);
  return Object.assign(state, { release: () => void process.off("SIGINT", handler) });
}

/** The error an interruption ends the command with: how far it got, how to go on. */
function interrupted(options: TrainOptions, at: Position, batchSize: number): AutoencoderError {
  const { epochs } = options;
  const where = at.batch
    ? `in epoch ${at.batch.epoch + 1} of ${epochs} after batch ${
      Math.ceil(at.batch.samples / batchSize)
    } of ${Math.ceil(at.batch.total / batchSize)}`
    : `after epoch ${at.epochs} of ${epochs}`;
  const args = options.args.filter((a) => a !== "--overwrite" && a !== "--resume");
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\''`)}'`);
  const next = !options.out
    ? "nothing was saved: pass --out DIR to keep a checkpoint after every epoch"
    : at.epochs === 0
    ? "no epoch had finished, so nothing was saved: run the command again"
    : `the checkpoint holds ${at.epochs} epochs: continue with deno task train ${
      [...args, "--resume"].map(quote).join(" ")
    }`;
  return new AutoencoderError(`Interrupted ${where}; ${next}`, { kind: "interrupted" });
}

/** Restores the run to resume, checked against the options, before any data is loaded. */
async function resume(model: Autoencoder, options: TrainOptions, checkpoint: string) {
  const bytes = await nodeRuntime.readFile(checkpoint);
  const saved = savedModelName(bytes, checkpoint);
  if (saved !== undefined && saved !== options.model) {
    throw new AutoencoderError(
      `Cannot resume "${checkpoint}" with --model ${options.model}: the run trains the ${saved} model; pass --model ${saved}`,
    );
  }
  const info = model.restore(bytes, checkpoint);
  if (info.optimizer !== undefined && info.optimizer !== options.optimizer.name) {
    throw new AutoencoderError(
      `Cannot resume "${checkpoint}" with ${options.optimizer.name}: the run was trained with ${info.optimizer}; pass --optimizer ${info.optimizer}`,
    );
  }
  checkResume(options, info.run, checkpoint);
}

/**
 * Trains for the epochs left, with the progress display, a checkpoint after every
 * epoch, the TensorBoard log and Ctrl-C handling.
 */
async function train(
  model: Autoencoder,
  options: TrainOptions,
  data: RunData,
  stop: { requested: boolean },
  log: (line: string) => void,
): Promise<History> {
  const { epochs, out } = options;
  const checkpoint = out && join(out, "checkpoint.onnx");
  const board = options.logdir ? await TensorBoardLog.open(options.logdir) : undefined;
  const terminal = !options.json && (process.stdout as { isTTY?: boolean }).isTTY === true;
  const bar = progress(epochs, (text) => {
    if (!options.quiet) (options.json ? process.stderr : process.stdout).write(text);
  }, terminal);
  if (model.epoch >= epochs) return emptyHistory();
  const batchSize = Math.min(options.batchSize, data.trainImages.length / sampleSize(model));
  const at: Position = { epochs: model.epoch };
  let stale = options.overwrite && !options.resume; // an earlier run's files in --out
  const check = () => {
    if (stop.requested) throw interrupted(options, at, batchSize);
  };
  const history = await model.fit(data.trainImages, {
    epochs: epochs - model.epoch,
    batchSize,
    optimizer: options.optimizer,
    learningRate: options.learningRate,
    validationData: data.testImages,
    onBatchEnd: (logs) => {
      bar.onBatchEnd(logs);
      at.batch = logs;
      check();
    },
    onEpochEnd: bar.onEpochEnd,
    callbacks: [
      // After every epoch, the whole training state: --resume continues from it.
      ...(checkpoint
        ? [{
          onEpochEnd: async () => {
            await nodeRuntime.writeFile(checkpoint, model.checkpoint(runInfo(options)));
            // --overwrite: the earlier run's other files go once this run has a checkpoint.
            if (stale) await removeEarlierRun(out!, ["checkpoint.onnx"]);
            stale = false;
          },
        }]
        : []),
      ...(board
        ? [{
          onEpochEnd: async (logs: EpochLogs) => {
            const sample = data.testImages.subarray(0, 10 * sampleSize(model));
            const reconstructions = await renderGrid([sample, await model.predict(sample)]);
            await board.logEpoch(logs, { reconstructions });
          },
        }]
        : []),
      {
        onEpochEnd: () => {
          [at.epochs, at.batch] = [model.epoch, undefined];
          check();
        },
      },
    ],
  });
  if (board) log(`TensorBoard log: ${board.path} (tensorboard --logdir ${options.logdir})`);
  return history;
}

/** The result line of this invocation (speed) and of the run (losses, resumed runs included). */
async function results(
  model: Autoencoder,
  options: TrainOptions,
  history: History,
  data: RunData,
  provider: string,
) {
  const trainSeconds = history.epochSeconds.reduce((a, b) => a + b, 0);
  const run = model.history;
  const samples = data.trainImages.length / sampleSize(model);
  return {
    model: options.model,
    data: data.description,
    optimizer: options.optimizer.name,
    loss_function: options.loss,
    epochs: model.epoch,
    // A batch size larger than the data set trains on one batch of all of it.
    batch_size: Math.min(options.batchSize, samples),
    train_samples: samples,
    loss: run.loss.at(-1),
    val_loss: run.valLoss.at(-1),
    ...(run.penalty.length ? { penalty: run.penalty.at(-1) } : {}),
    mean_code: await model.meanCodeActivation(data.testImages),
    ...(trainSeconds > 0
      ? { samples_per_sec: (history.loss.length * samples) / trainSeconds }
      : {}),
    train_seconds: trainSeconds,
    epoch_seconds: history.epochSeconds,
    provider,
    runtime: model.backend,
  };
}

/**
 * On divergence, writes the weights the model kept (those of the last step whose loss
 * and weights were finite) beside the checkpoint of the last finished epoch, and says so.
 */
async function diverged(e: unknown, options: TrainOptions, model: Autoencoder): Promise<never> {
  const { out } = options;
  if (!(e instanceof AutoencoderError && e.kind === "diverged") || !out) throw e;
  const [written] = await writeFiles(out, weightFiles(model));
  throw new AutoencoderError(
    `${e.message}, written to "${written}" (with encoder.onnx and decoder.onnx)${
      model.epoch > 0
        ? `; "${
          join(out, "checkpoint.onnx")
        }" holds epoch ${model.epoch}: resume from it with a lower --learning-rate`
        : "; no epoch had finished: run again with a lower --learning-rate and --overwrite"
    }`,
    { cause: e, kind: "diverged" },
  );
}

/**
 * Runs the command: every option and path is checked, and a resumed checkpoint
 * restored, before the data is loaded.
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  const options = await trainOptions(args);
  if (!options) return console.log(HELP);
  const print = options.json ? console.error : console.log;
  const log = (line: string) => {
    if (!options.quiet) print(line);
  };
  const { out } = options;
  const model = options.spec.create({
    seed: options.seed,
    provider: options.provider,
    threads: options.threads,
    spinning: !options.passive,
    noiseFactor: options.noiseFactor,
    noise: options.noise,
    loss: options.loss,
  });
  if (options.resume) {
    await resume(model, options, join(out!, "checkpoint.onnx"));
    log(`Resuming "${join(out!, "checkpoint.onnx")}" after epoch ${model.epoch}`);
  }
  const stop = interruption();
  try {
    const loaded = await loadData(options, log);
    const { train: trainSet, test } = loaded;
    log(`Data: ${describeData(loaded)}`);
    const limit = Math.min(options.limit ?? Infinity, trainSet.count);
    const data: RunData = {
      trainImages: trainSet.images.subarray(0, limit * sampleSize(model)),
      testImages: test.images.subarray(0, Math.min(limit, test.count) * sampleSize(model)),
      description: describeData(loaded),
    };
    const chosen = await model.resolveProvider(); // an unavailable provider stops here
    if (options.provider === "auto") log(`Provider: ${chosen.summary}`);
    log(model.summary());
    log(
      `Training ${options.model} on ${limit} images with ${options.optimizer.name}, ${model.backend}`,
    );
    stop.busy = true;
    const history = await train(model, options, data, stop, log).catch((e) =>
      diverged(e, options, model)
    );
    const result = await results(model, options, history, data, chosen.provider);
    if (out) {
      const written = await writeOutputs(out, model, options.optimizer, data.testImages, result);
      log(`Wrote ${written.join(", ")}`);
      log(`Report: ${join(out, "report.html")} (open it in a browser)`);
    }
    if (stop.requested) throw interrupted(options, { epochs: model.epoch }, options.batchSize);
    if (options.json) console.log(JSON.stringify(result));
  } finally {
    stop.release();
    await model.dispose();
  }
}

if (import.meta.main) await runCommand(main);
