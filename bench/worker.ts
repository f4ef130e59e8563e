/**
 * One benchmark measurement of this library, in a process of its own so that its
 * peak memory is its own: `bench/bench.ts` spawns it and reads the JSON line it
 * prints last.
 *
 * Modes:
 * - `bench` (default): time to build the graphs and open the sessions, training
 *   throughput (a fixed number of steps per epoch on a data subset; the first
 *   epoch is warm-up), single-image and batch-256 inference latency, peak RSS, and
 *   the train step's FLOP per sample (`countFlops`).
 * - `batch`: throughput at each of `--batch-sizes`, `--samples` per epoch.
 * - `size`: epoch time on each of `--sizes` training-set sizes.
 *
 * ```sh
 * deno run -A bench/worker.ts --model conv --steps 10 --epochs 4 --threads 2
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Autoencoder, nodeRuntime } from "../mod.ts";
import { BLOG_MODELS } from "../models/registry.ts";
import type { ModelOptions } from "../src/autoencoder.ts";
import { countFlops } from "../src/ir/flops.ts";
import { buildInference } from "../src/nn/architecture.ts";
import { encodeModel } from "../src/onnx/model.ts";
import type { SessionOptions } from "../src/runtime/types.ts";
import { optimizerByName } from "../training/optimizers.ts";
import {
  BLOG_BATCH,
  median,
  type ModelName,
  MODELS,
  peakRssMb,
  PIXELS,
  readMnist,
} from "./data.ts";

const list = (s: string) => s.split(",").map(Number);

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mode: { type: "string", default: "bench" },
    model: { type: "string", default: "undercomplete" },
    provider: { type: "string", default: "cpu" },
    threads: { type: "string", default: "2" },
    passive: { type: "boolean", default: false },
    "batch-size": { type: "string" },
    steps: { type: "string", default: "40" },
    epochs: { type: "string", default: "4" },
    "latency-reps": { type: "string", default: "20" },
    "batch-sizes": { type: "string", default: "32,64,128,256,512,1024" },
    samples: { type: "string", default: "8192" },
    sizes: { type: "string", default: "2000,4000,8000,16000" },
    data: { type: "string" },
    seed: { type: "string", default: "0" },
  },
});

const model = values.model as ModelName;
if (!MODELS.includes(model)) throw new Error(`Cannot bench model "${model}": not known`);
const options: ModelOptions = {
  seed: Number(values.seed),
  provider: values.provider as ModelOptions["provider"],
  threads: Number(values.threads) || undefined,
  spinning: !values.passive,
};
// The sessions opened directly (to time their opening) take the provider by name.
const session: SessionOptions = {
  provider: values.provider as SessionOptions["provider"],
  threads: options.threads,
  spinning: options.spinning,
};
const batchSize = Number(values["batch-size"] ?? BLOG_BATCH[model]);
const epochs = Number(values.epochs);
// The model's own optimizer: Adam, RMSprop for the VAE (models/registry.ts).
const optimizer = BLOG_MODELS[model].optimizer ?? "adam";

/** Trains a fresh model on `x`; returns the seconds of each epoch and the last loss. */
async function train(x: Float32Array, batch: number, epochCount: number) {
  const m = BLOG_MODELS[model].create(options);
  const history = await m.fit(x, { epochs: epochCount, batchSize: batch, optimizer });
  await m.dispose();
  return { epochSeconds: history.epochSeconds, loss: history.loss.at(-1)! };
}

/** Samples per second over the epochs after the first (warm-up) one: median epoch. */
function throughput(samples: number, epochSeconds: number[]): number {
  const timed = epochSeconds.length > 1 ? epochSeconds.slice(1) : epochSeconds;
  return samples / median(timed);
}

/** Median milliseconds of `predict` on `x`, after three warm-up calls. */
async function latency(m: Autoencoder, x: Float32Array, reps: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps + 3; i++) {
    const t0 = performance.now();
    await m.predict(x);
    if (i >= 3) times.push(performance.now() - t0);
  }
  return median(times);
}

