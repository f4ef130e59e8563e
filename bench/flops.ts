/**
 * The machine's practical float32 peak, measured in the benchmark's own run, and
 * what fraction of it a model's training reaches: ORT's best square `MatMul`
 * (`bench/peak.ts`) and, when the PyTorch peer runs, PyTorch's best `torch.mm`
 * (`torch_peer.py --peak`), both with the benchmark's thread count. The peak is the
 * higher of the two; a model's `gflops` is its samples/s times the train FLOP per
 * sample the library counts in its train-step graph (`countFlops`).
 *
 * @module
 */

import { DENO_WORKER, runJson, say } from "./run.ts";

/** The JSON row of the peak measurement. */
export interface PeakRow {
  kind: "peak";
  /** Side of the square matrices. */
  size: number;
  /** Runs per measurement (the best counts), after one warm-up. */
  reps: number;
  /** Intra-op threads. */
  threads: number;
  /** ORT's best GFLOP/s over the measurements. */
  ort_gflops: number;
  /** PyTorch's best GFLOP/s, when its peer ran. */
  torch_gflops?: number;
  /** The higher of the two: the denominator of `peak_fraction`. */
  peak_gflops: number;
}

/** How to start the two measurements. */
export interface PeakOptions {
  /** Intra-op threads. */
  threads: string;
  /** ORT execution provider. */
  provider: string;
  /** ORT's idle threads sleep. */
  passive: boolean;
  /** Python with torch, when the PyTorch peer runs. */
  python?: string;
  /** The PyTorch process' environment changes (OpenBLAS settings). */
  torchEnv?: Record<string, string | undefined>;
}

/** Side and repetitions of the peak `MatMul`. */
export const PEAK_SIZE = 2048, PEAK_REPS = 10;

/**
 * Measures ORT's (and PyTorch's) best GFLOP/s once; call it more than once in a
 * run (start and end) and fold with {@link foldPeaks}.
 *
 * @param o How to start the processes.
 * @returns GFLOP/s by framework.
 */
export async function measurePeak(o: PeakOptions): Promise<{ ort: number; torch?: number }> {
  const size = ["--size", String(PEAK_SIZE), "--reps", String(PEAK_REPS), "--threads", o.threads];
  const ort = await runJson(Deno.execPath(), [
    ...DENO_WORKER.slice(0, -1),
    "bench/peak.ts",
    ...size,
    "--provider",
    o.provider,
    ...(o.passive ? ["--passive"] : []),
  ]);
  const torch = o.python
    ? await runJson(o.python, [
      "bench/torch_peer.py",
      "--peak",
      String(PEAK_SIZE),
      "--peak-reps",
      String(PEAK_REPS),
      "--threads",
      o.threads,
    ], o.torchEnv)
    : undefined;
  const peak = { ort: Number(ort.gflops), torch: torch && Number(torch.gflops) };
  say(
    `  peak: ORT MatMul ${PEAK_SIZE}² ${peak.ort.toFixed(0)} GFLOP/s` +
      (peak.torch ? `, torch.mm ${peak.torch.toFixed(0)} GFLOP/s` : ""),
  );
  return peak;
}

/**
 * The best of several peak measurements, as a JSON row.
 *
 * @param peaks Measurements.
 * @param threads Intra-op threads.
 * @returns The row.
 */
export function foldPeaks(peaks: { ort: number; torch?: number }[], threads: number): PeakRow {
  const ort = Math.max(...peaks.map((p) => p.ort));
  const torches = peaks.flatMap((p) => p.torch ? [p.torch] : []);
  const torch = torches.length ? Math.max(...torches) : undefined;
  return {
    kind: "peak",
    size: PEAK_SIZE,
    reps: PEAK_REPS,
    threads,
    ort_gflops: ort,
    torch_gflops: torch,
    peak_gflops: Math.max(ort, torch ?? 0),
  };
}

/**
 * Achieved GFLOP/s of a training run and its fraction of the peak.
 *
 * @param samplesPerSec Training throughput.
 * @param flopsPerSample Train FLOP per sample of the model.
 * @param peak The peak row.
 * @returns `gflops` and `peak_fraction`.
 */
export function achieved(
  samplesPerSec: number,
  flopsPerSample: number,
  peak: PeakRow,
): { gflops: number; peak_fraction: number } {
  const gflops = samplesPerSec * flopsPerSample / 1e9;
  return { gflops, peak_fraction: gflops / peak.peak_gflops };
}
