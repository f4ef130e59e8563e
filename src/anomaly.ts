/**
 * Anomaly scores, thresholds and their evaluation: plain functions on arrays, with
 * no runtime and no file access (browser-safe). `Autoencoder.scores`, `fitThreshold`,
 * `detect` and `evaluateDetection` use them on a model's reconstructions.
 *
 * The default score is the mean squared error per sample, chosen by measurement on
 * the one-class protocol (`deno task oneclass`: the conv model trained 10 epochs on
 * one MNIST digit's training images, the 10000 test digits scored, that digit
 * normal). On digit 0 MSE gives AUROC 0.988, binary cross-entropy 0.918 and
 * cross-entropy minus the input's own entropy 0.983; over the ten digits the means
 * are 0.916, 0.850 and 0.912. BCE grows with the amount of ink whatever the
 * reconstruction, so thin digits such as ones look more normal than the class the
 * model was trained on. Where the anomalies differ in brightness (clothes among
 * digits) that bias helps, and `"bce"` is the better choice.
 *
 * @module
 */

import { AutoencoderError, quote } from "./errors.ts";

export { auprc, auroc, type DetectionReport, evaluateScores } from "./anomaly_metrics.ts";

/**
 * How a sample's reconstruction error is measured, mean over its values:
 * `"mse"`, squared error (the default); `"bce"`, binary cross-entropy of the
 * reconstruction (values clipped to [1e-7, 1 - 1e-7], as Keras does);
 * `"bce-excess"`, that cross-entropy minus the input's own entropy (zero for a
 * perfect reconstruction of any image).
 */
export type ScoreName = "mse" | "bce" | "bce-excess";

/** The score names, the default first. */
export const SCORE_NAMES: readonly ScoreName[] = ["mse", "bce", "bce-excess"];

/** How a threshold is fitted to scores of normal samples. */
export interface ThresholdOptions {
  /**
   * `"percentile"`: the `value`-th percentile of the scores (linear interpolation
   * between order statistics); `"meanStd"`: their mean plus `value` standard deviations.
   */
  method: "percentile" | "meanStd";
  /** The percentile (0 to 100), or the number of standard deviations. */
  value: number;
}

/** A fitted threshold: scores above it are anomalous. */
export interface Threshold extends ThresholdOptions {
  /** The threshold itself. */
  threshold: number;
}

const EPS = 1e-7;

/**
 * Per-sample reconstruction errors.
 *
 * @param x Samples, row-major.
 * @param reconstruction Their reconstructions, same length.
 * @param sampleSize Values per sample.
 * @param score The measure (default `"mse"`).
 * @returns One score per sample.
 *
 * @example
 * ```ts
 * import { reconstructionScores } from "./anomaly.ts";
 * const s = reconstructionScores(new Float32Array([0, 1, 1, 1]), new Float32Array([0, 0, 1, 1]), 2);
 * console.assert(s[0] === 0.5 && s[1] === 0);
 * ```
 */
export function reconstructionScores(
  x: Float32Array,
  reconstruction: Float32Array,
  sampleSize: number,
  score: ScoreName = "mse",
): Float64Array {
  if (x.length !== reconstruction.length || x.length % sampleSize !== 0) {
    throw new AutoencoderError(
      `Cannot score samples: ${x.length} values and ${reconstruction.length} reconstructed ones do not make whole samples of ${sampleSize}; pass the reconstructions of the samples`,
      { kind: "bad-input" },
    );
  }
  const count = x.length / sampleSize;
  const scores = new Float64Array(count);
  const clip = (v: number) => Math.min(1 - EPS, Math.max(EPS, v));
  const cross = (t: number, p: number) => -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let j = i * sampleSize; j < (i + 1) * sampleSize; j++) {
      const t = x[j];
      if (score === "mse") sum += (reconstruction[j] - t) ** 2;
      else {
        sum += cross(t, clip(reconstruction[j]));
        if (score === "bce-excess") sum -= cross(t, clip(t));
      }
    }
    scores[i] = sum / sampleSize;
  }
  return scores;
}

/**
 * Fits a threshold to the scores of normal samples.
 *
 * @param scores Scores of samples taken as normal.
 * @param options The method and its value.
 * @returns The threshold with how it was fitted.
 * @throws {AutoencoderError} Of kind `"bad-input"` if there are no scores or the value is out of range.
 *
 * @example
 * ```ts
 * import { fitThreshold } from "./anomaly.ts";
 * console.assert(fitThreshold([1, 2, 3, 4, 5], { method: "percentile", value: 50 }).threshold === 3);
 * console.assert(fitThreshold([1, 3], { method: "meanStd", value: 2 }).threshold === 4);
 * ```
 */
