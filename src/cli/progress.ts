/**
 * Keras-like progress on a terminal: one bar per epoch with samples done, ETA and
 * running loss, redrawn in place; one line per epoch when output is not a
 * terminal (CI, pipes).
 *
 * @module
 */

import type { BatchLogs, EpochLogs } from "../../training/fit.ts";

/** A progress reporter for `fit`'s `onBatchEnd` and `onEpochEnd`. */
export interface Progress {
  /** Redraws the bar (terminals only, at most ten times a second). */
  onBatchEnd(logs: BatchLogs): void;
  /** Prints the epoch's summary line. */
  onEpochEnd(logs: EpochLogs): void;
}

/**
 * Makes a progress reporter.
 *
 * @param epochs Epochs in the whole run (for "Epoch 3/50").
 * @param write Writes text (no newline added).
 * @param terminal Whether to draw the in-place bar.
 * @returns The reporter.
 *
 * @example
 * ```ts
 * import { progress } from "./progress.ts";
 * let text = "";
 * const p = progress(2, (s) => void (text += s), false);
 * p.onEpochEnd({ epoch: 0, learningRate: 1e-3, loss: 0.25, valLoss: 0.2, seconds: 1.5 });
 * console.assert(text === "Epoch 1/2 - 1.50s - loss: 0.2500 - val_loss: 0.2000\n");
 * ```
 */
export function progress(
  epochs: number,
  write: (text: string) => void,
  terminal: boolean,
): Progress {
  let last = 0;
  return {
    onBatchEnd({ epoch, samples, total, loss, seconds }) {
      if (!terminal || (performance.now() - last < 100 && samples < total)) return;
      last = performance.now();
      const eta = samples < total
        ? ` - ETA ${Math.ceil((seconds * (total - samples)) / samples)}s`
        : "";
      write(
        `\r\x1b[KEpoch ${epoch + 1}/${epochs} ${
          String(samples).padStart(String(total).length)
        }/${total} [${bar(samples, total)}]${eta} - loss: ${loss.toFixed(4)}`,
      );
    },
    onEpochEnd({ epoch, loss, penalty, valLoss, seconds }) {
      const parts = [
        `Epoch ${epoch + 1}/${epochs}`,
        `${seconds.toFixed(2)}s`,
        `loss: ${loss.toFixed(4)}`,
        ...(penalty === undefined ? [] : [`penalty: ${penalty.toFixed(4)}`]),
        ...(valLoss === undefined ? [] : [`val_loss: ${valLoss.toFixed(4)}`]),
      ];
      write(`${terminal ? "\r\x1b[K" : ""}${parts.join(" - ")}\n`);
    },
  };
}

/**
 * A bar for work counted in items (images read, megabytes downloaded):
 * `Reading images [=====>......] 1200/5000` redrawn in place on a terminal, at
 * most ten times a second; elsewhere a line at each quarter and at the end.
 *
 * @param label What is counted, e.g. `Reading images`.
 * @param write Writes text (no newline added).
 * @param terminal Whether to draw the in-place bar.
 * @returns A callback taking the items done and their total.
 *
 * @example
 * ```ts
 * import { countProgress } from "./progress.ts";
 * let text = "";
 * const report = countProgress("Reading images", (s) => void (text += s), false);
 * for (let done = 1; done <= 8; done++) report(done, 8);
 * console.assert(text.split("\n").length - 1 === 4); // 2/8, 4/8, 6/8, 8/8
 * ```
 */
export function countProgress(
  label: string,
  write: (text: string) => void,
  terminal: boolean,
): (done: number, total: number) => void {
  let last = 0, quarter = 0;
  return (done, total) => {
    const finished = done >= total;
    if (!terminal) {
      if (Math.floor((4 * done) / total) <= quarter) return;
      quarter = Math.floor((4 * done) / total);
      return write(`${label}: ${done}/${total}\n`);
    }
    if (performance.now() - last < 100 && !finished) return;
    last = performance.now();
    write(`\r\x1b[K${label} [${bar(done, total)}] ${done}/${total}${finished ? "\n" : ""}`);
  };
}

/** A Keras-like bar of 30 characters: `=====>........`. */
function bar(done: number, total: number): string {
  const width = 30, filled = Math.round((width * done) / total);
  return "=".repeat(Math.max(filled - 1, 0)) + (filled < width ? ">" : "=") +
    ".".repeat(width - filled);
}
