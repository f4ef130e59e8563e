/**
 * What the train command leaves behind: the result line (printed with `--json`,
 * kept in `history.json`) and the files of `--out` (models, training graph,
 * history, figures, architecture diagram and report), and the weights a diverged
 * run kept.
 *
 * @module
 */

import { join } from "node:path";
import { AutoencoderError, nodeRuntime } from "../../mod.ts";
import type { Autoencoder } from "../autoencoder.ts";
import { renderCodes, renderGrid } from "../viz/grid.ts";
import { LABEL_KEY, renderManifold, renderScatter } from "../viz/latent.ts";
import { projectCodes, type ProjectOptions, UMAP_POINTS } from "../viz/projection.ts";
import { VariationalAutoencoder } from "../../models/vae.ts";
import { architectureSvg, type ReportFigure, reportHtml } from "../viz/report.ts";
import type { History } from "../../training/fit.ts";
import type { Optimizer } from "../../training/optimizers.ts";
import type { RunFile, TrainOptions } from "./train_options.ts";
import type { OwnSamples } from "./own_data.ts";
import { ownRunFiles } from "./own_outputs.ts";

/**
 * Floats per sample the model takes (784 for MNIST's 28×28 digits).
 *
 * @param model The model.
 * @returns The size of one sample.
 */
export function sampleSize(model: Autoencoder): number {
  return model.inputShape.reduce((a, d) => a * d, 1);
}

/** The images a run trains and validates on, and which data they are. */
export interface RunData {
  /** The training images. */
  trainImages: Float32Array;
  /** The test images (the validation data). */
  testImages: Float32Array;
  /** Their labels (the latent figure's colours). */
  testLabels: Uint8Array;
  /** What `describeData` says of the data set they come from. */
  description: string;
  /** For own data: which samples (see `ownDataId`), recorded in checkpoints. */
  id?: string;
}

/** The result line of a run (printed with --json, kept in history.json). */
export interface Result {
  model: string;
  data: string;
  optimizer: string;
  loss_function: string;
  epochs: number;
  batch_size: number;
  train_samples: number;
  loss: number | undefined;
  val_loss: number | undefined;
  /** The variational autoencoder's reconstruction part of `val_loss` (nats per sample). */
  val_reconstruction?: number;
  /** Its KL part. */
  val_kl?: number;
  penalty?: number;
  mean_code: number;
  samples_per_sec?: number;
  train_seconds: number;
  epoch_seconds: number[];
  provider: string;
  runtime: string;
}

/**
 * The result line of this invocation (speed) and of the run (losses, resumed runs included).
 *
 * @param model The trained model.
 * @param options The command's options.
 * @param history What this invocation trained.
 * @param data The run's data.
 * @param provider The provider it ran on.
 * @returns The result line.
 */
