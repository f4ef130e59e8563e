/**
 * Keras-style callbacks: early stopping, learning-rate reduction on plateau,
 * checkpoints (last and best) and a CSV / JSON-lines history log. Each is a plain
 * object with hooks that `fit` calls; write your own the same way.
 *
 * @module
 */

import { AutoencoderError } from "../src/errors.ts";
import type { BatchLogs, EpochControl, EpochLogs } from "./fit.ts";

/** What callbacks see of the model being trained. */
export interface TrainingModel {
  /** Parameter values by name; replace entries to change the weights. */
  readonly params: Map<string, Float32Array>;
  /** The full training state as one file (see `Autoencoder.checkpoint`). */
  checkpoint(): Uint8Array;
  /** Writes a file atomically, where there is a file system. */
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
}

/** Hooks called by `fit`. */
export interface Callback {
  /** After each batch whose loss has been read; `fit` waits for a promise it returns. */
  onBatchEnd?(logs: BatchLogs): void | Promise<void>;
  /** After each epoch; may stop training or set the learning rate. */
  onEpochEnd?(
    logs: EpochLogs,
    model: TrainingModel,
  ): void | EpochControl | Promise<void | EpochControl>;
  /** After the last epoch (also after an early stop). */
  onTrainEnd?(model: TrainingModel): void | Promise<void>;
}

/** A quantity callbacks can watch. */
export type Monitor = "loss" | "valLoss";

function monitored(logs: EpochLogs, monitor: Monitor, who: string): number {
  const value = logs[monitor];
  if (value === undefined) {
    throw new AutoencoderError(
      `Cannot use ${who}: it monitors "${monitor}", which fit does not compute; pass validationData or monitor "loss"`,
    );
  }
  return value;
}

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingOptions {
  /** Quantity to watch (default `"valLoss"`). */
  monitor?: Monitor;
  /** Epochs without improvement before stopping (default 5). */
  patience?: number;
  /** Smallest decrease that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping (default false, as Keras). */
  restoreBestWeights?: boolean;
}

/**
 * Stops training when the monitored loss has not improved for `patience` epochs.
 *
 * @param options Monitor, patience, minimum improvement, weight restoration.
 * @returns The callback.
 *
 * @example
 * ```ts
 * import { earlyStopping } from "./callbacks.ts";
 * const stop = earlyStopping({ patience: 1, monitor: "loss" });
 * const model = { params: new Map(), checkpoint: () => new Uint8Array(), writeFile: async () => {} };
 * const logs = (loss: number) => ({ epoch: 0, learningRate: 1e-3, loss, seconds: 1 });
 * console.assert(!(stop.onEpochEnd!(logs(0.5), model) as { stop?: boolean }).stop);
 * console.assert((stop.onEpochEnd!(logs(0.6), model) as { stop?: boolean }).stop === true);
 * ```
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback {
  const { monitor = "valLoss", patience = 5, minDelta = 0, restoreBestWeights = false } = options;
  let best = Infinity, wait = 0;
  let bestWeights: Map<string, Float32Array> | undefined;
  return {
    onEpochEnd(logs, model) {
      const value = monitored(logs, monitor, "early stopping");
      if (value < best - minDelta) {
        best = value;
        wait = 0;
        if (restoreBestWeights) {
          bestWeights = new Map([...model.params].map(([k, v]) => [k, v.slice()]));
        }
        return {};
      }
      return { stop: ++wait >= patience };
    },
    onTrainEnd(model) {
      if (bestWeights) { for (const [k, v] of bestWeights) model.params.set(k, v); }
    },
  };
}

/** Options of {@link reduceLrOnPlateau}. */
export interface ReduceLrOptions {
  /** Quantity to watch (default `"valLoss"`). */
  monitor?: Monitor;
  /** Factor the learning rate is multiplied by (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Lower bound of the learning rate (default 0). */
  minLr?: number;
}

/**
 * Multiplies the learning rate by `factor` when the monitored loss has not
 * improved for `patience` epochs (the learning rate is a graph input, so nothing
 * is rebuilt).
 *
 * @param options Monitor, factor, patience, floor.
 * @returns The callback.
 *
 * @example
 * ```ts
 * import { reduceLrOnPlateau } from "./callbacks.ts";
 * const reduce = reduceLrOnPlateau({ patience: 1, factor: 0.5, monitor: "loss" });
 * const model = { params: new Map(), checkpoint: () => new Uint8Array(), writeFile: async () => {} };
 * reduce.onEpochEnd!({ epoch: 0, learningRate: 0.1, loss: 1, seconds: 1 }, model);
 * const next = reduce.onEpochEnd!({ epoch: 1, learningRate: 0.1, loss: 1, seconds: 1 }, model);
 * console.assert((next as { learningRate: number }).learningRate === 0.05);
 * ```
 */
