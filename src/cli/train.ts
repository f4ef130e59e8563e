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
import { renderGrid } from "../viz/grid.ts";
import { BLOG_MODELS } from "../../models/registry.ts";
import { TensorBoardLog } from "../viz/tensorboard_file.ts";
import type { Callback } from "../../training/callbacks.ts";
import { type BatchLogs, emptyHistory, type EpochLogs, type History } from "../../training/fit.ts";
import { countProgress, progress } from "./progress.ts";
import { runCommand } from "./command.ts";
import { OPTIMIZER_NAMES } from "../../training/optimizers.ts";
import { RECONSTRUCTION_LOSSES } from "../nn/losses.ts";
import {
  checkResume,
  DATASETS,
  removeEarlierRun,
  runInfo,
  type TrainOptions,
  trainOptions,
} from "./train_options.ts";
import { modelOptionsFor, ownRunData, type OwnSamples, readOwnData } from "./own_data.ts";
import { diverged, results, type RunData, sampleSize, writeRun } from "./train_outputs.ts";

const HELP = `Train an autoencoder of the Keras blog on MNIST with ONNX Runtime.

Usage: deno task train [options]

Options:
  --model NAME        ${Object.keys(BLOG_MODELS).join(" | ")} (default undercomplete)
  --epochs N          epochs (default: the blog's, 50 or 100)
  --batch-size N      samples per update (default: the blog's, 256 dense or 128 conv)
  --optimizer NAME    ${OPTIMIZER_NAMES.join(" | ")} (default adam; rmsprop for vae, as the blog)
  --latent-dim N      vae: size of the code (default 2; larger codes are projected in latent.png)
  --conv              vae: the conv autoencoder's encoder and decoder around the sampled code
  --projection NAME   pca | umap: how latent.png brings codes of more than 2 values to a plane
                      (default pca; umap: the first 2000 test codes, seeded by --seed)
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
                      reconstructions.png, latent.png (test codes by digit); codes.png (conv
                      models), denoised.png (denoising), manifold.png and samples.png (vae),
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
  --images DIR        train on the images under DIR instead (PNG, JPEG, BMP, GIF; with
                      --size HxW: resized bilinearly; --channels 1|3: grey or colour;
                      --skip-bad: skip unreadable files); --out writes model.onnx only, with
                      the anomaly threshold (99th percentile of the training scores)
  --csv FILE          train a dense model on a table (a header line, numeric columns; with
                      --label-column NAME left out of the inputs; --scale standard (default:
                      linear output, loss mse) | minmax (sigmoid output); the scaling is saved
                      with the model
  --score NAME        with --images or --csv: the anomaly score kept in the model: mse (default),
                      bce (counts ink: best where anomalies differ in brightness) or bce-excess
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

/** The data set's images, as many as --limit allows. */
async function datasetRunData(
  options: TrainOptions,
  log: (s: string) => void,
  model: Autoencoder,
): Promise<RunData> {
  const loaded = await loadData(options, log);
  const { train: trainSet, test } = loaded;
  log(`Data: ${describeData(loaded)}`);
  const limit = Math.min(options.limit ?? Infinity, trainSet.count);
  return {
    trainImages: trainSet.images.subarray(0, limit * sampleSize(model)),
    testImages: test.images.subarray(0, Math.min(limit, test.count) * sampleSize(model)),
    testLabels: test.labels.subarray(0, Math.min(limit, test.count)),
    description: describeData(loaded),
  };
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
async function resume(
  model: Autoencoder,
  options: TrainOptions,
  checkpoint: string,
  data?: string,
) {
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
  checkResume(options, info.run, checkpoint, data);
}

/**
 * The epoch callbacks of a run: the checkpoint (with `--out`), the TensorBoard log
 * (with `--logdir`), then the position and the Ctrl-C check.
 */
function epochCallbacks(
  model: Autoencoder,
  options: TrainOptions,
  data: RunData,
  board: TensorBoardLog | undefined,
  onEpoch: () => void,
): Callback[] {
  const { out } = options;
  const checkpoint = out && join(out, "checkpoint.onnx");
  let stale = options.overwrite && !options.resume; // an earlier run's files in --out
  return [
    // After every epoch, the whole training state: --resume continues from it.
    ...(checkpoint
      ? [{
        onEpochEnd: async () => {
          await nodeRuntime.writeFile(checkpoint, model.checkpoint(runInfo(options, data.id)));
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
    { onEpochEnd: onEpoch },
  ];
}

/** Where progress goes (nowhere with `--quiet`), and whether it is a terminal. */
function screen(options: TrainOptions): [(text: string) => void, boolean] {
  const stream = options.json ? process.stderr : process.stdout;
  const write = (text: string) => void (options.quiet || stream.write(text));
  return [write, !options.json && (process.stdout as { isTTY?: boolean }).isTTY === true];
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
  const { epochs } = options;
  const board = options.logdir ? await TensorBoardLog.open(options.logdir) : undefined;
  const bar = progress(epochs, ...screen(options));
  if (model.epoch >= epochs) return emptyHistory();
  const batchSize = Math.min(options.batchSize, data.trainImages.length / sampleSize(model));
  const at: Position = { epochs: model.epoch };
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
    callbacks: epochCallbacks(model, options, data, board, () => {
      [at.epochs, at.batch] = [model.epoch, undefined];
      check();
    }),
  });
  if (board) log(`TensorBoard log: ${board.path} (tensorboard --logdir ${options.logdir})`);
  return history;
}

/** The model the options ask for (a table's loss and sizes when it trains on own data). */
function createModel(options: TrainOptions, own: OwnSamples | undefined): Autoencoder {
  return options.spec.create({
    seed: options.seed,
    provider: options.provider,
    threads: options.threads,
    spinning: !options.passive,
    noiseFactor: options.noiseFactor,
    noise: options.noise,
    loss: options.own?.csv !== undefined && options.own.scale !== "minmax" ? "mse" : options.loss,
    ...(own && modelOptionsFor(own, options.own!)),
    latentDim: options.latentDim,
    conv: options.conv,
  });
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
  const reading = countProgress("Reading images", ...screen(options));
  const own = options.own && await readOwnData(options.own, undefined, reading);
  if (own) log(`Data: ${own.description}`);
  const ownData = own && ownRunData(own, options.limit, options.seed);
  const model = createModel(options, own);
  if (options.resume) {
    await resume(model, options, join(out!, "checkpoint.onnx"), ownData?.id);
    log(`Resuming "${join(out!, "checkpoint.onnx")}" after epoch ${model.epoch}`);
  }
  const stop = interruption();
  try {
    const data: RunData = ownData || await datasetRunData(options, log, model);
    const limit = data.trainImages.length / sampleSize(model);
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
    if (out) await writeRun(model, options, own, out, data, result, log);
    if (stop.requested) throw interrupted(options, { epochs: model.epoch }, options.batchSize);
    if (options.json) console.log(JSON.stringify(result));
  } finally {
    stop.release();
    await model.dispose();
  }
}

if (import.meta.main) await runCommand(main);
