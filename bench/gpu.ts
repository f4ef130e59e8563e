/**
 * Training throughput of the five models on each execution provider of
 * onnxruntime-node that works on this machine: CUDA (where onnxruntime-node has its
 * CUDA binaries and a CUDA 12 driver), WebGPU (Dawn on Vulkan: on an NVIDIA machine,
 * the NVIDIA Vulkan driver), the CPU; and, with `--wasm`, onnxruntime-web's wasm.
 * Self-contained: it trains on the MNIST subset embedded in the library (repeated up
 * to `--samples`), so a GPU machine needs only the checkout and `deno install`.
 *
 * Each run trains `--epochs` epochs (default 2) in one session; the first is warm-up
 * (session creation, shader compilation) and is reported apart. samples/s is the mean
 * of the other epochs. Unavailable providers are listed with the reason, not run.
 *
 * Run: `deno task bench:gpu [--providers cuda,webgpu,cpu] [--models conv,deep]
 *   [--samples 6000] [--batch-size N] [--epochs 2] [--wasm] [--json FILE]`
 *
 * On a GPU machine: leave VK_ICD_FILENAMES unset (or point it at the GPU's ICD, e.g.
 * /usr/share/vulkan/icd.d/nvidia_icd.json); `vulkaninfo --summary` should list the GPU.
 * For CUDA: `deno install --allow-scripts=npm:onnxruntime-node` (downloads the CUDA 12
 * binaries) or `npm install onnxruntime-node --onnxruntime-node-install=cuda12`.
 *
 * @module
 */

import { parseScriptArgs } from "../src/cli/command.ts";
import { loadMnistSubset, nodeRuntime, type ProviderInfo } from "../mod.ts";
import { BLOG_MODELS, type BlogModelName } from "../models/registry.ts";
import type { ModelOptions } from "../src/autoencoder.ts";
import type { Runtime } from "../src/runtime/types.ts";

/** Each model with the blog's batch size. */

/** One measured run. */
export interface Measurement {
  /** Model name. */
  model: string;
  /** Runtime and provider, as the model reports it. */
  backend: string;
  /** The device, where the runtime knows it. */
  device?: string;
  /** Samples per update. */
  batchSize: number;
  /** Samples per epoch. */
  samples: number;
  /** Seconds of the first epoch (with session creation and compilation). */
  firstEpochSeconds: number;
  /** Training samples per second over the epochs after the first. */
  samplesPerSecond: number;
  /** Loss of the last epoch (a sanity check: about 0.2-0.3 after a few thousand samples). */
  loss: number;
}

/**
 * Trains one model for `epochs` epochs and measures it.
 *
 * @param model Model name (a key of the five).
 * @param options Runtime and provider.
 * @param x Training images.
 * @param batchSize Samples per update.
 * @param epochs Epochs, the first being warm-up.
 * @returns The measurement.
 */
export async function measure(
  model: string,
  options: ModelOptions,
  x: Float32Array,
  batchSize: number,
  epochs: number,
): Promise<Measurement> {
  const m = BLOG_MODELS[model as BlogModelName].create({ seed: 0, ...options });
  const history = await m.fit(x, { epochs, batchSize, shuffle: true });
  const chosen = await m.resolveProvider();
  await m.dispose();
  const samples = x.length / 784;
  const warm = history.epochSeconds.slice(1);
  const seconds = warm.length ? warm : history.epochSeconds;
  return {
    model,
    backend: m.backend,
    device: chosen.device,
    batchSize,
    samples,
    firstEpochSeconds: history.epochSeconds[0],
    samplesPerSecond: samples * seconds.length / seconds.reduce((a, b) => a + b, 0),
    loss: history.loss.at(-1)!,
  };
}

const USAGE = `Training throughput of the models on CUDA, WebGPU and the CPU (for a GPU
machine; unavailable providers are listed with the reason).

Usage: deno task bench:gpu [options]

  --providers LIST   execution providers to try (default cuda,webgpu,cpu)
  --models LIST      models (default ${Object.keys(BLOG_MODELS).join(",")})
  --samples N        training samples, the embedded subset repeated (default 6000)
  --batch-size N     batch size (default: each model's, the blog's)
  --epochs N         epochs; the first is warm-up, reported apart (default 2)
  --wasm             onnxruntime-web's wasm too
  --json FILE        write the results as JSON
  -h, --help         show this help`;

if (import.meta.main) {
  const { values } = parseScriptArgs(USAGE, {
    args: Deno.args,
    options: {
      providers: { type: "string", default: "cuda,webgpu,cpu" },
      models: { type: "string", default: Object.keys(BLOG_MODELS).join(",") },
      samples: { type: "string", default: "6000" },
      "batch-size": { type: "string" },
      epochs: { type: "string", default: "2" },
      wasm: { type: "boolean", default: false },
      json: { type: "string" },
    },
  });
  const { train } = await loadMnistSubset();
  const samples = Number(values.samples);
  const x = new Float32Array(samples * 784);
  for (let i = 0; i < x.length; i += train.images.length) {
    x.set(train.images.subarray(0, Math.min(train.images.length, x.length - i)), i);
  }

  const infos = new Map((await nodeRuntime.providers()).map((p) => [p.provider, p]));
  const runs: { runtime: Runtime; info: ProviderInfo }[] = [];
  for (const name of values.providers.split(",")) {
    const info = infos.get(name as ProviderInfo["provider"]);
    if (!info) throw new Error(`Unknown provider "${name}": choose from ${[...infos.keys()]}`);
    const device = info.device ? ` on ${info.device}${info.software ? " (software)" : ""}` : "";
    console.error(
      `${name}: ${info.available ? `available${device}` : `not available: ${info.reason}`}`,
    );
    if (info.available) runs.push({ runtime: nodeRuntime, info });
  }
  if (values.wasm) {
    const { webRuntime } = await import("../src/runtime/web.ts");
    runs.push({ runtime: webRuntime, info: { provider: "wasm", available: true } });
  }

  const results: Measurement[] = [];
  for (const model of values.models.split(",")) {
    const batchSize = Number(values["batch-size"] ?? BLOG_MODELS[model as BlogModelName].batchSize);
    for (const { runtime, info } of runs) {
      const r = await measure(
        model,
        { runtime, provider: info.provider },
        x,
        batchSize,
        Number(values.epochs),
      );
      r.device ??= info.device;
      results.push(r);
      console.error(
        `${model} ${r.backend}: ${r.samplesPerSecond.toFixed(0)} samples/s ` +
          `(first epoch ${r.firstEpochSeconds.toFixed(1)} s, loss ${r.loss.toFixed(4)})`,
      );
    }
  }
  console.log("| model | backend | device | batch | samples/s | first epoch (s) | loss |");
  console.log("| --- | --- | --- | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    console.log(
      `| ${r.model} | ${r.backend} | ${r.device ?? ""} | ${r.batchSize} | ${
        r.samplesPerSecond.toFixed(0)
      } | ${r.firstEpochSeconds.toFixed(1)} | ${r.loss.toFixed(4)} |`,
    );
  }
  if (values.json) {
    await Deno.writeTextFile(values.json, JSON.stringify(results, null, 2) + "\n");
  }
}
