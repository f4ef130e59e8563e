/// <reference lib="dom" />
/**
 * The browser bench's page script (bundled by `bench/browser/bench.ts` into
 * `dist/bench/page.js`): trains one model in one framework on one backend per page load,
 * on the images the server hands out at `/data.f32`, and gives the driver one result.
 * The driver calls `benchRun` with playwright; the page is cross-origin isolated (COOP and
 * COEP headers from `bench/browser/serve.ts`), so WebAssembly may use threads.
 *
 * Frameworks and backends: ours (onnxruntime-web: `wasm`, `webgpu`), TF.js (`wasm`,
 * `webgl`, `webgpu`) and jax-js (`wasm`, `webgpu`), each with the same layers, init, loss,
 * optimizer and batch size as the CLI bench's peers.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import * as tfWasm from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import { configureWebRuntime } from "../../src/web.ts";
import { BLOG_MODELS } from "../../models/registry.ts";
import { startJaxjs } from "../jaxjs_start.ts";
import { latencyMs, trainEpochs } from "../peer_loop.ts";
import { median, type PeerModel, type PeerTrainer } from "../peer_models.ts";
import { registerConv2DBackpropFilter, startTfjsWasm, tfjsTrainer } from "../tfjs_models.ts";

/** The frameworks the browser bench runs. */
export type BenchFramework = "ours" | "tfjs" | "jaxjs";
/** The backends they run on. */
export type BenchBackend = "wasm" | "webgl" | "webgpu";

/** What the driver asks for. */
export interface BenchRequest {
  framework: BenchFramework;
  backend: BenchBackend;
  model: PeerModel;
  batchSize: number;
  /** Images per epoch (whole batches). */
  limit: number;
  /** Timed epochs, after the warm-up. */
  epochs: number;
  /** Untimed epochs are run first until this many seconds have passed (at least one). */
  warmupSeconds: number;
  threads: number;
  seed: number;
  /** Also time reconstructing 256 images (median of 2 calls after 3 warm-up ones). */
  latency: boolean;
}

/** What the page measured. */
export interface BenchResult {
  /** Over the median timed epoch. */
  samples_per_sec: number;
  /** Every epoch's seconds, the warm-up's first. */
  epoch_seconds: number[];
  /** How many of `epoch_seconds` were warm-up. */
  warmup_epochs: number;
  loss: number;
  latency_256_ms?: number;
  /** WebAssembly threads on wasm backends: as TF.js reports them after start-up, jax-js'
   * worker pool (sized by `navigator.hardwareConcurrency`), ORT-web's `numThreads`. */
  wasm_threads?: number;
  /** The WebAssembly binary TF.js loaded (its `.wasm` file's name). */
  wasm_binary?: string;
  cross_origin_isolated: boolean;
  /** The WebGPU adapter (webgpu backends): vendor, architecture, description. */
  adapter?: string;
  /** Whether that adapter is a software one (SwiftShader, or a fallback adapter). */
  software?: boolean;
  version: string;
}

/** The WebGPU adapter this browser gives, described. */
async function adapterInfo(): Promise<{ adapter: string; software: boolean }> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return { adapter: "none", software: false };
  const i = adapter.info;
  const text = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(" ");
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return { adapter: text, software: /swiftshader/i.test(text) || fallback === true };
}

/** The images the driver serves: `limit * 784` floats in [0, 1]. */
async function images(): Promise<Float32Array<ArrayBuffer>> {
  const response = await fetch("/data.f32");
  if (!response.ok) throw new Error(`Cannot fetch "/data.f32": HTTP ${response.status}`);
  return new Float32Array(await response.arrayBuffer());
}

/** Milliseconds to reconstruct 256 images, when the request asks. */
function latency256(
  r: BenchRequest,
  predictor: Pick<PeerTrainer, "predict">,
  x: Float32Array<ArrayBuffer>,
): Promise<number | undefined> {
  if (!r.latency) return Promise.resolve(undefined);
  return latencyMs(predictor, x, Math.min(256, x.length / 784), 2);
}

