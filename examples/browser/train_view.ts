/// <reference lib="dom" />
/**
 * What one training run shows: the backend line, progress within the epoch, the
 * log, the loss chart and a row of reconstructions per epoch. The tests read
 * `#train-status`'s `data-losses`, `data-val-losses`, `data-recon-errors` and
 * `data-provider`.
 *
 * @module
 */

import type { BatchLogs, WorkerEpoch, WorkerStart } from "../../src/web.ts";
import { $, digitCanvas, PIXELS, setState } from "./canvas.ts";
import { drawChart } from "./chart.ts";

/** Rows of epochs kept under the originals and the untrained row. */
const EPOCH_ROWS = 4;

/** A row of digits with a label. */
function digitRow(label: string, images: Float32Array, epoch?: number): HTMLElement {
  const row = document.createElement("div");
  row.className = "recon-row";
  if (epoch !== undefined) row.dataset.epoch = String(epoch);
  row.append(Object.assign(document.createElement("span"), { textContent: label }));
  for (let i = 0; i < images.length / PIXELS; i++) {
    row.append(digitCanvas(images.subarray(i * PIXELS, (i + 1) * PIXELS)));
  }
  return row;
}

/** The page's view of one run. */
export class RunView {
  /** Training loss per epoch. */
  readonly losses: number[] = [];
  /** Validation loss: before training, then per epoch. */
  readonly valLosses: number[] = [];
  /** Mean squared error of the shown digits' reconstructions: before training, then per epoch. */
  readonly reconErrors: number[] = [];
  readonly #status = $("train-status");
  readonly #log = $("train-log");
  readonly #grid = $("train-recon");

  /**
   * Clears the previous run's log and rows.
   *
   * @param kind The model trained.
   * @param epochs Epochs asked for.
   * @param originals The digits reconstructed after each epoch.
   */
  constructor(readonly kind: string, readonly epochs: number, readonly originals: Float32Array) {
    this.#log.textContent = "";
    this.#grid.replaceChildren(digitRow("originals", originals));
    $<HTMLProgressElement>("train-progress").value = 0;
    $("train-rate").textContent = "";
  }

  /** The worker has started: which provider and threads, and why. */
  start({ backend, provider, threads }: WorkerStart, count: number): void {
    this.#status.dataset.provider = backend.match(/\((\w+)/)?.[1] ?? "";
    $("train-backend").textContent =
      `Training the ${this.kind} model in a worker on ${provider}, ` +
      `${threads} thread(s): ${backend}`;
    setState(this.#status, "training", `Training on ${count} digits…`);
  }

  /** Progress within an epoch. */
  batch({ epoch, samples, total, seconds }: BatchLogs): void {
    const progress = $<HTMLProgressElement>("train-progress");
    progress.max = total * this.epochs;
    progress.value = (epoch % this.epochs) * total + samples;
    $("train-rate").textContent = `epoch ${this.losses.length + 1}/${this.epochs}: ` +
      `${samples}/${total} digits, ${Math.round(samples / seconds)} samples/s`;
  }

  /** The model before training, or after an epoch: log, chart, reconstructions. */
  epoch({ epochs: done, logs, valLoss, reconstructions }: WorkerEpoch): void {
    const out = reconstructions!;
    let error = 0;
    for (let i = 0; i < out.length; i++) error += (out[i] - this.originals[i]) ** 2;
    this.reconErrors.push(error / out.length);
    this.valLosses.push(valLoss ?? NaN);
    if (logs) {
      this.losses.push(logs.loss);
      const rate = Math.round((logs.samples ?? 0) / logs.seconds);
      const stopped = logs.stopped ? `, stopped after ${logs.samples} digits` : "";
      this.#log.textContent += `epoch ${done}/${this.epochs}: loss ${logs.loss.toFixed(4)}, ` +
        `validation ${valLoss?.toFixed(4)} (${logs.seconds.toFixed(1)} s, ${rate} samples/s` +
        `${stopped})\n`;
    }
    const data = this.#status.dataset;
    data.losses = JSON.stringify(this.losses);
    data.valLosses = JSON.stringify(this.valLosses);
    data.reconErrors = JSON.stringify(this.reconErrors);
    this.#grid.append(digitRow(done === 0 ? "untrained" : `epoch ${done}`, out, done));
    // Keep the originals, the untrained row and the latest epochs.
    while (this.#grid.children.length > 2 + EPOCH_ROWS) this.#grid.children[2].remove();
    drawChart($<HTMLCanvasElement>("loss-curve"), [
      { values: [NaN, ...this.losses], color: "#1f77b4" }, // training loss from epoch 1
      { values: this.valLosses, color: "#ff7f0e" }, // validation loss from epoch 0
    ]);
  }

  /** Training has ended: stopped or done. */
  end(stopped: boolean): void {
    const [first, last] = [this.losses[0], this.losses.at(-1)];
    setState(
      this.#status,
      stopped ? "stopped" : "done",
      `${stopped ? "Stopped" : "Done"}: loss ${first?.toFixed(4) ?? "?"} → ` +
        `${last?.toFixed(4) ?? "?"}. Your model now reconstructs in the table above.`,
    );
  }
}
