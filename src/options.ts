/**
 * The options of models and of their `fit`, and the shapes of their data.
 *
 * @module
 */

import type { Architecture } from "./nn/architecture.ts";
import type { Loss, LossName } from "./nn/losses.ts";
import type { ProviderChoice, Runtime } from "./runtime/types.ts";
import type { Callback } from "../training/callbacks.ts";
import type { BatchLogs, EpochLogs } from "../training/fit.ts";
import type { Inputs } from "../training/inputs.ts";
import type { Optimizer, OptimizerName } from "../training/optimizers.ts";

/** Options shared by every model. */
export interface ModelOptions {
  /** Seed of the weight initialisation and of shuffling (default 0). */
  seed?: number;
  /** ONNX Runtime adapter (default: the one the entry point registered). */
  runtime?: Runtime;
  /**
   * Execution provider (default `"cpu"`): `"cpu"`, `"cuda"`, `"webgpu"` (onnxruntime-node),
   * `"wasm"`, `"webgpu"` (onnxruntime-web), or `"auto"`, the fastest available here
   * (a software WebGPU adapter such as SwiftShader is passed over: it is slower than
   * the CPU). One that is not available is an error saying how to get it, when the
   * model first runs; `Autoencoder.resolveProvider` asks early.
   */
  provider?: ProviderChoice;
  /** Intra-op threads, 1 to 4 per core (default: ORT's choice). */
  threads?: number;
  /** Idle intra-op threads spin-wait (default true); `false` suits a busy machine. */
  spinning?: boolean;
  /**
   * The training loss: `"bce"` (default, the blog's), `"mse"`, or terms such as
   * `[meanSquaredErrorLoss(), activityL1(1e-4)]` (see `src/nn/losses.ts`). A model's
   * own terms (the sparse model's penalty) are added to it.
   */
  loss?: LossName | Loss;
  /**
   * What the model sees while it trains and what it must reproduce (default: each
   * sample, itself); e.g. `{ input: gaussianNoise(0.5) }` trains a denoiser.
   */
  inputs?: Inputs;
}

/** Options of `Autoencoder.fit`. */
export interface FitOptions {
  /** Epochs (default 1). */
  epochs?: number;
  /** Samples per update (default 256, the blog's). */
  batchSize?: number;
  /** Shuffle every epoch (default true). */
  shuffle?: boolean;
  /** `"adam"` (default), `"adadelta"`, `"sgd"`, or an optimizer from `training/optimizers.ts`. */
  optimizer?: OptimizerName | Optimizer;
  /** Learning rate (default: the optimizer's). */
  learningRate?: number;
  /** Held-out data, evaluated after each epoch. */
  validationData?: Float32Array | ImageBatch;
  /** Called after each epoch with its losses. */
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>;
  /**
   * Called after each batch with the epoch's progress (for progress bars); on WebGPU,
   * where losses stay on the device, after every 32nd batch and the last; on the CPU,
   * for a model without convolutions in a run of 512 updates or more (four batches to
   * a session call), after every 4th and the last. `fit` waits for a promise it returns.
   */
  onBatchEnd?: (logs: BatchLogs) => void | Promise<void>;
  /**
   * Stops training at the next step once aborted (a Stop button): the epoch in
   * progress ends there, is validated and reported (`stopped: true`, `samples` done),
   * the model keeps its weights, and `fit` returns the history so far.
   */
  signal?: AbortSignal;
  /** Keras-style callbacks: early stopping, checkpoints, learning-rate schedules, logs. */
  callbacks?: Callback[];
}

/** Images as the data loaders return them. */
export interface ImageBatch {
  /** `count` samples, row-major, values in [0, 1]. */
  images: Float32Array;
  /** Number of samples. */
  count: number;
}

/** The definition of an autoencoder. */
export interface AutoencoderConfig extends Architecture {
  /** Model name, stored in saved files (e.g. `"undercomplete"`). */
  name: string;
}
