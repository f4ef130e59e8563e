/**
 * The benchmark's own arithmetic, which its tables rest on: the steadiness warning
 * (epochs or rounds more than 30% apart), the peak folded from several measurements,
 * the achieved fraction of it, and the core hand-off probe and its warning.
 *
 * @module
 */

import assert from "node:assert/strict";
import { achieved, foldPeaks } from "../bench/flops.ts";
import { spread, steadinessWarnings } from "../bench/steady.ts";
import { handoffNs, handoffWarnings, ratiosByPlacement } from "../bench/handoff.ts";
import { type BrowserRow, foldRuns, ratioRows } from "../bench/browser/report.ts";
import type { BenchResult } from "../bench/browser/page.ts";

Deno.test("steadinessWarnings: flags unsteady epochs after the warm-up one and disagreeing rounds", () => {
  const steady = { epoch_seconds: [3.0, 1.0, 1.1, 1.2], samples_per_sec: 1000 };
  assert.deepEqual(steadinessWarnings("conv torch", [steady, steady]), []);
  const churn = { epoch_seconds: [0.5, 0.35, 1.7, 0.37], samples_per_sec: 1900 };
  const warnings = steadinessWarnings("conv torch", [steady, churn]);
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.match(warnings[0], /^conv torch round 2: steady-state epochs differ by 386%/);
  assert.match(warnings[1], /^conv torch: rounds differ by 90% \(1000, 1900 samples\/s\)/);
  assert.equal(spread([2]), 0);
});

Deno.test("foldPeaks and achieved: the best of each framework, the higher one divides", () => {
  const peak = foldPeaks([{ ort: 150, torch: 400 }, { ort: 180, torch: 350 }], 2);
  assert.deepEqual([peak.ort_gflops, peak.torch_gflops, peak.peak_gflops], [180, 400, 400]);
  assert.equal(foldPeaks([{ ort: 150 }], 2).torch_gflops, undefined);
  const a = achieved(4000, 4.5e6, peak);
  assert.equal(a.gflops, 18);
  assert.equal(a.peak_fraction, 18 / 400);
});

Deno.test("handoffWarnings: names the runs made at more than twice the fastest hand-off", () => {
  assert.deepEqual(handoffWarnings("conv", [["ours round 1", 50], ["torch round 1", 95]]), []);
  const warnings = handoffWarnings("conv", [
    ["ours round 1", 210],
    ["torch round 1", 48],
    ["ours round 2", 66],
  ]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^conv: ours round 1 \(210 ns\) ran while .* fastest \(48 ns\)/);
  // Every run of a model in the slow placement: named against the bench's fastest.
  const allSlow = handoffWarnings("deep", [["ours round 1", 205], ["torch round 1", 212]], 47);
  assert.match(allSlow[0] ?? "", /^deep: ours round 1 \(205 ns\), torch round 1 \(212 ns\) ran/);
});

Deno.test("ratiosByPlacement: pairs rounds made in the same vCPU placement only", () => {
  // Rounds: both fast (2.0), both slow (1.0), ours slow and PyTorch fast (left out), both fast (1.5).
  const ours = {
    samples_per_sec_each: [200, 100, 90, 150],
    handoff_ns: [[50, 55], [210, 200], [205, 60], [48, 52]],
  };
  const torch = {
    samples_per_sec_each: [100, 100, 100, 100],
    handoff_ns: [[52, 50], [190, 215], [51, 49], [50, 47]],
  };
  assert.deepEqual(ratiosByPlacement(ours, torch, 47), { fast: 1.75, slow: 1.0 });
  const allFast = { ...torch, handoff_ns: torch.handoff_ns.map(() => [50, 50]) };
  assert.deepEqual(ratiosByPlacement(allFast, allFast, 50), { fast: 1, slow: undefined });
});

Deno.test("browser ratios: the peers' fastest rows, and round by round per placement", () => {
  const what = { model: "deep", backend: "wasm", batch_size: 256, train_samples: 2560 } as const;
  const run = (samples: number) =>
    ({ samples_per_sec: samples, epoch_seconds: [1], warmup_epochs: 1 }) as BenchResult;
  const row = (framework: BrowserRow["framework"], threads: number, each: number[]) =>
    foldRuns({ ...what, framework, threads }, each.map(run), [[50, 52], [210, 205], [49, 60]]);
  const rows = [
    row("ours", 2, [90, 60, 100]), // median 90
    row("jaxjs", 2, [30, 30, 25]), // median 30: the faster jax-js row
    row("jaxjs", 1, [20, 20, 20]),
  ];
  const failed = foldRuns({ ...what, framework: "tfjs", threads: 2 }, [run(10), {
    error: "took over 180 s",
  }, run(12)], [[50, 50], [50, 50], [50, 50]]);
  assert.deepEqual(failed.handoff_ns, [[50, 50], [50, 50]]);
  const [ratio] = ratioRows([...rows, failed], ["deep"]);
  assert.equal(ratio.ours_wasm_over_jaxjs_wasm, 3);
  assert.equal(ratio.ours_wasm_over_jaxjs_wasm_fast, 3.5); // rounds 1 and 3: 3 and 4
  assert.equal(ratio.ours_wasm_over_jaxjs_wasm_slow, 2);
  assert.equal(ratio.ours_wasm_over_tfjs_wasm, 90 / 11);
  assert.equal(ratio.ours_wasm_over_tfjs_wasm_fast, undefined); // a round failed: no pairing
});

Deno.test("handoffNs: the ping-pong with a Worker completes and gives a positive time", async () => {
  const ns = await handoffNs(2_000, 3);
  assert.ok(Number.isFinite(ns) && ns > 0, `hand-off ${ns} ns`);
});
