/**
 * Rows, ratios and tables of the browser bench (`bench/browser/bench.ts`).
 *
 * @module
 */

import { ratiosByPlacement } from "../handoff.ts";
import { median, type PeerModel } from "../peer_models.ts";
import type { BenchBackend, BenchFramework, BenchResult } from "./page.ts";
import { fmt, table } from "../table.ts";

/** One framework on one backend on one model: medians over rounds. */
export interface BrowserRow {
  kind: "browser-run";
  model: PeerModel;
  framework: BenchFramework;
  backend: BenchBackend;
  batch_size: number;
  train_samples: number;
  /** Threads asked for (`--threads`, or `@N` in `--runs`); `wasm_threads` says what ran. */
  threads: number;
  rounds: number;
  samples_per_sec?: number;
  samples_per_sec_each: number[];
  /** The cores' hand-off before and after each of those rounds, ns (`bench/handoff.ts`). */
  handoff_ns: number[][];
  /** The first (warm-up) epoch's samples/s, median over rounds: what a page gets cold,
   * while the browser still compiles the framework's WebAssembly and shaders. */
  first_epoch_samples_per_sec?: number;
  /** Untimed epochs each round ran before its timed ones (`--warmup` seconds' worth). */
  warmup_epochs_each: number[];
  latency_256_ms?: number;
  loss?: number;
  wasm_threads?: number;
  wasm_binary?: string;
  cross_origin_isolated?: boolean;
  adapter?: string;
  software?: boolean;
  error?: string;
}

/**
 * Ours over each peer, on wasm and on WebGPU, with the issue's targets on wasm; on wasm also
 * round by round where both ran in the fast placement of the vCPUs, and where both ran in
 * the slow one (`ratiosByPlacement`).
 */
export interface BrowserRatio {
  kind: "browser-ratio";
  model: PeerModel;
  ours_wasm_over_tfjs_wasm?: number;
  ours_wasm_over_tfjs_wasm_fast?: number;
  ours_wasm_over_tfjs_wasm_slow?: number;
  tfjs_wasm_target: number;
  ours_wasm_over_jaxjs_wasm?: number;
  ours_wasm_over_jaxjs_wasm_fast?: number;
  ours_wasm_over_jaxjs_wasm_slow?: number;
  jaxjs_wasm_target: number;
  ours_webgpu_over_tfjs_webgpu?: number;
  ours_webgpu_over_jaxjs_webgpu?: number;
}

const NAMES = { ours: "ours (ORT-web)", tfjs: "TF.js", jaxjs: "jax-js" };

/**
 * Folds the rounds of one framework and backend on one model into a row: medians of the runs
 * that finished, the first failure's message if any did not.
 *
 * @param what The model, framework, backend and sizes.
 * @param results One per round.
 * @param handoffs The cores' hand-off before and after each round, ns.
 * @returns The row.
 */
export function foldRuns(
  what: Pick<
    BrowserRow,
    "model" | "framework" | "backend" | "batch_size" | "train_samples" | "threads"
  >,
  results: (BenchResult | { error: string })[],
  handoffs: number[][],
): BrowserRow {
  const finished = (r: BenchResult | { error: string }): r is BenchResult => !("error" in r);
  const ok = results.filter(finished);
  const failed = results.find((r) => "error" in r) as { error: string } | undefined;
  const latencies = ok.map((r) => r.latency_256_ms).filter((x) => x !== undefined);
  const first = ok.map((r) => what.train_samples / r.epoch_seconds[0]);
  const last = ok.at(-1);
  return {
    kind: "browser-run",
    ...what,
    rounds: ok.length,
    samples_per_sec: ok.length ? median(ok.map((r) => r.samples_per_sec)) : undefined,
    samples_per_sec_each: ok.map((r) => Math.round(r.samples_per_sec)),
    handoff_ns: handoffs.filter((_, i) => finished(results[i])).map((ns) => ns.map(Math.round)),
    first_epoch_samples_per_sec: first.length ? median(first) : undefined,
    warmup_epochs_each: ok.map((r) => r.warmup_epochs),
    latency_256_ms: latencies.length ? median(latencies) : undefined,
    loss: last?.loss,
    wasm_threads: last?.wasm_threads,
    wasm_binary: last?.wasm_binary,
    cross_origin_isolated: last?.cross_origin_isolated,
    adapter: last?.adapter,
    software: last?.software,
    error: failed?.error,
  };
}

/**
 * The ratio rows of the measured models; where a framework and backend ran at several thread
 * counts, its fastest row.
 *
 * @param rows Measurements.
 * @param models Models, in order.
 * @returns One row per model.
 */
