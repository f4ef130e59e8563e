/**
 * The benchmark's rows: one framework on one model, folded from its rounds (medians).
 *
 * @module
 */

import { median, type ModelName } from "./data.ts";
import { achieved, type PeakRow } from "./flops.ts";

/** A measurement row: one framework on one model (medians over rounds). */
export interface Row {
  kind: "run";
  framework: string;
  model: ModelName;
  provider: string;
  batch_size: number;
  threads: number;
  rounds: number;
  train_samples: number;
  samples_per_sec: number;
  samples_per_sec_each: number[];
  build_ms?: number;
  session_ms?: number;
  latency_1_ms?: number;
  latency_256_ms?: number;
  peak_rss_mb: number;
  loss: number;
  load_1m: number[];
  /** The cores' hand-off before and after each round, ns (`bench/handoff.ts`). */
  handoff_ns: number[][];
  /** Train FLOP per sample, counted in our train-step graph (the same model in every framework). */
  flops_per_sample: number;
  /** Achieved GFLOP/s: samples/s times `flops_per_sample`. */
  gflops: number;
  /** `gflops` over the machine's practical peak measured in the same run (`kind: "peak"`). */
  peak_fraction: number;
}

/** The name of a framework as the table shows it. */
export function label(r: Record<string, unknown>): string {
  if (r.framework === "ours") return `ours (ORT ${r.provider})`;
  if (r.peer === "pytorch") {
    return `PyTorch ${String(r.torch).replace(/a0$/, "")}${r.omp_wait ? ` (${r.omp_wait})` : ""}`;
  }
  if (r.peer === "jaxjs") return `jax-js ${r.jaxjs} (${r.backend}, ${r.wasm_threads} workers)`;
  const threads = r.wasm_threads ? `, ${r.wasm_threads} thread` : "";
  // tfjs-backend-wasm[-simd|-threaded-simd].wasm: the build that ran.
  const build = typeof r.wasm_binary === "string"
    ? `, ${/^tfjs-backend-wasm-?(.*)\.wasm$/.exec(r.wasm_binary)?.[1] || "plain"}`
    : "";
  return `TF.js ${r.tfjs} (${r.backend}${threads}${build})`;
}

/**
 * Folds the runs of one framework on one model into a row; `flops` is the model's train
 * FLOP per sample (from our worker), `peak` the run's peak.
 */
export function fold(
  model: ModelName,
  runs: Record<string, unknown>[],
  loads: number[],
  flops: number,
  peak: PeakRow,
): Row {
  const num = (k: string) => {
    const xs = runs.map((r) => r[k]).filter((v): v is number => typeof v === "number");
    return xs.length ? median(xs) : undefined;
  };
  const first = runs[0];
  const samplesPerSec = num("samples_per_sec")!;
  return {
    kind: "run",
    framework: label(first),
    model,
    provider: first.framework === "ours" ? String(first.provider) : "cpu",
    batch_size: Number(first.batch_size),
    threads: peak.threads,
    rounds: runs.length,
    train_samples: Number(first.train_samples),
    samples_per_sec: samplesPerSec,
    samples_per_sec_each: runs.map((r) => Math.round(Number(r.samples_per_sec))),
    build_ms: num("build_ms"),
    session_ms: num("session_ms"),
    latency_1_ms: num("latency_1_ms"),
    latency_256_ms: num("latency_256_ms"),
    peak_rss_mb: num("peak_rss_mb")!,
    loss: num("loss")!,
    load_1m: loads,
    handoff_ns: runs.map((r) => (r.handoff_ns as number[]).map(Math.round)),
    flops_per_sample: flops,
    ...achieved(samplesPerSec, flops, peak),
  };
}
