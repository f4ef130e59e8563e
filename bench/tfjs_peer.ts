/**
 * TensorFlow.js peer: trains the five Keras-blog autoencoders with `@tensorflow/tfjs`
 * on MNIST, the same way `bench/torch_peer.py` does in PyTorch (same layers, Glorot
 * init, BCE from logits, Adam, batch sizes, a fixed data subset, a warm-up epoch),
 * and prints one JSON line. Run by Deno through `npm:` specifiers, which stay in
 * this file: TensorFlow.js is a development tool of the benchmarks, never a
 * dependency of the library. `--no-lock` keeps it out of the project's lock file.
 *
 * ```sh
 * deno run --no-lock -A bench/tfjs_peer.ts --model conv --backend wasm --epochs 3 --limit 640 --json
 * ```
 *
 * Backends: `wasm` (`@tensorflow/tfjs-backend-wasm`, XNNPACK kernels, its `.wasm`
 * files ship in the npm package) and `cpu` (plain JavaScript). `@tensorflow/tfjs-node`
 * downloads its native library at install time from outside the npm registry and
 * cannot be installed here. The wasm backend has no `Conv2DBackpropFilter` kernel, so
 * it cannot train a convolution as shipped; this peer registers one that runs the
 * backend's own `Conv3DBackpropFilterV2` kernel on a depth-1 view (`--no-shim` leaves
 * it out, and conv training then fails as it would for a user).
 *
 * @module
 */

// TF.js is a tool of this benchmark only, so it stays out of deno.json's imports:
// deno-lint-ignore no-import-prefix
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
// deno-lint-ignore no-import-prefix
import * as wasm from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
import { parseArgs } from "node:util";
import {
  BLOG_BATCH,
  median,
  type ModelName,
  MODELS,
  peakRssMb,
  PIXELS,
  readMnist,
} from "./data.ts";

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

const model = values.model as ModelName;
if (!MODELS.includes(model)) throw new Error(`Cannot train model "${model}": not known`);
if (model === "vae") {
  throw new Error(`Cannot train model "vae": this peer has the five blog models only`);
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

/**
 * `Conv2DBackpropFilter` for the wasm backend, which lacks it: reshapes the NHWC
 * input and output gradient to depth-1 NDHWC views (no copy) and runs the backend's
 * `Conv3DBackpropFilterV2` kernel.
 */
function registerConv2DBackpropFilter() {
  type KernelArgs = Parameters<tf.KernelFunc>[0];
  type Info = tf.TensorInfo;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }: KernelArgs) => {
      const reshape = tf.getKernel("Reshape", "wasm")!.kernelFunc;
      const filter3d = tf.getKernel("Conv3DBackpropFilterV2", "wasm")!.kernelFunc;
      const { x, dy } = inputs as { x: Info; dy: Info };
      const a = attrs as unknown as {
        strides: number | [number, number];
        pad: "same" | "valid";
        filterShape: [number, number, number, number];
      };
      const strides = typeof a.strides === "number" ? [a.strides, a.strides] : a.strides;
      const view = (t: Info) =>
        reshape({
          inputs: { x: t },
          backend,
          attrs: { shape: [t.shape[0], 1, ...t.shape.slice(1)] },
        }) as Info;
      const x5 = view(x), dy5 = view(dy);
      const dw5 = filter3d({
        inputs: { x: x5, dy: dy5 },
        backend,
        attrs: { strides: [1, ...strides], pad: a.pad, filterShape: [1, ...a.filterShape] },
      }) as Info;
      const dw = reshape({ inputs: { x: dw5 }, backend, attrs: { shape: a.filterShape } }) as Info;
      for (const t of [x5, dy5, dw5]) (backend as tf.KernelBackend).disposeData(t.dataId);
      return dw;
    },
  });
}

// ---- models ----------------------------------------------------------------

type Spec = ["conv", number, "same" | "valid"] | ["pool"] | ["up"];
const CONV: Record<"conv" | "denoising", [Spec[], Spec[]]> = {
  conv: [
    [["conv", 16, "same"], ["pool"], ["conv", 8, "same"], ["pool"], ["conv", 8, "same"], ["pool"]],
    [
      ["conv", 8, "same"],
      ["up"],
      ["conv", 8, "same"],
      ["up"],
      ["conv", 16, "valid"],
      ["up"],
      ["conv", 1, "same"],
    ],
  ],
  denoising: [
    [["conv", 32, "same"], ["pool"], ["conv", 32, "same"], ["pool"]],
    [["conv", 32, "same"], ["up"], ["conv", 32, "same"], ["up"], ["conv", 1, "same"]],
  ],
};
const DENSE: Record<"undercomplete" | "sparse" | "deep", [number[], number[]]> = {
  undercomplete: [[32], []],
  sparse: [[32], []],
  deep: [[128, 64, 32], [64, 128]],
};

let seedCount = seed * 1000;
const glorot = () => tf.initializers.glorotUniform({ seed: seedCount++ });

