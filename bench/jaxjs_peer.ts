/**
 * jax-js peer: trains the five Keras-blog autoencoders with `@jax-js/jax`
 * (`bench/jaxjs_models.ts`) on MNIST the way `bench/tfjs_peer.ts` does with TF.js (same
 * layers, Glorot init, BCE from logits, Adam, batch sizes, a fixed data subset, a warm-up
 * epoch), and prints one JSON line. `deno task bench --peers --peer jaxjs` runs it.
 *
 * ```sh
 * deno run --allow-read --allow-env --allow-sys bench/jaxjs_peer.ts --model deep --epochs 3 --limit 2560 --json
 * ```
 *
 * Devices: `wasm` (default: kernels jax-js generates as WebAssembly, run on a pool of
 * `navigator.hardwareConcurrency` workers sharing the module's memory; `--threads` sets that
 * count) and `cpu` (interpreted JavaScript, for debugging). Deno offers no WebGPU adapter
 * here; the browser bench (`deno task bench:browser`) runs jax-js on WebGPU.
 *
 * @module
 */

import { defaultDevice, init } from "@jax-js/jax";
import denoJson from "../deno.json" with { type: "json" };
import { parseArgs } from "node:util";
import { BLOG_BATCH, peakRssMb, readMnist } from "./data.ts";
import { jaxTrainer } from "./jaxjs_models.ts";
import { measurePeer } from "./peer_loop.ts";
import { PEER_MODELS, type PeerModel } from "./peer_models.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "undercomplete" },
    device: { type: "string", default: "wasm" },
    epochs: { type: "string", default: "2" },
    "batch-size": { type: "string" },
    threads: { type: "string", default: "2" },
    limit: { type: "string", default: "2560" },
    seed: { type: "string", default: "0" },
    latency: { type: "boolean", default: false },
    "latency-reps": { type: "string", default: "20" },
    data: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const model = values.model as PeerModel;
if (!PEER_MODELS.includes(model)) {
  throw new Error(`Cannot train model "${model}" in jax-js: choose one of ${PEER_MODELS}`);
}
const device = values.device as "wasm" | "cpu";
if (device !== "wasm" && device !== "cpu") {
  throw new Error(`Cannot use jax-js device "${device}" in Deno: wasm or cpu`);
}
const threads = Number(values.threads);
// jax-js sizes its wasm worker pool by navigator.hardwareConcurrency when it first runs a kernel.
Object.defineProperty(navigator, "hardwareConcurrency", { value: threads, configurable: true });
const batchSize = Number(values["batch-size"] ?? BLOG_BATCH[model]);
const seed = Number(values.seed);
const log = values.json ? console.error : console.log;

if (!(await init(device)).includes(device)) {
  throw new Error(`Cannot use jax-js device "${device}": init() did not start it`);
}
defaultDevice(device);

const limit = Number(values.limit);
const x = readMnist(limit, values.data) as Float32Array<ArrayBuffer>;
const { epochSeconds, loss, samplesPerSec, buildMs, latencies } = await measurePeer(
  () => jaxTrainer(model, seed),
  x,
  {
    limit,
    batchSize,
    epochs: Number(values.epochs),
    seed,
    log,
    latencyReps: values.latency ? Number(values["latency-reps"]) : undefined,
  },
);

const result = {
  peer: "jaxjs",
  jaxjs: denoJson.imports["@jax-js/jax"].split("@").at(-1),
  backend: device,
  ...(device === "wasm" ? { wasm_threads: threads } : {}),
  model,
  optimizer: "adam",
  epochs: epochSeconds.length,
  batch_size: batchSize,
  threads,
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
// The wasm worker pool keeps the event loop alive.
Deno.exit(0);