/**
 * Runs untimed epochs until `seconds` have passed (at least one), so that every
 * framework's timed epochs start with its WebAssembly compiled by V8's optimizing tier
 * (ours reaches its steady speed only after tens of steps, bench/NOTES.md, "Issue 16,
 * part 13").
 *
 * @returns Each warm-up epoch's seconds.
 */
async function warmUp(epoch: () => Promise<number>, seconds: number): Promise<number[]> {
  const times: number[] = [];
  do times.push(await epoch()); while (times.reduce((a, b) => a + b, 0) < seconds);
  return times;
}

/** Our model on onnxruntime-web: `fit` times its own epochs. */
async function ours(r: BenchRequest, x: Float32Array<ArrayBuffer>) {
  if (r.backend === "wasm") configureWebRuntime({ numThreads: r.threads });
  const model = BLOG_MODELS[r.model].create({ provider: r.backend as "wasm", seed: r.seed });
  const images = x.subarray(0, r.limit * 784);
  const fit = (epochs: number) => model.fit(images, { epochs, batchSize: r.batchSize });
  const warm = await warmUp(async () => (await fit(1)).epochSeconds[0], r.warmupSeconds);
  // One fit for the timed epochs, as a user's run: 512 dense updates or more are chained.
  const history = await fit(r.epochs);
  const predictor = {
    predict: (images: Float32Array<ArrayBuffer>, n: number) =>
      model.predict(images.subarray(0, n * 784)),
  };
  const latency = await latency256(r, predictor as Pick<PeerTrainer, "predict">, x);
  await model.dispose();
  return {
    samples_per_sec: r.limit / median(history.epochSeconds),
    epoch_seconds: [...warm, ...history.epochSeconds],
    warmup_epochs: warm.length,
    loss: history.loss.at(-1)!,
    latency_256_ms: latency,
    ...(r.backend === "wasm" ? { wasm_threads: r.threads } : {}),
    version: "onnxruntime-web",
  };
}

/** A TF.js or jax-js trainer on the requested backend. */
async function peer(r: BenchRequest): Promise<[PeerTrainer, Record<string, unknown>]> {
  if (r.framework === "tfjs") {
    let info = {};
    if (r.backend === "wasm") {
      tfWasm.setWasmPaths("/");
      info = await startTfjsWasm(r.threads);
      registerConv2DBackpropFilter();
    } else if (!(await tf.setBackend(r.backend))) {
      throw new Error(`Cannot use TF.js backend "${r.backend}" in this browser`);
    }
    await tf.ready();
    return [tfjsTrainer(r.model, r.seed), { ...info, version: `TF.js ${tf.version.tfjs}` }];
  }
  const jax = await startJaxjs(r.backend as "wasm" | "webgpu", r.threads);
  const threads = jax.workers ? { wasm_threads: jax.workers } : {};
  return [jax.trainer(r.model, r.seed), { ...threads, version: "jax-js" }];
}

/**
 * Runs one request.
 *
 * @param r The framework, backend, model and sizes.
 * @returns The measurement.
 */
async function benchRun(r: BenchRequest): Promise<BenchResult> {
  const x = await images();
  const gpu = r.backend === "webgpu" ? await adapterInfo() : {};
  const common = { cross_origin_isolated: crossOriginIsolated, ...gpu };
  if (r.framework === "ours") return { ...common, ...(await ours(r, x)) };
  const [trainer, info] = await peer(r);
  const train = (epochs: number) => trainEpochs(trainer, x, { ...r, epochs });
  const warm = await warmUp(async () => (await train(1)).epochSeconds[0], r.warmupSeconds);
  const times = await train(r.epochs);
  const latency = await latency256(r, trainer, x);
  trainer.dispose();
  return {
    ...common,
    ...info,
    samples_per_sec: r.limit / median(times.epochSeconds),
    epoch_seconds: [...warm, ...times.epochSeconds],
    warmup_epochs: warm.length,
    loss: times.loss,
    latency_256_ms: latency,
  } as BenchResult;
}

// ORT-web's threads load this bundle again in workers: only the page registers the hook.
if (typeof document !== "undefined") {
  Object.assign(globalThis, { benchRun });
  document.title = "ready";
}