const common = {
  framework: "ours",
  runtime: nodeRuntime.name,
  model,
  provider: session.provider,
  threads: options.threads ?? 0,
  spinning: options.spinning,
};

if (values.mode === "bench") {
  const steps = Number(values.steps);
  const x = readMnist(Math.max(steps * batchSize, 256), values.data);
  const n = steps * batchSize;

  // Graphs: the train step (forward, autodiff, optimizer) and the inference graph, encoded.
  let t0 = performance.now();
  const built = BLOG_MODELS[model].create(options);
  const program = built.program(optimizerByName(optimizer));
  const stepBytes = program.onnx("train");
  const inferBytes = encodeModel(buildInference(built.config, "autoencoder").graph, {
    name: "autoencoder",
  });
  const buildMs = performance.now() - t0;
  t0 = performance.now();
  const opened = [
    await nodeRuntime.createSession(stepBytes, { ...session, layoutTransforms: false }),
    await nodeRuntime.createSession(inferBytes, session),
  ];
  const sessionMs = performance.now() - t0;
  for (const s of opened) await s.release();

  const m = BLOG_MODELS[model].create(options);
  const history = await m.fit(x.subarray(0, n * PIXELS), {
    epochs,
    batchSize,
    optimizer,
  });
  const reps = Number(values["latency-reps"]);
  const latency1 = await latency(m, x.subarray(0, PIXELS), reps);
  const latency256 = await latency(m, x.subarray(0, 256 * PIXELS), reps);
  await m.dispose();
  console.log(JSON.stringify({
    ...common,
    optimizer,
    batch_size: batchSize,
    steps,
    train_samples: n,
    epoch_seconds: history.epochSeconds,
    samples_per_sec: throughput(n, history.epochSeconds),
    loss: history.loss.at(-1),
    build_ms: buildMs,
    session_ms: sessionMs,
    train_step_bytes: stepBytes.length,
    flops_per_sample: countFlops(program.trainStep, { N: batchSize }) / batchSize,
    latency_1_ms: latency1,
    latency_256_ms: latency256,
    peak_rss_mb: peakRssMb(),
  }));
} else if (values.mode === "batch") {
  const samples = Number(values.samples);
  const x = readMnist(samples, values.data);
  const points = [];
  for (const b of list(values["batch-sizes"])) {
    // Whole batches only, at least two per epoch.
    const n = Math.max(2, Math.floor(samples / b)) * b;
    const data = n <= samples ? x.subarray(0, n * PIXELS) : readMnist(n, values.data);
    const { epochSeconds, loss } = await train(data, b, epochs);
    points.push({
      batch_size: b,
      train_samples: n,
      epoch_seconds: epochSeconds,
      samples_per_sec: throughput(n, epochSeconds),
      loss,
    });
    console.error(`${model} batch ${b}: ${Math.round(points.at(-1)!.samples_per_sec)} samples/s`);
  }
  console.log(JSON.stringify({ ...common, mode: "batch", points, peak_rss_mb: peakRssMb() }));
} else if (values.mode === "size") {
  const sizes = list(values.sizes);
  const x = readMnist(Math.max(...sizes), values.data);
  const points = [];
  for (const n of sizes) {
    const { epochSeconds, loss } = await train(x.subarray(0, n * PIXELS), batchSize, epochs);
    const timed = epochSeconds.length > 1 ? epochSeconds.slice(1) : epochSeconds;
    points.push({ train_samples: n, epoch_seconds: epochSeconds, median_s: median(timed), loss });
    console.error(`${model} ${n} samples: ${median(timed).toFixed(3)} s/epoch`);
  }
  console.log(JSON.stringify({
    ...common,
    mode: "size",
    batch_size: batchSize,
    points,
    peak_rss_mb: peakRssMb(),
  }));
} else {
  throw new Error(`Cannot run mode "${values.mode}": choose bench, batch or size`);
}
