/**
 * How fast the machine's cores hand data to each other: a cache-line ping-pong
 * between this thread and a Web Worker, in nanoseconds per one-way hand-off.
 *
 * On the benchmark's VM (bench/NOTES.md, "Issue 16, part 11") the host places the two
 * vCPUs for stretches of tens of seconds on cores of different L3 caches: the hand-off
 * then takes ~205 ns instead of ~50–70 ns, and ORT's two-thread training runs are up to
 * 1.4× slower (its thread pool hands each op's data between the cores) while PyTorch's
 * are not. The bench measures it before each run so that such runs can be told apart.
 *
 * @module
 */

import { median } from "./data.ts";

/** The worker's side: answers each odd value with the next even one, until told -1. */
const PONG = `self.onmessage = (e) => {
  const flag = new Int32Array(e.data.buffer);
  for (let i = 1; ; i++) {
    let v;
    while ((v = Atomics.load(flag, 0)) !== 2 * i - 1) if (v === -1) return self.postMessage("done");
    Atomics.store(flag, 0, 2 * i);
  }
};`;

/** Hand-offs above this many times the fastest seen mark a run (the slow placement is ~3–4×). */
export const SLOW_HANDOFF = 2;

/**
 * The median over `reps` ping-pongs of up to `trips` round trips each, in ns per one-way
 * hand-off. Both threads spin, so it wants two idle cores; each ping-pong stops after
 * `budgetMs` (on one core every hand-off waits for a time slice).
 *
 * @param trips Round trips per measurement, at most.
 * @param reps Measurements.
 * @param budgetMs Time per measurement, at most.
 * @returns Nanoseconds per hand-off.
 */
export async function handoffNs(trips = 50_000, reps = 5, budgetMs = 40): Promise<number> {
  const url = URL.createObjectURL(new Blob([PONG], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  const flag = new Int32Array(new SharedArrayBuffer(64));
  const times: number[] = [];
  try {
    for (let r = 0; r < reps; r++) {
      Atomics.store(flag, 0, 0);
      const done = new Promise((resolve) => (worker.onmessage = resolve));
      worker.postMessage({ buffer: flag.buffer });
      // The first hand-off waits for the worker to start: not timed.
      Atomics.store(flag, 0, 1);
      while (Atomics.load(flag, 0) !== 2);
      const t0 = performance.now();
      let i = 2;
      for (; i <= trips; i++) {
        Atomics.store(flag, 0, 2 * i - 1);
        while (Atomics.load(flag, 0) !== 2 * i);
        if (i % 16 === 0 && performance.now() - t0 > budgetMs) break;
      }
      times.push((performance.now() - t0) * 1e6 / (2 * (Math.min(i, trips) - 1)));
      Atomics.store(flag, 0, -1);
      await done;
    }
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
  return median(times);
}

/**
 * A warning for the runs of one model made while the cores' hand-off was slow.
 *
 * @param model The model.
 * @param handoffs `[run label, ns]` per run, in order.
 * @param fastestNs The fastest hand-off seen in the whole bench, if faster than these
 * (a model whose runs all fell in the slow placement is flagged too).
 * @returns One line naming the slow runs, or none.
 */
export function handoffWarnings(
  model: string,
  handoffs: readonly (readonly [string, number])[],
  fastestNs = Infinity,
): string[] {
  const fastest = Math.min(fastestNs, ...handoffs.map(([, ns]) => ns));
  const slow = handoffs.filter(([, ns]) => ns > SLOW_HANDOFF * fastest);
  if (!slow.length) return [];
  return [
    `${model}: ${
      slow.map(([run, ns]) => `${run} (${Math.round(ns)} ns)`).join(", ")
    } ran while the cores handed data to each other ${SLOW_HANDOFF}+× slower than the fastest (${
      Math.round(fastest)
    } ns): the host's vCPU placement, which slows ORT's multi-threaded runs (bench/README.md)`,
  ];
}

/** Rounds of two frameworks that ran back to back: samples/s and the hand-off around each. */
interface Rounds {
  samples_per_sec_each: readonly number[];
  handoff_ns: readonly (readonly number[])[];
}

/**
 * `a` over `b` round by round, in the rounds where both ran in the same placement of the
 * vCPUs (a hand-off within {@link SLOW_HANDOFF} times `fastestNs`, or beyond it, on both):
 * the median ratio of each placement, absent where no round pairs up.
 *
 * @param a The first framework's rounds.
 * @param b The second's, run right after each of `a`'s.
 * @param fastestNs The fastest hand-off seen in the bench.
 * @returns The ratios in the fast and the slow placement.
 */
export function ratiosByPlacement(
  a: Rounds,
  b: Rounds,
  fastestNs: number,
): { fast?: number; slow?: number } {
  const slow = (r: Rounds, i: number) => Math.max(...r.handoff_ns[i]) > SLOW_HANDOFF * fastestNs;
  const pairs = { fast: [] as number[], slow: [] as number[] };
  const n = Math.min(a.samples_per_sec_each.length, b.samples_per_sec_each.length);
  for (let i = 0; i < n; i++) {
    if (slow(a, i) !== slow(b, i)) continue;
    pairs[slow(a, i) ? "slow" : "fast"].push(a.samples_per_sec_each[i] / b.samples_per_sec_each[i]);
  }
  return {
    fast: pairs.fast.length ? median(pairs.fast) : undefined,
    slow: pairs.slow.length ? median(pairs.slow) : undefined,
  };
}
