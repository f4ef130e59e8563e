/**
 * What a run on own data leaves in `--out`: the model with its anomaly threshold
 * (and the encoder and decoder), the history, the reconstructions of image data and
 * a report with the loss curves and the distribution of the scores the threshold
 * was fitted to.
 *
 * @module
 */

import type { Autoencoder } from "../autoencoder.ts";
import { histogramSvg } from "../viz/charts.ts";
import { renderGrid } from "../viz/grid.ts";
import { type ReportFigure, reportHtml } from "../viz/report.ts";
import type { OwnSamples } from "./own_data.ts";
import type { Result, RunData } from "./train_outputs.ts";
import type { RunFile, TrainOptions } from "./train_options.ts";

/** Held-out samples needed to fit the threshold to them rather than to the training set. */
export const HELD_OUT_FOR_THRESHOLD = 100;

/**
 * Fits the model's anomaly threshold (the 99th percentile of normal scores) to the
 * held-out samples when there are at least {@link HELD_OUT_FOR_THRESHOLD}, otherwise
 * to the training samples, and makes the run's files but the model's.
 *
 * @param model The trained model.
 * @param options The command's options.
 * @param own The samples read.
 * @param data What the run trained and validated on.
 * @param result The result line.
 * @returns The files, and one line on the threshold.
 */
export async function ownRunFiles(
  model: Autoencoder,
  options: TrainOptions,
  own: OwnSamples,
  data: RunData,
  result: Result,
): Promise<{ files: [RunFile, Uint8Array][]; summary: string }> {
  model.anomaly = { score: options.own!.score ?? "mse", scaling: own.scaling };
  const size = own.shape.reduce((a, d) => a * d, 1);
  const held = data.testImages === data.trainImages ? 0 : data.testImages.length / size;
  const fromHeld = held >= HELD_OUT_FOR_THRESHOLD;
  const normal = fromHeld ? data.testImages : data.trainImages;
  const fitted = `the ${normal.length / size} ${fromHeld ? "held-out" : "training"} samples`;
  const { threshold } = await model.fitThreshold(normal, { method: "percentile", value: 99 });
  const scores = await model.scores(normal);
  const figures: ReportFigure[] = [{
    title: "Scores",
    svg: histogramSvg(scores, threshold),
    caption:
      `${model.anomaly.score} scores of ${fitted}; the threshold (red) is their 99th percentile`,
  }];
  if (own.shape.length === 3) figures.unshift(await reconstructions(model, data, own.shape));
  const report = reportHtml({
    model,
    history: model.history,
    figures,
    data: data.description,
    details: {
      optimizer: result.optimizer,
      "batch size": result.batch_size,
      score: model.anomaly.score,
      threshold: threshold.toPrecision(4),
      scaling: own.scaling?.method,
      runtime: result.runtime,
    },
  });
  const text = (s: string) => new TextEncoder().encode(s);
  const files: [RunFile, Uint8Array][] = [
    ["history.json", text(JSON.stringify({ ...result, history: model.history }, null, 2))],
    ...figures.filter((f) => f.png).map((
      f,
    ): [RunFile, Uint8Array] => ["reconstructions.png", f.png!]),
    ["report.html", text(report)],
  ];
  return {
    files,
    summary: `anomaly threshold ${threshold.toPrecision(4)}, fitted to ${fitted}`,
  };
}

/** Ten validation images (top) and their reconstructions (bottom). */
async function reconstructions(
  model: Autoencoder,
  data: RunData,
  [channels, height, width]: number[],
): Promise<ReportFigure> {
  const size = channels * height * width;
  const shown = data.testImages.subarray(0, Math.min(10 * size, data.testImages.length));
  return {
    title: "Reconstructions",
    png: await renderGrid([shown, await model.predict(shown)], {
      height,
      width,
      channels: channels as 1 | 3,
      scale: Math.max(1, Math.round(56 / height)),
    }),
    caption: "Validation images (top) and their reconstructions (bottom)",
  };
}