export function reduceLrOnPlateau(options: ReduceLrOptions = {}): Callback {
  const { monitor = "valLoss", factor = 0.1, patience = 10, minLr = 0 } = options;
  if (!(factor > 0 && factor < 1)) {
    throw new AutoencoderError(
      `Cannot reduce the learning rate by factor ${factor}: use a number between 0 and 1`,
    );
  }
  let best = Infinity, wait = 0;
  return {
    onEpochEnd(logs) {
      const value = monitored(logs, monitor, "learning-rate reduction");
      if (value < best) {
        best = value;
        wait = 0;
        return {};
      }
      if (++wait < patience) return {};
      wait = 0;
      return { learningRate: Math.max(minLr, logs.learningRate * factor) };
    },
  };
}

/** Options of {@link modelCheckpoint}. */
export interface CheckpointOptions {
  /** Directory to write `checkpoint-last.onnx` and `checkpoint-best.onnx` into. */
  dir: string;
  /** Write every this many epochs (default 1). */
  every?: number;
  /** Quantity that decides the best checkpoint (default `"valLoss"`, else `"loss"`). */
  monitor?: Monitor;
}

/**
 * Writes the full training state (see `Autoencoder.checkpoint`) every `every`
 * epochs as `checkpoint-last.onnx`, and as `checkpoint-best.onnx` whenever the
 * monitored loss is the lowest so far. Writes are atomic.
 *
 * @param options Directory, period, monitor.
 * @returns The callback.
 *
 * @example
 * ```ts ignore
 * import { ConvAutoencoder, modelCheckpoint } from "@autoencoders/onnx";
 * await new ConvAutoencoder().fit(train, { callbacks: [modelCheckpoint({ dir: "out" })] });
 * ```
 */
export function modelCheckpoint(options: CheckpointOptions): Callback {
  const { dir, every = 1 } = options;
  let best = Infinity;
  return {
    async onEpochEnd(logs, model) {
      if ((logs.epoch + 1) % every !== 0) return;
      const bytes = model.checkpoint();
      await model.writeFile(`${dir}/checkpoint-last.onnx`, bytes);
      const value = logs[options.monitor ?? (logs.valLoss === undefined ? "loss" : "valLoss")];
      if (value !== undefined && value < best) {
        best = value;
        await model.writeFile(`${dir}/checkpoint-best.onnx`, bytes);
      }
    },
  };
}

/** Options of {@link historyLogger}. */
export interface HistoryLoggerOptions {
  /** File to write; `.csv` gives CSV, anything else JSON lines. */
  path: string;
  /** Lines written before this run (when resuming), kept at the top. */
  previous?: string[];
}

/**
 * Logs each epoch (`epoch`, `loss`, `val_loss`, `penalty`, `learning_rate`,
 * `seconds`) to a CSV or JSON-lines file, rewritten atomically after each epoch.
 *
 * @param options File path.
 * @returns The callback.
 *
 * @example
 * ```ts
 * import { historyLogger } from "./callbacks.ts";
 * const files = new Map<string, string>();
 * const model = {
 *   params: new Map(),
 *   checkpoint: () => new Uint8Array(),
 *   writeFile: async (p: string, b: Uint8Array) => void files.set(p, new TextDecoder().decode(b)),
 * };
 * await historyLogger({ path: "log.csv" }).onEpochEnd!({ epoch: 0, learningRate: 1e-3, loss: 0.2, seconds: 1 }, model);
 * console.assert(files.get("log.csv")!.startsWith("epoch,loss,val_loss"));
 * ```
 */
export function historyLogger(options: HistoryLoggerOptions): Callback {
  const csv = options.path.endsWith(".csv");
  const header = "epoch,loss,val_loss,penalty,learning_rate,seconds";
  const lines = [...(options.previous ?? [])];
  if (csv && lines[0] !== header) lines.unshift(header);
  return {
    async onEpochEnd(logs, model) {
      const row = {
        epoch: logs.epoch + 1,
        loss: logs.loss,
        val_loss: logs.valLoss ?? null,
        penalty: logs.penalty ?? null,
        learning_rate: logs.learningRate,
        seconds: logs.seconds,
      };
      lines.push(csv ? Object.values(row).map((v) => v ?? "").join(",") : JSON.stringify(row));
      await model.writeFile(options.path, new TextEncoder().encode(lines.join("\n") + "\n"));
    },
  };
}
