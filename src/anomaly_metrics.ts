/**
 * How well anomaly scores separate labelled anomalies from normal samples: AUROC,
 * AUPRC, and precision and recall at a threshold. Plain functions on arrays
 * (browser-safe); `./anomaly.ts` re-exports them.
 *
 * @module
 */

import { AutoencoderError } from "./errors.ts";

/** How well scores separate anomalies from normal samples. */
export interface DetectionReport {
  /** Area under the ROC curve (ties count one half). */
  auroc: number;
  /** Area under the precision-recall curve, as average precision (anomalies positive). */
  auprc: number;
  /** Samples, and anomalies among them. */
  count: number;
  /** Anomalies among the samples (labels). */
  anomalies: number;
  /** The threshold the next three figures use, if one was given. */
  threshold?: number;
  /** Of the samples scored above the threshold, the share that are anomalies. */
  precision?: number;
  /** Of the anomalies, the share scored above the threshold. */
  recall?: number;
  /** Harmonic mean of precision and recall. */
  f1?: number;
}

/**
 * Area under the ROC curve: the probability that an anomaly scores higher than a
 * normal sample, ties counted one half (the Mann–Whitney statistic).
 *
 * @param scores One score per sample.
 * @param anomalous One label per sample: `true` (or 1) for an anomaly.
 * @returns The area, from 0 to 1.
 *
 * @example
 * ```ts
 * import { auroc } from "./anomaly_metrics.ts";
 * console.assert(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) === 0.75);
 * ```
 */
export function auroc(scores: ArrayLike<number>, anomalous: ArrayLike<boolean | number>): number {
  const { order, positives, negatives } = ranked(scores, anomalous);
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && scores[order[j]] === scores[order[i]]) j++;
    const rank = (i + 1 + j) / 2; // mean of ranks i + 1 .. j, ascending
    for (let k = i; k < j; k++) if (anomalous[order[k]]) rankSum += rank;
    i = j;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Average precision: the mean, over the anomalies, of the precision among the
 * samples scored at least as high as each (tied scores taken together), as
 * scikit-learn's `average_precision_score`.
 *
 * @param scores One score per sample.
 * @param anomalous One label per sample.
 * @returns The area, from 0 to 1.
 *
 * @example
 * ```ts
 * import { auprc } from "./anomaly_metrics.ts";
 * // Ranked high to low: anomaly, normal, anomaly: (1/1 + 2/3) / 2.
 * console.assert(Math.abs(auprc([0.9, 0.5, 0.4], [1, 0, 1]) - 5 / 6) < 1e-12);
 * ```
 */
export function auprc(scores: ArrayLike<number>, anomalous: ArrayLike<boolean | number>): number {
  const { order, positives } = ranked(scores, anomalous);
  let ap = 0;
  let truePositives = 0;
  for (let end = order.length; end > 0;) {
    let start = end - 1;
    while (start > 0 && scores[order[start - 1]] === scores[order[end - 1]]) start--;
    let found = 0;
    for (let k = start; k < end; k++) if (anomalous[order[k]]) found++;
    truePositives += found;
    ap += (found / positives) * (truePositives / (order.length - start));
    end = start;
  }
  return ap;
}

/** Indices sorted by ascending score, and the counts of each label. */
function ranked(scores: ArrayLike<number>, anomalous: ArrayLike<boolean | number>) {
  if (scores.length !== anomalous.length) {
    throw new AutoencoderError(
      `Cannot evaluate scores: ${scores.length} scores but ${anomalous.length} labels; pass one label per score`,
      { kind: "bad-input" },
    );
  }
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  for (let i = 0; i < anomalous.length; i++) if (anomalous[i]) positives++;
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new AutoencoderError(
      `Cannot evaluate scores: the labels hold ${
        positives ? "no normal sample" : "no anomaly"
      }; pass labels of both kinds`,
      { kind: "bad-input" },
    );
  }
  return { order, positives, negatives };
}

/**
 * AUROC, AUPRC and, given a threshold, precision, recall and F1 of the samples
 * scored above it.
 *
 * @param scores One score per sample.
 * @param anomalous One label per sample.
 * @param threshold Scores above it are flagged.
 * @returns The report.
 *
 * @example
 * ```ts
 * import { evaluateScores } from "./anomaly_metrics.ts";
 * const r = evaluateScores([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.3);
 * console.assert(r.auroc === 0.75 && r.precision === 2 / 3 && r.recall === 1);
 * ```
 */
export function evaluateScores(
  scores: ArrayLike<number>,
  anomalous: ArrayLike<boolean | number>,
  threshold?: number,
): DetectionReport {
  const report: DetectionReport = {
    auroc: auroc(scores, anomalous),
    auprc: auprc(scores, anomalous),
    count: scores.length,
    anomalies: Array.from(anomalous).filter(Boolean).length,
  };
  if (threshold === undefined) return report;
  let flagged = 0;
  let hits = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] > threshold) {
      flagged++;
      if (anomalous[i]) hits++;
    }
  }
  const precision = flagged ? hits / flagged : 0;
  const recall = hits / report.anomalies;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { ...report, threshold, precision, recall, f1 };
}
