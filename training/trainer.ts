/**
 * The trainer: what `fit` does around the fit loop. It picks the optimizer and
 * learning rate, compiles the model's training program, sets up the declared input
 * corruption, and fans the loop's reports out to the user's callbacks.
 *
 * @module
 */

import { AutoencoderError } from "../src/errors.ts";
import type { OperationGuard } from "../src/guard.ts";
import type { FitOptions } from "../src/options.ts";
import type { FitInputs } from "../src/validate.ts";
import type { Callback, TrainingModel } from "./callbacks.ts";
import {
  type EpochControl,
  type EpochLogs,
  fitLoop,
  type History,
  type LoopOptions,
  type RunContext,
  type Samples,
  type TrainState,
} from "./fit.ts";
import { corruptAll, corruptor } from "./inputs.ts";
import { type Optimizer, optimizerByName } from "./optimizers.ts";
import type { TrainingProgram } from "./program.ts";
import { CORRUPTION } from "./state.ts";

/** What the trainer needs of a model. */
export interface Trainee {
  /** Compiles the model's training program for an optimizer. */
  program(optimizer: Optimizer): TrainingProgram;
  /** The model's training state. */
  state: TrainState;
  /** Runtime and session options. */
  ctx: RunContext;
  /** The model's operation guard (callbacks run between epochs). */
  guard: OperationGuard;
  /** The model's full training state as one file (for callbacks). */
  checkpoint(): Uint8Array;
}

/**
 * Trains a model.
 *
 * @param trainee The model's parts.
 * @param inputs The training and validation samples, epochs and batch size (checked).
 * @param options `fit`'s options (checked).
 * @returns The history of this call.
 */
export async function train(
  trainee: Trainee,
  { samples: train, validation, epochs, batchSize }: FitInputs,
  options: FitOptions,
): Promise<History> {
  const { state, guard, ctx } = trainee;
  // What callbacks see of the model.
  const model: TrainingModel = {
    params: state.params,
    checkpoint: trainee.checkpoint,
    writeFile: (path, bytes) => ctx.runtime.writeFile(path, bytes),
  };
  const optimizer = typeof options.optimizer === "object"
    ? options.optimizer
    : optimizerByName(options.optimizer ?? "adam");
  // Another optimizer's state means nothing to this one. What is replaced here comes
  // back if no epoch finishes (a fit that fails to start changes nothing).
  const before = { ...state };
  if (state.optimizer !== undefined && state.optimizer !== optimizer.name) {
    state.optimizerState = new Map();
    state.learningRate = undefined;
  }
  state.optimizer = optimizer.name;
  if (options.learningRate !== undefined) state.learningRate = options.learningRate;
  const program = trainee.program(optimizer);
  const callbacks = options.callbacks ?? [];
  const history = await fitLoop(trainee.ctx, state, train, {
    program,
    epochs,
    // A batch size larger than the data set means one batch of all of it, as in Keras.
    batchSize: Math.min(batchSize, train.count),
    shuffle: options.shuffle ?? true,
    learningRate: options.learningRate ?? state.learningRate ?? optimizer.learningRate,
    validation,
    onBatchEnd: async (logs) => {
      await Promise.all([
        options.onBatchEnd?.(logs),
        ...callbacks.map((c) => c.onBatchEnd?.(logs)),
      ]);
    },
    signal: options.signal,
    onEpochEnd: (logs) => guard.between(() => epochEnd(model, options, callbacks, logs)),
    ...corruption(program, state, train, validation),
  }).catch((e) => {
    // A diverged run keeps the last finite step, with this optimizer's state.
    const diverged = e instanceof AutoencoderError && e.kind === "diverged";
    if (!diverged && state.epoch === before.epoch) {
      state.optimizer = before.optimizer;
      state.optimizerState = before.optimizerState;
      state.learningRate = before.learningRate;
    }
    throw e;
  });
  await guard.between(async () => {
    for (const c of callbacks) await c.onTrainEnd?.(model);
  });
  return history;
}

async function epochEnd(
  model: TrainingModel,
  options: FitOptions,
  callbacks: Callback[],
  logs: EpochLogs,
): Promise<EpochControl> {
  await options.onEpochEnd?.(logs);
  const control: EpochControl = {};
  for (const c of callbacks) {
    const asked = await c.onEpochEnd?.(logs, model);
    if (asked?.stop) control.stop = true;
    if (asked?.learningRate !== undefined) control.learningRate = asked.learningRate;
  }
  return control;
}

/** The corrupted inputs of a program whose inputs say so. */
function corruption(
  program: TrainingProgram,
  state: TrainState,
  train: Samples,
  validation?: Samples,
): Pick<LoopOptions, "corrupt" | "validationInput"> {
  const c = program.inputs.input;
  if (!c) return {};
  const size = train.data.length / train.count;
  return {
    corrupt: corruptor(c, train.data, size, state.generators.get(CORRUPTION)!, c.seed!),
    validationInput: validation && corruptAll(c, validation.data),
  };
}