export async function results(
  model: Autoencoder,
  options: TrainOptions,
  history: History,
  data: RunData,
  provider: string,
): Promise<Result> {
  const trainSeconds = history.epochSeconds.reduce((a, b) => a + b, 0);
  const run = model.history;
  const samples = data.trainImages.length / sampleSize(model);
  const elbo = model instanceof VariationalAutoencoder && run.valLoss.length
    ? await model.evaluateElbo(data.testImages)
    : undefined;
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
    ...(elbo ? { val_reconstruction: elbo.reconstruction, val_kl: elbo.kl } : {}),
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
 * The report's figures: reconstructions, the latent plane, and codes, denoising, the
 * manifold and samples where the model has them.
 */
async function figuresOf(
  model: Autoencoder,
  testImages: Float32Array,
  testLabels: Uint8Array,
  projection: ProjectOptions,
): Promise<ReportFigure[]> {
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
  figures.push(await latentFigure(model, testImages, testLabels, projection));
  if (model instanceof VariationalAutoencoder) {
    if (model.latentDim === 2) {
      figures.push({
        title: "Manifold",
        png: await renderManifold((codes) => model.decode(codes)),
        caption:
          "Digits decoded from a 15 × 15 grid of codes at the Gaussian quantiles of linspace(0.05, 0.95, 15)",
      });
    }
    const samples = await model.sample(30, { seed: 0 });
    figures.push({
      title: "Samples",
      png: await renderGrid([samples.subarray(0, 15 * 784), samples.subarray(15 * 784)]),
      caption: "Digits decoded from codes drawn from the prior N(0, I) (seed 0)",
    });
  }
  return figures;
}

/**
 * The test codes on a plane, coloured by label, with a legend of the colours. UMAP
 * embeds the first {@link UMAP_POINTS} codes only, for speed.
 */
async function latentFigure(
  model: Autoencoder,
  testImages: Float32Array,
  testLabels: Uint8Array,
  projection: ProjectOptions,
): Promise<ReportFigure> {
  const size = model.codeShape.reduce((a, d) => a * d, 1);
  let codes = await model.encode(testImages);
  let labels = testLabels;
  const total = codes.length / size;
  if (projection.projection === "umap" && size > 2 && total > UMAP_POINTS) {
    codes = codes.subarray(0, UMAP_POINTS * size);
    labels = labels.subarray(0, UMAP_POINTS);
  }
  const { points, method } = projectCodes(codes, size, projection);
  const n = points.length / 2;
  const what = method === "code"
    ? `The ${n} test codes (${size}-D)`
    : method === "pca"
    ? `The ${n} test codes (${size} values each) projected on their first two principal components (PCA)`
    : `${
      n < total
        ? `The first ${n} of the ${total} test codes (a subsample, for UMAP's speed)`
        : `The ${n} test codes`
    } (${size} values each) embedded in 2-D by UMAP (umap-js, 15 neighbours, seed ${
      projection.seed ?? 0
    })`;
  return {
    title: "Latent space",
    png: await renderScatter(points, labels),
    caption: `${what}, coloured by digit (legend under the plot): ${LABEL_KEY}`,
  };
}

/** The file each figure is written to. */
const FIGURE_FILE: Record<string, RunFile> = {
  Reconstructions: "reconstructions.png",
  Codes: "codes.png",
  Denoising: "denoised.png",
  "Latent space": "latent.png",
  Manifold: "manifold.png",
  Samples: "samples.png",
};

/**
 * Writes the models, the training graph, the history, the figures, the
 * architecture diagram and the report.
 *
 * @param out The folder.
 * @param model The trained model.
 * @param optimizer The optimizer it trained with (for `train_step.onnx`).
 * @param testImages Test images (the figures show the first ten; the latent plane, all).
 * @param testLabels Their labels.
 * @param result The result line (kept in `history.json`, shown in the report).
 * @param projection How the latent figure brings codes of more than two values to a
 *   plane (default PCA), and UMAP's seed.
 * @returns The paths written.
 */
export async function writeOutputs(
  out: string,
  model: Autoencoder,
  optimizer: Optimizer,
  testImages: Float32Array,
  testLabels: Uint8Array,
  result: Result,
  projection: ProjectOptions = {},
): Promise<string[]> {
  const figures = await figuresOf(model, testImages, testLabels, projection);
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
  const files: [RunFile, Uint8Array][] = [
    ...weightFiles(model),
    ["train_step.onnx", model.program(optimizer).onnx("train")],
    ["history.json", text(JSON.stringify({ ...result, history: model.history }, null, 2))],
    ...figures.map((f): [RunFile, Uint8Array] => [FIGURE_FILE[f.title], f.png!]),
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

/**
 * On divergence, writes the weights the model kept (those of the last step whose loss
 * and weights were finite) beside the checkpoint of the last finished epoch, and says so.
 *
 * @param e What training threw.
 * @param options The command's options.
 * @param model The model.
 * @returns Never: it throws `e`, or for a divergence with `--out`, an error naming the files.
 */
export async function diverged(
  e: unknown,
  options: TrainOptions,
  model: Autoencoder,
): Promise<never> {
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
 * Writes what a run leaves in `out`: for own data the model with its anomaly
 * threshold and a report (`ownRunFiles`), otherwise the figures and the report.
 */
export async function writeRun(
  model: Autoencoder,
  options: TrainOptions,
  own: OwnSamples | undefined,
  out: string,
  data: RunData,
  result: Result,
  log: (line: string) => void,
): Promise<void> {
  if (own) {
    const { files, summary } = await ownRunFiles(model, options, own, data, result);
    const written = await writeFiles(out, [...weightFiles(model), ...files]);
    log(`Wrote ${written.join(", ")} (${summary})`);
  } else {
    const written = await writeOutputs(
      out,
      model,
      options.optimizer,
      data.testImages,
      data.testLabels,
      result,
      { projection: options.projection, seed: options.seed },
    );
    log(`Wrote ${written.join(", ")}`);
  }
  log(`Report: ${join(out, "report.html")} (open it in a browser)`);
}
