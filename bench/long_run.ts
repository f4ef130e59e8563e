/**
 * Long runs keep a flat memory profile: trains for many epochs as a user does (one
 * `fit` with validation data), and after each epoch also predicts and encodes (the
 * model's cached inference sessions) and, with `--evaluate`, calls `evaluate` (which
 * opens and frees a session each time), then samples the resident memory. Not a CI
 * test: run it by hand.
 *
 * The check: after the first `--warmup` epochs (allocators and ORT's arenas
 * settle), resident memory may grow by less than 5% to the end of the run (its
 * peak, measured after a full garbage collection when `--expose-gc` is given). The
 * last stdout line is one JSON object with the figures; the exit status is 1 when
 * the growth is 5% or more.
 *
 * ```sh
 * deno run --v8-flags=--expose-gc --allow-read --allow-env --allow-ffi --allow-sys \
 *   bench/long_run.ts --model undercomplete --limit 5000 --epochs 40
 * deno run --v8-flags=--expose-gc --allow-read --allow-env --allow-ffi --allow-sys \
 *   bench/long_run.ts --model conv --limit 1000 --epochs 15
 * # WebGPU through SwiftShader (no GPU needed; slow)
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json deno run --v8-flags=--expose-gc \
 *   --allow-read --allow-env --allow-ffi --allow-sys --allow-write=/tmp bench/long_run.ts \
 *   --model conv --limit 64 --epochs 10 --warmup 3 --batch-size 32 --provider webgpu
 * ```
 *
 * The last figure, resident memory after `dispose()` and glibc's `malloc_trim`,
 * tells memory still held from freed memory the C allocator kept: opening and
 * freeing a session every epoch (`--evaluate`) fragments glibc's heap, and resident
 * memory then creeps up in steps although nothing is held.
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { loadMnist } from "../mod.ts";
import { blogModel } from "../models/registry.ts";
import type { EpochLogs } from "../training/fit.ts";
import type { Provider } from "../src/runtime/types.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "undercomplete" },
    limit: { type: "string", default: "5000" },
    epochs: { type: "string", default: "40" },
    "batch-size": { type: "string", default: "128" },
    warmup: { type: "string", default: "5" },
    provider: { type: "string", default: "cpu" },
    threads: { type: "string" },
    data: { type: "string" },
    evaluate: { type: "boolean", default: false },
  },
});
const make = blogModel(values.model).create;
const [limit, epochs, batchSize, warmup] = [
  values.limit,
  values.epochs,
  values["batch-size"],
  values.warmup,
].map(Number);
const provider = values.provider as Provider;
if (provider === "webgpu") {
  // SwiftShader's Vulkan runs ORT's WebGPU provider on the CPU where there is no GPU.
  if (!Deno.env.get("VK_ICD_FILENAMES")) {
    console.error("note: VK_ICD_FILENAMES is unset; without a GPU, point it at SwiftShader");
  }
  if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync());
}

// Copies of the subsets only, so that the full data set (235 MB) is freed and the
// baseline is the model's own memory: a leak then shows sooner.
const [x, probe] = await loadMnist({ dir: values.data }).then(({ train, test }) => [
  train.images.slice(0, limit * 784),
  test.images.slice(0, Math.min(limit, 1000) * 784),
]);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error(
    "note: run with --v8-flags=--expose-gc to measure what is kept rather than what is not yet collected",
  );
}
const model = make({
  seed: 0,
  provider,
  threads: values.threads ? Number(values.threads) : undefined,
  spinning: false,
});
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
const samples: { epoch: number; rss: number; heap: number; external: number; seconds: number }[] =
  [];
const started = performance.now();
console.log(`${values.model} on ${model.backend}: ${limit} images, ${epochs} epochs`);
await model.fit(x, {
  epochs,
  batchSize,
  validationData: probe,
  onEpochEnd: async (logs: EpochLogs) => {
    // The inference paths too: cached sessions (predict, encode) and, if asked,
    // evaluate, which opens and frees a session on each call.
    await model.predict(probe);
    await model.encode(probe);
    const valLoss = values.evaluate ? await model.evaluate(probe) : logs.valLoss!;
    gc?.();
    const m = process.memoryUsage();
    samples.push({
      epoch: logs.epoch + 1,
      rss: mb(m.rss),
      heap: mb(m.heapUsed),
      external: mb(m.external),
      seconds: Math.round(logs.seconds * 100) / 100,
    });
    console.log(
      `epoch ${logs.epoch + 1}/${epochs}: loss ${logs.loss.toFixed(4)}, val ${
        valLoss.toFixed(4)
      }, ${logs.seconds.toFixed(2)} s; rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)} MB, external ${
        mb(m.external)
      } MB`,
    );
  },
});
await model.dispose();

// What of the growth is memory the C allocator keeps after it was freed (glibc keeps
// fragmented pages): returned to the system, what is left is what is really held.
const trimmed = (() => {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    });
    (globalThis as { gc?: () => void }).gc?.();
    libc.symbols.malloc_trim(0n);
    libc.close();
    return mb(process.memoryUsage().rss);
  } catch {
    return undefined; // not glibc
  }
})();

const after = samples.filter((s) => s.epoch >= warmup);
const base = after[0], last = after.at(-1)!;
const peak = Math.max(...after.map((s) => s.rss));
// Least-squares slope of RSS over the epochs after the warm-up, in MB per epoch.
const n = after.length;
const meanE = after.reduce((a, s) => a + s.epoch, 0) / n;
const meanR = after.reduce((a, s) => a + s.rss, 0) / n;
const slope = after.reduce((a, s) => a + (s.epoch - meanE) * (s.rss - meanR), 0) /
  Math.max(after.reduce((a, s) => a + (s.epoch - meanE) ** 2, 0), 1e-9);
const growth = (last.rss - base.rss) / base.rss;
const peakGrowth = (peak - base.rss) / base.rss;
const result = {
  model: values.model,
  backend: model.backend,
  evaluate_each_epoch: values.evaluate,
  images: limit,
  epochs,
  warmup,
  rss_first_mb: samples[0].rss,
  rss_at_warmup_mb: base.rss,
  rss_last_mb: last.rss,
  rss_peak_mb: peak,
  growth_percent: Math.round(growth * 1000) / 10,
  peak_growth_percent: Math.round(peakGrowth * 1000) / 10,
  slope_mb_per_epoch: Math.round(slope * 1000) / 1000,
  rss_after_dispose_and_malloc_trim_mb: trimmed,
  minutes: Math.round((performance.now() - started) / 600) / 100,
  flat: peakGrowth < 0.05,
};
console.log(JSON.stringify(result));
if (!result.flat) process.exitCode = 1;
