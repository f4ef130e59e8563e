/**
 * Training in a Web Worker, for any page: {@link WorkerTrainer} starts a module
 * worker (`trainer-worker.js`, which `deno task build:web` writes beside
 * `autoencoders.js`) that owns the onnxruntime-web sessions, so the page's main
 * thread stays free while a model trains. The page hands it the data, hears of
 * every batch and epoch (with reconstructions of a few samples), may stop it at the
 * next step, and gets the trained model back as ONNX bytes.
 *
 * The worker runs ORT-web with {@link webThreads}' count unless told otherwise: one
 * thread per core on a cross-origin isolated page (COOP and COEP headers), else one.
 * The worker script is looked for beside the module holding this code, as in
 * `dist/web/`; where the library reaches the page another way (the npm package
 * through a bundler), build `src/web_trainer_worker.ts` as a module worker and pass
 * its URL as `workerUrl`.
 *
 * @module
 */

import type { BlogModelName } from "../models/registry.ts";
import { AutoencoderError } from "./errors.ts";
import type { ImageBatch } from "./options.ts";
import { webThreads } from "./runtime/web.ts";
import type { ProviderChoice } from "./runtime/types.ts";
import type { BatchLogs, EpochLogs, History } from "../training/fit.ts";

/** The worker script's file name, beside the library's browser bundle. */
export const TRAINER_WORKER_FILE = "trainer-worker.js";

/** What to train in the worker, and on what. */
export interface WorkerTrainRequest {
  /** One of the blog's models, with its defaults: `"undercomplete"`, `"conv"`, ... */
  model: BlogModelName;
  /** Seed of its initial weights (default 0). */
  seed?: number;
  /** Provider (default `"auto"`: WebGPU on a hardware adapter, else wasm). */
  provider?: ProviderChoice;
  /**
   * Let idle WebAssembly threads spin-wait for work (ORT's default is true): `false`
   * leaves the cores to the page's own thread between steps.
   */
  spinning?: boolean;
  /** Training images, values in [0, 1], 784 floats each. */
  data: ImageBatch;
  /** Held-out images evaluated after each epoch. */
  validationData?: Float32Array;
  /** Images reconstructed after each epoch (and before the first), for the page to show. */
  preview?: Float32Array;
  /** Epochs (default 1). */
  epochs?: number;
  /** Samples per update (default the model's blog setting). */
  batchSize?: number;
}

/** What the worker says when it starts training. */
export interface WorkerStart {
  /** The runtime and provider, e.g. `onnxruntime-web 1.30.0 (wasm)`. */
  backend: string;
  /** The provider picked, and why (from `chooseProvider`). */
  provider: string;
  /** The WebAssembly threads ORT-web runs with in the worker (as it reports them). */
  threads: number;
}

/** Callbacks of {@link WorkerTrainer.train}. */
export interface WorkerTrainCallbacks {
  /** The worker has opened the model and starts training. */
  onStart?: (start: WorkerStart) => void;
  /** Progress within an epoch, at most every 100 ms and after each epoch's last batch. */
  onBatchEnd?: (logs: BatchLogs) => void;
  /** Before the first epoch (the untrained model), then after each epoch. */
  onEpochEnd?: (report: WorkerEpoch) => void;
}

/** The model before training or after an epoch. */
export interface WorkerEpoch {
  /** Epochs done: 0 before training. */
  epochs: number;
  /** The epoch's logs (absent before training). */
  logs?: EpochLogs;
  /** The validation loss, when there is validation data. */
  valLoss?: number;
  /** The request's `preview` images as the model reconstructs them. */
  reconstructions?: Float32Array;
}

/** A trained model, back from the worker. */
export interface WorkerTrainResult {
  /** The losses of each epoch. */
  history: History;
  /** Whether {@link WorkerRun.stop} ended it early. */
  stopped: boolean;
  /** The trained model as ONNX bytes: `autoencoder`, `encoder` and `decoder`. */
  onnx: { autoencoder: Uint8Array; encoder: Uint8Array; decoder: Uint8Array };
}

/** A training run in progress. */
export interface WorkerRun {
  /** Stops it at the next step; the result keeps the weights trained so far. */
  stop(): void;
  /** The trained model, once training ends. */
  result: Promise<WorkerTrainResult>;
}

/** Options of {@link WorkerTrainer}. */
export interface WorkerTrainerOptions {
  /** The worker script (default: `trainer-worker.js` beside the module holding this code). */
  workerUrl?: string | URL;
  /** ORT-web's threads in the worker (default {@link webThreads}'s count). */
  numThreads?: number;
  /**
   * Where the worker's ORT-web finds its WebAssembly binaries: as `wasmPaths` of
   * `configureWebRuntime`, a folder holding both `ORT_WASM_FILES` (default: beside the worker).
   */
  wasmPaths?: string;
}

/** Messages to the worker. */
export type ToTrainerWorker =
  | { type: "configure"; numThreads: number; wasmPaths?: string }
  | { type: "train"; request: WorkerTrainRequest }
  | { type: "stop" };

/** Messages from the worker. */
export type FromTrainerWorker =
  | { type: "ready"; error?: string }
  | { type: "start"; start: WorkerStart }
  | { type: "batch"; logs: BatchLogs }
  | { type: "epoch"; report: WorkerEpoch }
  | { type: "done"; result: WorkerTrainResult }
  | { type: "error"; message: string };

