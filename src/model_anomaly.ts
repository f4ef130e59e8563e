/**
 * The work of an `Autoencoder`'s anomaly methods (`scores`, `fitThreshold`, `detect`,
 * `evaluateDetection`), over the model's public surface; the measures are in
 * `./anomaly.ts`.
 *
 * @module
 */

import {
  type AnomalySettings,
  type DetectionReport,
  evaluateScores,
  fitThreshold,
  reconstructionScores,
  type ScoreName,
  type Threshold,
  type ThresholdOptions,
} from "./anomaly.ts";
import { AutoencoderError, quote } from "./errors.ts";
import type { AutoencoderConfig, ImageBatch } from "./options.ts";

/** What the anomaly methods use of a model. */
export interface Scored {
  /** The model's definition. */
  readonly config: AutoencoderConfig;
  /** Shape of one input sample. */
  readonly inputShape: number[];
  /** The model's anomaly settings. */
  anomaly: AnomalySettings;
  /** Reconstructs samples. */
  predict(x: Float32Array | ImageBatch): Promise<Float32Array>;
  /** Scores samples. */
  scores(x: Float32Array | ImageBatch, score?: ScoreName): Promise<Float64Array>;
}

/** Scores and flags of `detect`. */
export interface Detection {
  /** One score per sample. */
  scores: Float64Array;
  /** Per sample whether it is anomalous. */
  anomalous: boolean[];
  /** The threshold applied. */
  threshold: number;
}

/**
 * Each sample's reconstruction error.
 * @param model The model.
 * @param x Samples.
 * @param score The measure (default: the model's).
 * @returns One score per sample.
 */
export async function modelScores(
  model: Scored,
  x: Float32Array | ImageBatch,
  score?: ScoreName,
): Promise<Float64Array> {
  const reconstruction = await model.predict(x);
  const flat = x instanceof Float32Array ? x : x.images;
  const size = model.inputShape.reduce((a, d) => a * d, 1);
  return reconstructionScores(flat, reconstruction, size, score ?? model.anomaly.score);
}

/**
 * Fits the threshold to normal samples and keeps it in `model.anomaly`.
 * @param model The model.
 * @param x Normal samples.
 * @param options The method and its value.
 * @returns The threshold.
 */
export async function fitModelThreshold(
  model: Scored,
  x: Float32Array | ImageBatch,
  options: ThresholdOptions,
): Promise<Threshold> {
  const threshold = fitThreshold(await model.scores(x), options);
  model.anomaly = { ...model.anomaly, threshold };
  return threshold;
}

/**
 * Scores samples and flags those above the fitted threshold.
 * @param model The model.
 * @param x Samples.
 * @returns The scores, the flags and the threshold.
 * @throws {AutoencoderError} Of kind `"bad-input"` if no threshold was fitted.
 */
export async function detectAnomalies(
  model: Scored,
  x: Float32Array | ImageBatch,
): Promise<Detection> {
  const fitted = model.anomaly.threshold;
  if (!fitted) {
    throw new AutoencoderError(
      `Cannot detect anomalies with model ${
        quote(model.config.name)
      }: it has no threshold; call fitThreshold on normal samples first`,
      { kind: "bad-input" },
    );
  }
  const scores = await model.scores(x);
  return {
    scores,
    anomalous: Array.from(scores, (s) => s > fitted.threshold),
    threshold: fitted.threshold,
  };
}

/**
 * How well the model's scores separate labelled anomalies.
 * @param model The model.
 * @param x Samples.
 * @param anomalous One label per sample.
 * @returns The report.
 */
export async function evaluateModelDetection(
  model: Scored,
  x: Float32Array | ImageBatch,
  anomalous: ArrayLike<boolean | number>,
): Promise<DetectionReport> {
  return evaluateScores(await model.scores(x), anomalous, model.anomaly.threshold?.threshold);
}
