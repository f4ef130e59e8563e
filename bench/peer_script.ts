/**
 * What the JavaScript peer scripts (`bench/tfjs_peer.ts`, `bench/jaxjs_peer.ts`) share:
 * their common options, and the run itself: read the first `--limit` MNIST digits, build,
 * train, time and dispose of the model ({@link measurePeer}), then print the result row
 * (one JSON line with `--json`, the object for a person otherwise).
 *
 * @module
 */

import { BLOG_BATCH, peakRssMb, readMnist } from "./data.ts";
import { measurePeer } from "./peer_loop.ts";
import { PEER_MODELS, type PeerModel, type PeerTrainer } from "./peer_models.ts";

/** The options every peer takes, as `parseArgs` takes them. */
export const PEER_OPTIONS = {
  model: { type: "string", default: "undercomplete" },
  epochs: { type: "string", default: "2" },
  "batch-size": { type: "string" },
  threads: { type: "string", default: "2" },
  limit: { type: "string", default: "2560" },
  seed: { type: "string", default: "0" },
  latency: { type: "boolean", default: false },
  "latency-reps": { type: "string", default: "20" },
  data: { type: "string" },
  json: { type: "boolean", default: false },
} as const;

/** The values of {@link PEER_OPTIONS}, as `parseArgs` returns them. */
export interface PeerValues {
  model: string;
  epochs: string;
  "batch-size"?: string;
  threads: string;
  limit: string;
  seed: string;
  latency: boolean;
  "latency-reps": string;
  data?: string;
  json: boolean;
}

/** A peer's run, read from its options. */
export interface PeerRun {
  values: PeerValues;
  model: PeerModel;
  batchSize: number;
  seed: number;
  threads: number;
  /** Progress lines: to stderr with `--json`, so that stdout holds the row alone. */
  log: (line: unknown) => void;
}

/**
 * Checks the model and reads the numbers of the common options.
 *
 * @param values The parsed options.
 * @param framework The framework's name, for the error.
 * @returns The run's settings.
 */
export function peerRun(values: PeerValues, framework: string): PeerRun {
  const model = values.model as PeerModel;
  if (!PEER_MODELS.includes(model)) {
    throw new Error(`Cannot train model "${model}" in ${framework}: choose one of ${PEER_MODELS}`);
  }
  return {
    values,
    model,
    batchSize: Number(values["batch-size"] ?? BLOG_BATCH[model]),
    seed: Number(values.seed),
    threads: Number(values.threads),
    log: values.json ? console.error : console.log,
  };
}

/**
 * Trains and times the model, then prints the row: `head` (the peer, its version and
 * backend), then what every peer reports.
 *
 * @param run The run's settings.
 * @param build Makes the model.
 * @param head The row's first fields.
 */
export async function runPeer(
  run: PeerRun,
  build: () => PeerTrainer,
  head: Record<string, unknown>,
): Promise<void> {
  const { values, batchSize, seed, log } = run;
  const limit = Number(values.limit);
  const x = readMnist(limit, values.data) as Float32Array<ArrayBuffer>;
  const { epochSeconds, loss, samplesPerSec, buildMs, latencies } = await measurePeer(build, x, {
    limit,
    batchSize,
    epochs: Number(values.epochs),
    seed,
    log,
    latencyReps: values.latency ? Number(values["latency-reps"]) : undefined,
  });
  const result = {
    ...head,
    model: run.model,
    optimizer: "adam",
    epochs: epochSeconds.length,
    batch_size: batchSize,
    threads: run.threads,
    seed,
    train_samples: limit,
    loss,
    samples_per_sec: samplesPerSec,
    epoch_seconds: epochSeconds,
    build_ms: buildMs,
    ...latencies,
    peak_rss_mb: peakRssMb(),
  };
  if (values.json) console.log(JSON.stringify(result));
  else log(result);
}