/**
 * A Web Worker that trains models off the main thread, one run at a time.
 *
 * @example
 * ```ts ignore
 * import { loadMnistFromUrl, WorkerTrainer } from "./autoencoders.js";
 *
 * const { train, test } = await loadMnistFromUrl("/data/mnist/", { trainLimit: 2000 });
 * const trainer = new WorkerTrainer(); // threads: one per core where the page is isolated
 * const run = trainer.train(
 *   { model: "conv", data: train, validationData: test.images, epochs: 5, batchSize: 64 },
 *   { onBatchEnd: ({ samples, total }) => console.log(`${samples}/${total}`) },
 * );
 * stopButton.onclick = () => run.stop(); // keeps the weights trained so far
 * const { onnx } = await run.result; // onnx.encoder, onnx.decoder: bytes to download
 * ```
 */
export class WorkerTrainer {
  readonly #worker: Worker;
  readonly #url: string;
  /** Rejects the run in flight (when the worker is ended under it). */
  #abandon?: (reason: Error) => void;
  /** ORT-web's threads in the worker. */
  readonly threads: number;
  /**
   * Settles once the worker has loaded ORT-web (compiled its WebAssembly, started its
   * threads), which it does as soon as it starts, so that a first `train` starts at once.
   */
  readonly ready: Promise<void>;

  /**
   * Starts the worker and sets its thread count (ORT-web reads it once).
   *
   * @param options The worker script, its thread count and wasm location.
   */
  constructor(options: WorkerTrainerOptions = {}) {
    this.threads = options.numThreads ?? webThreads().threads;
    this.#url = String(options.workerUrl ?? new URL(TRAINER_WORKER_FILE, import.meta.url));
    this.#worker = new Worker(this.#url, { type: "module", name: "autoencoders-trainer" });
    this.ready = new Promise((resolve, reject) => {
      const listen = ({ data }: MessageEvent<FromTrainerWorker>) => {
        if (data.type !== "ready") return;
        this.#worker.removeEventListener("message", listen);
        if (data.error === undefined) resolve();
        else reject(new AutoencoderError(`Cannot start the trainer's worker: ${data.error}`));
      };
      this.#worker.addEventListener("message", listen);
      this.#worker.addEventListener("error", (e) => {
        reject(
          new AutoencoderError(
            `Cannot start the trainer's worker: ${
              e.message || "it could not load"
            }; check that ${this.#url} is served`,
          ),
        );
      }, { once: true });
    });
    this.ready.catch(() => {}); // reported again by the first run
    this.#post({ type: "configure", numThreads: this.threads, wasmPaths: options.wasmPaths });
  }

  /**
   * Trains a model in the worker.
   *
   * @param request The model, its data and the epochs.
   * @param callbacks Progress, epochs and their reconstructions.
   * @returns The run: `stop()` and the `result`.
   * @throws {AutoencoderError} If a run is already in progress.
   */
  train(request: WorkerTrainRequest, callbacks: WorkerTrainCallbacks = {}): WorkerRun {
    if (this.#abandon) {
      throw new AutoencoderError(
        "Cannot train: this WorkerTrainer is already training; wait for its result or stop it first",
        { kind: "bad-input" },
      );
    }
    let settled = false;
    const result = new Promise<WorkerTrainResult>((resolve, reject) => {
      this.#abandon = reject;
      const fail = (message: string) => reject(new AutoencoderError(`Cannot train: ${message}`));
      this.#worker.onerror = (e) => {
        e.preventDefault();
        fail(
          `the worker failed: ${
            e.message || "it could not load"
          }; check that ${this.#url} is served`,
        );
      };
      this.#worker.onmessage = ({ data }: MessageEvent<FromTrainerWorker>) => {
        if (data.type === "start") callbacks.onStart?.(data.start);
        else if (data.type === "batch") callbacks.onBatchEnd?.(data.logs);
        else if (data.type === "epoch") callbacks.onEpochEnd?.(data.report);
        else if (data.type === "done") resolve(data.result);
        else if (data.type === "error") fail(data.message);
      };
    }).finally(() => (this.#abandon = undefined, settled = true));
    this.#post({ type: "train", request: ownBuffers(request) });
    // A stop kept from this run does nothing once it has ended (it would stop the next).
    return { stop: () => void (settled || this.#post({ type: "stop" })), result };
  }

  /** Ends the worker; a run in progress rejects. */
  terminate(): void {
    this.#worker.terminate();
    this.#abandon?.(new AutoencoderError("Cannot train: the worker was terminated"));
  }

  #post(message: ToTrainerWorker): void {
    this.#worker.postMessage(message);
  }
}

/**
 * The request with each typed-array view that does not span its whole buffer copied:
 * posting a view clones its entire buffer (e.g. a whole test set for a slice of it).
 */
function ownBuffers(request: WorkerTrainRequest): WorkerTrainRequest {
  const own = <T extends Float32Array | undefined>(a: T): T =>
    a && a.byteLength !== a.buffer.byteLength ? a.slice() as T : a;
  return {
    ...request,
    data: { ...request.data, images: own(request.data.images) },
    validationData: own(request.validationData),
    preview: own(request.preview),
  };
}
