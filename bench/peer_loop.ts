/**
 * The training loop and latency measure the JavaScript peers share (`bench/tfjs_peer.ts`,
 * `bench/jaxjs_peer.ts`, the browser bench's page): a seeded shuffle every epoch, whole
 * batches copied into one buffer, the loss read back after every step (as a user logging it
 * would), epoch wall times. Browser-safe.
 *
 * @module
 */

import { median, type PeerTrainer, rng } from "./peer_models.ts";

const PIXELS = 784;

/** What {@link trainEpochs} measured. */
export interface EpochTimes {
  /** Wall seconds of each epoch. */
  epochSeconds: number[];
  /** Mean training loss of the last epoch. */
  loss: number;
  /** Samples per second: the samples over the median epoch after the first (warm-up) one. */
  samplesPerSec: number;
}

/**
 * Trains for `epochs` passes over the first `limit` images of `x`.
 *
 * @param trainer The model in its framework.
 * @param x At least `limit * 784` floats.
 * @param options Samples per epoch, batch size, epochs, the shuffle's seed, a line logger.
 * @returns Epoch times, the last loss and the throughput.
 */
export async function trainEpochs(
  trainer: PeerTrainer,
  x: Float32Array,
  options: {
    limit: number;
    batchSize: number;
    epochs: number;
    seed: number;
    log?: (line: string) => void;
  },
): Promise<EpochTimes> {
  const { limit, batchSize, epochs, seed, log } = options;
  const random = rng(seed + 1);
  const order = new Uint32Array(limit);
  const batch = new Float32Array(batchSize * PIXELS);
  const epochSeconds: number[] = [];
  let loss = NaN;
  for (let epoch = 0; epoch < epochs; epoch++) {
    order.forEach((_, i) => (order[i] = i));
    for (let i = limit - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const t0 = performance.now();
    let total = 0;
    for (let first = 0; first < limit; first += batchSize) {
      const n = Math.min(batchSize, limit - first);
      for (let i = 0; i < n; i++) {
        const row = order[first + i] * PIXELS;
        batch.set(x.subarray(row, row + PIXELS), i * PIXELS);
      }
      total += (await trainer.step(batch, n)) * n;
    }
    epochSeconds.push((performance.now() - t0) / 1000);
    loss = total / limit;
    log?.(
      `epoch ${epoch + 1}  loss ${loss.toFixed(6)}  train ${epochSeconds.at(-1)!.toFixed(3)} s  ${
        Math.round(limit / epochSeconds.at(-1)!)
      } samples/s`,
    );
  }
  const timed = epochSeconds.length > 1 ? epochSeconds.slice(1) : epochSeconds;
  return { epochSeconds, loss, samplesPerSec: limit / median(timed) };
}

/**
 * Median milliseconds to reconstruct `n` images (read back), after three warm-up calls.
 *
 * @param trainer The model in its framework, or anything that predicts.
 * @param x At least `n * 784` floats.
 * @param n Images per call.
 * @param reps Timed calls.
 * @returns Milliseconds.
 */
export async function latencyMs(
  trainer: Pick<PeerTrainer, "predict">,
  x: Float32Array<ArrayBuffer>,
  n: number,
  reps: number,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps + 3; i++) {
    const start = performance.now();
    await trainer.predict(x, n);
    if (i >= 3) times.push(performance.now() - start);
  }
  return median(times);
}

/** What {@link measurePeer} measured of one model in a JavaScript peer. */
export interface PeerMeasurement extends EpochTimes {
  /** Milliseconds to build the model. */
  buildMs: number;
  /** Prediction latencies (with `latencyReps`): 1 image and 256 (or `limit`). */
  latencies: { latency_1_ms?: number; latency_256_ms?: number };
}

/**
 * Builds a peer's model, trains it ({@link trainEpochs}), times its predictions
 * ({@link latencyMs}) when asked, and disposes of it: the run every peer script makes.
 *
 * @param build Makes the model.
 * @param x At least `limit * 784` floats.
 * @param options As {@link trainEpochs}'s, and `latencyReps`: timed calls (none: no latency).
 * @returns The measurements.
 */
export async function measurePeer(
  build: () => PeerTrainer,
  x: Float32Array<ArrayBuffer>,
  options: Parameters<typeof trainEpochs>[2] & { latencyReps?: number },
): Promise<PeerMeasurement> {
  const t0 = performance.now();
  const trainer = build();
  const buildMs = performance.now() - t0;
  const times = await trainEpochs(trainer, x, options);
  const reps = options.latencyReps;
  const latencies = reps
    ? {
      latency_1_ms: await latencyMs(trainer, x, 1, reps),
      latency_256_ms: await latencyMs(trainer, x, Math.min(256, options.limit), reps),
    }
    : {};
  trainer.dispose();
  return { ...times, buildMs, latencies };
}