export function ratioRows(rows: BrowserRow[], models: PeerModel[]): BrowserRatio[] {
  const fastestNs = Math.min(...rows.flatMap((r) => r.handoff_ns.flat()));
  return models.map((model) => {
    const fastest = (f: string, b: string) =>
      rows.filter((r) =>
        r.model === model && r.framework === f && r.backend === b && r.samples_per_sec
      ).sort((x, y) => y.samples_per_sec! - x.samples_per_sec!)[0] as BrowserRow | undefined;
    const over = (a?: BrowserRow, b?: BrowserRow) =>
      a && b ? a.samples_per_sec! / b.samples_per_sec! : undefined;
    const ours = fastest("ours", "wasm"), tfjs = fastest("tfjs", "wasm");
    const jaxjs = fastest("jaxjs", "wasm");
    // Round i of each row ran in round i of the bench, unless a run failed.
    const placed = (peer?: BrowserRow) =>
      ours && peer && !ours.error && !peer.error ? ratiosByPlacement(ours, peer, fastestNs) : {};
    const [t, j] = [placed(tfjs), placed(jaxjs)];
    return {
      kind: "browser-ratio",
      model,
      ours_wasm_over_tfjs_wasm: over(ours, tfjs),
      ours_wasm_over_tfjs_wasm_fast: t.fast,
      ours_wasm_over_tfjs_wasm_slow: t.slow,
      tfjs_wasm_target: 5,
      ours_wasm_over_jaxjs_wasm: over(ours, jaxjs),
      ours_wasm_over_jaxjs_wasm_fast: j.fast,
      ours_wasm_over_jaxjs_wasm_slow: j.slow,
      jaxjs_wasm_target: 3,
      ours_webgpu_over_tfjs_webgpu: over(fastest("ours", "webgpu"), fastest("tfjs", "webgpu")),
      ours_webgpu_over_jaxjs_webgpu: over(fastest("ours", "webgpu"), fastest("jaxjs", "webgpu")),
    };
  });
}

/** How a backend ran: threads and isolation on wasm, the adapter on WebGPU. */
function how(r: BrowserRow): string {
  if (r.error) return `failed: ${r.error.slice(0, 120)}`;
  if (r.backend === "wasm") {
    const binary = r.wasm_binary ? `, ${r.wasm_binary}` : "";
    return `${r.wasm_threads ?? "?"} thread(s)${
      r.cross_origin_isolated ? ", isolated" : ""
    }${binary}`;
  }
  if (r.backend === "webgpu") return `${r.software ? "software: " : ""}${r.adapter ?? "?"}`;
  return "WebGL 2";
}

/**
 * The runs table and the ratio table.
 *
 * @param rows Measurements.
 * @param ratios Their ratios.
 * @returns Text.
 */
export function browserTables(rows: BrowserRow[], ratios: BrowserRatio[]): string {
  const runs = table(
    [
      "model",
      "framework",
      "backend",
      "train samples/s",
      "each round",
      "first epoch",
      "predict 256 ms",
      "loss",
      "hand-off ns",
      "how",
    ],
    rows.map((r) => [
      r.model,
      NAMES[r.framework],
      r.backend,
      fmt(r.samples_per_sec, 0),
      r.samples_per_sec_each.join(" / "),
      fmt(r.first_epoch_samples_per_sec, 0),
      fmt(r.latency_256_ms, 1),
      fmt(r.loss, 4),
      r.handoff_ns.map((ns) => ns.join("/")).join(" "),
      how(r),
    ]),
    3,
  );
  const mark = (x: number | undefined, target?: number) =>
    x === undefined
      ? "-"
      : `${x.toFixed(2)}${target ? ` ${x >= target ? "ok" : "BELOW"} (>= ${target})` : ""}`;
  const placed = (fast?: number, slow?: number) =>
    [["fast", fast], ["slow", slow]].filter(([, x]) => x !== undefined)
      .map(([name, x]) => `${name} ${(x as number).toFixed(2)}`).join(", ") || "-";
  const ratioTable = table(
    [
      "model",
      "ours/TF.js wasm",
      "by placement",
      "ours/jax-js wasm",
      "by placement",
      "ours/TF.js WebGPU",
      "ours/jax-js WebGPU",
    ],
    ratios.map((r) => [
      r.model,
      mark(r.ours_wasm_over_tfjs_wasm, r.tfjs_wasm_target),
      placed(r.ours_wasm_over_tfjs_wasm_fast, r.ours_wasm_over_tfjs_wasm_slow),
      mark(r.ours_wasm_over_jaxjs_wasm, r.jaxjs_wasm_target),
      placed(r.ours_wasm_over_jaxjs_wasm_fast, r.ours_wasm_over_jaxjs_wasm_slow),
      mark(r.ours_webgpu_over_tfjs_webgpu),
      mark(r.ours_webgpu_over_jaxjs_webgpu),
    ]),
    1,
  );
  return `${runs}\n\n${ratioTable}`;
}