export function fitThreshold(scores: ArrayLike<number>, options: ThresholdOptions): Threshold {
  const { method, value } = options;
  const bad = (why: string) =>
    new AutoencoderError(`Cannot fit a threshold: ${why}`, { kind: "bad-input" });
  if (scores.length === 0) throw bad("there are no scores; pass the scores of normal samples");
  if (method === "percentile") {
    if (!(value >= 0 && value <= 100)) throw bad(`percentile ${value} is not from 0 to 100`);
    const sorted = Float64Array.from(scores).sort();
    const at = (value / 100) * (sorted.length - 1);
    const lo = Math.floor(at);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return { method, value, threshold: sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]) };
  }
  if (method === "meanStd") {
    if (!Number.isFinite(value)) throw bad(`${value} standard deviations is not a finite number`);
    const { mean, std } = meanStd(scores);
    return { method, value, threshold: mean + value * std };
  }
  throw bad(`method ${JSON.stringify(method)} is not "percentile" or "meanStd"`);
}

/** Mean and population standard deviation. */
function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / values.length) };
}

/**
 * Per-column scaling of a table, fitted on the training rows and kept with the
 * model so that new rows are scored as the training rows were:
 * `scaled = (value - offset) / scale`.
 */
export interface Scaling {
  /** `"minmax"`: to [0, 1] over the training rows; `"standard"`: zero mean, unit variance. */
  method: "minmax" | "standard";
  /** The columns, in the order of the model's inputs. */
  columns: string[];
  /** Per column: the minimum, or the mean. */
  offset: number[];
  /** Per column: the range, or the standard deviation (1 where that is 0). */
  scale: number[];
}

/** What a model keeps for anomaly detection, saved in its ONNX metadata. */
export interface AnomalySettings {
  /** How samples are scored (default `"mse"`). */
  score: ScoreName;
  /** The fitted threshold, once `fitThreshold` has run. */
  threshold?: Threshold;
  /** The scaling of the table the model was trained on, for tabular data. */
  scaling?: Scaling;
}

/** Metadata key of a saved model's {@link AnomalySettings} (JSON). */
export const ANOMALY_KEY = "autoencoders.anomaly";

/**
 * Reads and checks the anomaly settings of a saved model's metadata.
 *
 * @param text The metadata value, or `undefined` if the file has none.
 * @param file Names the source in errors.
 * @returns The settings (the defaults if the file has none).
 * @throws {AutoencoderError} Of kind `"io"` if they are not valid settings.
 */
export function parseAnomalySettings(text: string | undefined, file: string): AnomalySettings {
  if (text === undefined) return { score: "mse" };
  let s: AnomalySettings;
  try {
    s = JSON.parse(text);
  } catch (cause) {
    throw corrupt(file, "not JSON", cause);
  }
  if (typeof s !== "object" || s === null || !SCORE_NAMES.includes(s.score)) {
    throw corrupt(file, "the score is not one of " + SCORE_NAMES.join(", "));
  }
  const t = s.threshold;
  if (t !== undefined && !(Number.isFinite(t?.threshold) && Number.isFinite(t?.value))) {
    throw corrupt(file, "the threshold is not a finite number");
  }
  const c = s.scaling;
  const numbers = (v: unknown, n: number) =>
    Array.isArray(v) && v.length === n && v.every((x) => Number.isFinite(x) && x !== null);
  if (
    c !== undefined &&
    !(Array.isArray(c?.columns) && numbers(c.offset, c.columns.length) &&
      numbers(c.scale, c.columns.length) && c.scale.every((x) => x !== 0))
  ) {
    throw corrupt(file, "the scaling is not one offset and one nonzero scale per column");
  }
  return s;
}

function corrupt(file: string, why: string, cause?: unknown): AutoencoderError {
  return new AutoencoderError(
    `Cannot read the anomaly settings of ${quote(file)}: ${why}; save the model again`,
    { kind: "io", cause },
  );
}

/**
 * Fits a per-column scaling to rows.
 *
 * @param data Rows, row-major.
 * @param columns The column names.
 * @param method `"minmax"` or `"standard"`.
 * @returns The scaling (a constant column gets scale 1).
 */
export function fitScaling(
  data: Float32Array,
  columns: string[],
  method: Scaling["method"],
): Scaling {
  const width = columns.length;
  const count = data.length / width;
  const offset: number[] = [];
  const scale: number[] = [];
  for (let c = 0; c < width; c++) {
    let [min, max, sum, squares] = [Infinity, -Infinity, 0, 0];
    for (let r = 0; r < count; r++) {
      const v = data[r * width + c];
      [min, max, sum, squares] = [Math.min(min, v), Math.max(max, v), sum + v, squares + v * v];
    }
    const mean = sum / count;
    const spread = method === "minmax"
      ? max - min
      : Math.sqrt(Math.max(0, squares / count - mean * mean));
    offset.push(method === "minmax" ? min : mean);
    scale.push(spread > 0 ? spread : 1);
  }
  return { method, columns, offset, scale };
}

/**
 * Scales rows in place: `(value - offset) / scale` per column.
 *
 * @param data Rows, row-major, as many columns as the scaling has.
 * @param scaling The scaling.
 */
export function applyScaling(data: Float32Array, scaling: Scaling): void {
  const width = scaling.columns.length;
  for (let i = 0; i < data.length; i++) {
    const c = i % width;
    data[i] = (data[i] - scaling.offset[c]) / scaling.scale[c];
  }
}
