/**
 * TensorFlow.js peer: trains the five Keras-blog autoencoders with `@tensorflow/tfjs`
 * on MNIST, the same way `bench/torch_peer.py` does in PyTorch (same layers, Glorot
 * init, BCE from logits, Adam, batch sizes, a fixed data subset, a warm-up epoch),
 * and prints one JSON line. The models and the step are in `bench/tfjs_models.ts`, shared
 * with the browser bench. TensorFlow.js is a development tool of the benchmarks (deno.json
 * maps it for them), never a dependency of the library.
 *
 * ```sh
 * deno run -A bench/tfjs_peer.ts --model conv --backend wasm --epochs 3 --limit 640 --json
 * ```
 *
 * Backends: `wasm` (`@tensorflow/tfjs-backend-wasm`, XNNPACK kernels, its `.wasm`
 * files ship in the npm package) and `cpu` (plain JavaScript). `@tensorflow/tfjs-node`
 * downloads its native library at install time from outside the npm registry and
 * cannot be installed here. The wasm backend has no `Conv2DBackpropFilter` kernel, so
 * it cannot train a convolution as shipped; this peer registers one
 * (`bench/tfjs_models.ts`; `--no-shim` leaves it out, and conv training then fails as it
 * would for a user).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { parseArgs } from "node:util";
import { BLOG_BATCH, peakRssMb, readMnist } from "./data.ts";
import { measurePeer } from "./peer_loop.ts";
import { PEER_MODELS, type PeerModel } from "./peer_models.ts";
import { registerConv2DBackpropFilter, tfjsTrainer } from "./tfjs_models.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "undercomplete" },
    backend: { type: "string", default: "wasm" },
    epochs: { type: "string", default: "2" },
    "batch-size": { type: "string" },
    threads: { type: "string", default: "2" },
    limit: { type: "string", default: "2560" },
    seed: { type: "string", default: "0" },
    latency: { type: "boolean", default: false },
    "latency-reps": { type: "string", default: "20" },
    "no-shim": { type: "boolean", default: false },
    data: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const model = values.model as PeerModel;
if (!PEER_MODELS.includes(model)) {
  throw new Error(`Cannot train model "${model}" in TF.js: choose one of ${PEER_MODELS}`);
}
const batchSize = Number(values["batch-size"] ?? BLOG_BATCH[model]);
const seed = Number(values.seed);
const threads = Number(values.threads);
const log = values.json ? console.error : console.log;

if (values.backend === "wasm") wasm.setThreadsCount(threads);
if (!(await tf.setBackend(values.backend))) {
  throw new Error(`Cannot use TensorFlow.js backend "${values.backend}"`);
}
if (values.backend === "wasm" && !values["no-shim"]) registerConv2DBackpropFilter();

const limit = Number(values.limit);
const x = readMnist(limit, values.data) as Float32Array<ArrayBuffer>;
const { epochSeconds, loss, samplesPerSec, buildMs, latencies } = await measurePeer(
  () => tfjsTrainer(model, seed),
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
  peer: "tfjs",
  tfjs: tf.version.tfjs,
  backend: tf.getBackend(),
  ...(tf.getBackend() === "wasm"
    ? { wasm: wasm.version_wasm, wasm_threads: wasm.getThreadsCount(), shim: !values["no-shim"] }
    : {}),
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
