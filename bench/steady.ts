/**
 * The benchmark's steadiness check: a framework whose steady-state epochs (every
 * epoch after the first, warm-up one) or whose rounds differ by more than
 * {@link STEADY_SPREAD} is not measured at a steady state — a handicap such as the
 * allocator churn the PyTorch peer had (bench/README.md, "A fair PyTorch peer") or a
 * machine whose load changed — and its ratios deserve a rerun.
 *
 * @module
 */

/** The largest relative spread, `max / min − 1`, the check lets pass. */
export const STEADY_SPREAD = 0.3;

/**
 * The relative spread of positive numbers.
 *
 * @param xs The numbers.
 * @returns `max / min − 1` (0 for fewer than two).
 */
export function spread(xs: readonly number[]): number {
  return xs.length < 2 ? 0 : Math.max(...xs) / Math.min(...xs) - 1;
}

/**
 * Warnings for one framework on one model.
 *
 * @param what e.g. `"conv PyTorch 1.13.0"`.
 * @param runs Its runs: each with `epoch_seconds` and `samples_per_sec`.
 * @returns One line per unsteady run, and one if the rounds disagree.
 */
export function steadinessWarnings(
  what: string,
  runs: readonly Record<string, unknown>[],
): string[] {
  const out: string[] = [];
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  runs.forEach((r, i) => {
    const steady = (r.epoch_seconds as number[] | undefined ?? []).slice(1);
    if (spread(steady) > STEADY_SPREAD) {
      out.push(
        `${what} round ${i + 1}: steady-state epochs differ by ${pct(spread(steady))} (${
          steady.map((s) => s.toFixed(3)).join(", ")
        } s)`,
      );
    }
  });
  const rates = runs.map((r) => Number(r.samples_per_sec));
  if (spread(rates) > STEADY_SPREAD) {
    out.push(
      `${what}: rounds differ by ${pct(spread(rates))} (${
        rates.map((x) => Math.round(x)).join(", ")
      } samples/s)`,
    );
  }
  return out;
}