/** Encoder and decoder; the decoder ends in logits (the sigmoid is in the loss). */
function build(
  name: Exclude<ModelName, "vae">,
): { encoder: tf.Sequential; decoder: tf.Sequential } {
  const encoder = tf.sequential(), decoder = tf.sequential();
  if (name === "conv" || name === "denoising") {
    const add = (to: tf.Sequential, specs: Spec[], inputShape: number[]) => {
      specs.forEach((s, i) => {
        const first = i === 0 ? { inputShape } : {};
        if (s[0] === "conv") {
          to.add(tf.layers.conv2d({
            ...first,
            filters: s[1],
            kernelSize: 3,
            padding: s[2],
            activation: i === specs.length - 1 && to === decoder ? "linear" : "relu",
            kernelInitializer: glorot(),
            biasInitializer: "zeros",
          }));
        } else if (s[0] === "pool") {
          // Keras' MaxPooling2D((2, 2), padding="same"): 7 -> 4.
          to.add(tf.layers.maxPooling2d({ ...first, poolSize: 2, strides: 2, padding: "same" }));
        } else {
          to.add(tf.layers.upSampling2d({ ...first, size: [2, 2] })); // nearest
        }
      });
    };
    const [enc, dec] = CONV[name];
    add(encoder, enc, [28, 28, 1]);
    add(decoder, dec, encoder.outputs[0].shape.slice(1) as number[]);
  } else {
    const [enc, dec] = DENSE[name];
    let prev = PIXELS;
    for (const [to, widths] of [[encoder, enc], [decoder, dec]] as const) {
      for (const units of widths) {
        to.add(tf.layers.dense({
          inputShape: [prev],
          units,
          activation: "relu",
          kernelInitializer: glorot(),
        }));
        prev = units;
      }
    }
    decoder.add(tf.layers.dense({
      inputShape: [prev],
      units: PIXELS,
      kernelInitializer: glorot(),
    }));
  }
  return { encoder, decoder };
}

// ---- training ----------------------------------------------------------------

/** A small seeded generator (mulberry32) for the epoch shuffles. */
function rng(s: number) {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const limit = Number(values.limit);
const x = readMnist(limit, values.data);
const conv = model === "conv" || model === "denoising";
const shape = (n: number) => conv ? [n, 28, 28, 1] : [n, PIXELS];

let t0 = performance.now();
const { encoder, decoder } = build(model);
const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
const buildMs = performance.now() - t0;

const random = rng(seed + 1);
const order = new Uint32Array(limit);
const batch = new Float32Array(batchSize * PIXELS);
const epochSeconds: number[] = [];
let loss = NaN;
for (let epoch = 0; epoch < Number(values.epochs); epoch++) {
  order.forEach((_, i) => (order[i] = i));
  for (let i = limit - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  t0 = performance.now();
  let total = 0;
  for (let first = 0; first < limit; first += batchSize) {
    const n = Math.min(batchSize, limit - first);
    for (let i = 0; i < n; i++) {
      const row = order[first + i] * PIXELS;
      batch.set(x.subarray(row, row + PIXELS), i * PIXELS);
    }
    const target = tf.tensor(batch.subarray(0, n * PIXELS), shape(n));
    const cost = optimizer.minimize(() => {
      const input = model === "denoising"
        ? tf.clipByValue(tf.add(target, tf.randomNormal(target.shape, 0, 0.5)), 0, 1)
        : target;
      const code = encoder.apply(input, { training: true }) as tf.Tensor;
      const logits = decoder.apply(code, { training: true }) as tf.Tensor;
      let l = tf.losses.sigmoidCrossEntropy(target, logits);
      if (model === "sparse") {
        // Keras 1 activity regularizer: 1e-4 * sum over units of mean over batch of |h|.
        l = tf.add(l, tf.mul(tf.sum(tf.mean(tf.abs(code), 0)), 1e-4));
      }
      return l as tf.Scalar;
    }, true)!;
    total += cost.dataSync()[0] * n;
    tf.dispose([cost, target]);
  }
  epochSeconds.push((performance.now() - t0) / 1000);
  loss = total / limit;
  log(
    `epoch ${epoch + 1}  loss ${loss.toFixed(6)}  train ${epochSeconds.at(-1)!.toFixed(3)} s  ${
      Math.round(limit / epochSeconds.at(-1)!)
    } samples/s`,
  );
}

/** Median milliseconds to reconstruct `n` images (sigmoid output read back), after warm-up. */
function latency(n: number, reps: number): number {
  const times: number[] = [];
  for (let i = 0; i < reps + 3; i++) {
    const start = performance.now();
    const out = tf.tidy(() => {
      const input = tf.tensor(x.subarray(0, n * PIXELS), shape(n));
      return tf.sigmoid(decoder.apply(encoder.apply(input)) as tf.Tensor);
    });
    out.dataSync();
    out.dispose();
    if (i >= 3) times.push(performance.now() - start);
  }
  return median(times);
}
const reps = Number(values["latency-reps"]);
const latencies = values.latency
  ? { latency_1_ms: latency(1, reps), latency_256_ms: latency(Math.min(256, limit), reps) }
  : {};

const timed = epochSeconds.length > 1 ? epochSeconds.slice(1) : epochSeconds;
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
  samples_per_sec: limit / median(timed),
  epoch_seconds: epochSeconds,
  build_ms: buildMs,
  ...latencies,
  peak_rss_mb: peakRssMb(),
};
if (values.json) console.log(JSON.stringify(result));
else log(result);
