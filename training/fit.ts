/**
 * The fit loop: an epoch loop over a {@link StepRunner}. Each epoch shuffles the
 * samples, feeds them batch by batch (corrupted where the program's inputs say so),
 * reads the losses, and records the epoch; a loss or weight that stops being finite
 * rolls the model back to the last finite step.
 *
 * @module
 */

import { AutoencoderError } from "../src/errors.ts";
import type { Random } from "../src/nn/random.ts";
import type { Runtime, SessionOptions } from "../src/runtime/types.ts";
import { openEvaluator } from "./evaluator.ts";
import { drawNoise } from "./inputs.ts";
import type { TrainingProgram } from "./program.ts";
import { SHUFFLE } from "./state.ts";
import { StepRunner } from "./step_runner.ts";

/** Samples: `count` rows of `size` floats each, row-major. */
export interface Samples {
  /** The floats. */
  data: Float32Array;
  /** Number of samples. */
  count: number;
}

/** Per-epoch record of a run. */
export interface History {
  /**
   * Training loss of each epoch (sample-weighted mean of the batch losses),
   * activity penalties included, as Keras reports it.
   */
  loss: number[];
  /** The activity penalty's share of `loss` (empty for models without one). */
  penalty: number[];
  /** Validation loss after each epoch (empty without validation data). */
  valLoss: number[];
  /** Wall time of each epoch's training loop, in seconds (validation excluded). */
  epochSeconds: number[];
}

/** What the loop reports after each epoch. */
export interface EpochLogs {
  /** 0-based epoch, counted over every `fit` call of the model. */
  epoch: number;
  /** Learning rate the epoch ran with. */
  learningRate: number;
  /** Training loss of the epoch. */
  loss: number;
  /** Its activity penalty, for models with one. */
  penalty?: number;
  /** Validation loss, when there is validation data. */
  valLoss?: number;
  /** Seconds the epoch's training took. */
  seconds: number;
  /** Samples the epoch trained on: all of them, unless a stop cut it short (the loop always sets it). */
  samples?: number;
  /** Whether a stop (`signal`) cut the epoch short or ended training after it. */
  stopped?: boolean;
}

/** The training state a model owns and the loop updates. */
export interface TrainState {
  /** Parameter values by name (updated in place at the end of each epoch). */
  params: Map<string, Float32Array>;
  /** Optimizer state by input name (`<slot>.<param>`), kept between `fit` calls. */
  optimizerState: Map<string, Float32Array>;
  /** Name of the optimizer that state belongs to. */
  optimizer?: string;
  /** Learning rate at the end of the last epoch, when a callback or the user set one. */
  learningRate?: number;
  /** Updates applied so far. */
  step: number;
  /** Epochs completed so far, over every `fit` call. */
  epoch: number;
  /** The record of every epoch so far, over every `fit` call (checkpoints keep it). */
  history: History;
  /** The run's seeded generators by state name (`shuffle`, and `corruption` for corrupted inputs). */
  generators: Map<string, Random>;
}

/** Where the loop runs: the runtime and the session options (provider, threads). */
export interface RunContext {
  /** The runtime. */
  runtime: Runtime;
  /** Provider and threads. */
  session: SessionOptions;
}

/** Options of {@link fitLoop}. */
export interface LoopOptions {
  /** The compiled training program. */
  program: TrainingProgram;
  /** Epochs to run. */
  epochs: number;
  /** Samples per update; the last batch of an epoch may be smaller. */
  batchSize: number;
  /** Shuffle before each epoch. */
  shuffle: boolean;
  /** Learning rate. */
  learningRate: number;
  /** Held-out samples evaluated after each epoch. */
  validation?: Samples;
  /**
   * For programs whose inputs are corrupted: fills `into` with the inputs for the
   * clean samples `rows` (indices into the training set), whose clean values are the
   * targets. Validation then uses `validationInput`.
   */
  corrupt?: (into: Float32Array, rows: Uint32Array) => void;
  /** Corrupted validation inputs (targets: `validation`). */
  validationInput?: Float32Array;
  /**
   * Called after each epoch; may stop training or change the learning rate for
   * the next epochs.
   */
  onEpochEnd?: (logs: EpochLogs) => void | EpochControl | Promise<void | EpochControl>;
  /**
   * Called after each batch whose loss has been read: every batch, except with
   * outputs on the device (WebGPU), where losses are read every 32 batches, and
   * where batches run several to a session call (`StepRunner.readEvery`). The loop
   * waits for a promise it returns (a worker may yield there to read its messages).
   */
  onBatchEnd?: (logs: BatchLogs) => void | Promise<void>;
  /**
   * Stops training at the next step once aborted: the epoch in progress ends there
   * (its loss is that of the batches done), is validated and recorded, and the model
   * keeps its weights.
   */
  signal?: AbortSignal;
}

/** What an epoch-end callback may ask of the loop. */
export interface EpochControl {
  /** Stop after this epoch. */
  stop?: boolean;
  /** Learning rate from the next epoch on. */
  learningRate?: number;
}

/** What the loop reports after each batch. */
export interface BatchLogs {
  /** 0-based epoch (over every `fit` call). */
  epoch: number;
  /** Samples of this epoch done so far. */
  samples: number;
  /** Samples in the epoch. */
  total: number;
  /** Mean loss of the epoch so far. */
  loss: number;
  /** Seconds since the epoch started. */
  seconds: number;
}

/**
 * Trains `state.params` on `train` and returns the history.
 *
 * @param ctx Runtime and session options.
 * @param state Model state; parameters, optimizer state, step and generators are updated.
 * @param train Training samples (each its own target).
 * @param options Program, epochs, batch size, validation, callbacks.
 * @returns Losses and timings per epoch.
 */
export async function fitLoop(
  ctx: RunContext,
  state: TrainState,
  train: Samples,
  options: LoopOptions,
): Promise<History> {
  const { program } = options;
  const values = new Map([...state.params, ...state.optimizerState]);
  let learningRate = options.learningRate;
  const runner = await StepRunner.open(
    program,
    ctx.runtime,
    ctx.session,
    values,
    state.step,
    learningRate,
    options.epochs * Math.floor(train.count / options.batchSize),
  );
  const evaluator = options.validation
    ? await openEvaluator(ctx, program, state.params).catch(async (e) => {
      await runner.release();
      throw e;
    })
    : undefined;
  const history = emptyHistory();
  const epoch = new Epoch(runner, train, options);
  try {
    for (let run = 0; run < options.epochs && !options.signal?.aborted; run++) {
      const done = await epoch.run(state);
      let valLoss: number | undefined;
      if (evaluator) {
        valLoss = await epoch.guard(state, done.start, async () => {
          const loss = await evaluator.evaluate(options.validation!, options.validationInput);
          if (Number.isFinite(loss)) return loss;
          throw new AutoencoderError(
            `the validation loss became ${loss} after epoch ${state.epoch + 1}`,
            { kind: "diverged" },
          );
        });
      }
      const logs: EpochLogs = { epoch: state.epoch++, learningRate, ...done.logs };
      if (valLoss !== undefined) logs.valLoss = valLoss;
      if (options.signal?.aborted) logs.stopped = true;
      for (const h of [history, state.history]) record(h, logs);
      const control = await options.onEpochEnd?.(logs);
      if (control?.learningRate !== undefined && control.learningRate !== learningRate) {
        learningRate = state.learningRate = runner.learningRate = control.learningRate;
      }
      if (control?.stop) break;
    }
  } finally {
    // Free what is left on the device (host tensors are left to the garbage collector).
    await runner.release();
    await evaluator?.release();
  }
  return history;
}

/** The state an epoch starts from, to go back to if it fails. */
interface EpochStart {
  params: Map<string, Float32Array>;
  optimizerState: Map<string, Float32Array>;
  step: number;
  generators: Map<string, number[]>;
}

/** One epoch at a time over a step runner. */
class Epoch {
  readonly #order: Uint32Array;
  readonly #sampleSize: number;

  constructor(
    readonly runner: StepRunner,
    readonly train: Samples,
    readonly options: LoopOptions,
  ) {
    this.#sampleSize = train.data.length / train.count;
    this.#order = new Uint32Array(train.count);
  }

  /**
   * Trains one epoch; the model's state holds its result, or, if it fails, what it
   * held before (diverged: the last finite step).
   */
  async run(
    state: TrainState,
  ): Promise<{ start: EpochStart; logs: Omit<EpochLogs, "epoch" | "learningRate"> }> {
    const start: EpochStart = {
      params: new Map(state.params),
      optimizerState: new Map(state.optimizerState),
      step: state.step,
      generators: new Map([...state.generators].map(([k, g]) => [k, g.state])),
    };
    const logs = await this.guard(state, start, async () => {
      const logs = await this.#batches(state);
      const values = await this.runner.latest(`in epoch ${state.epoch + 1}`);
      commit(state, values);
      state.step = this.runner.step;
      return logs;
    });
    return { start, logs };
  }

  /**
   * Runs `work`; if it throws, puts the model back where the epoch started, or, when
   * training diverged, at the last step whose loss and weights were finite.
   */
  async guard<T>(state: TrainState, start: EpochStart, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      const diverged = e instanceof AutoencoderError && e.kind === "diverged";
      const kept = diverged ? await this.runner.lastFinite() : undefined;
      for (const [name, data] of start.params) state.params.set(name, data);
      state.optimizerState = start.optimizerState;
      state.step = kept ? kept.step : start.step;
      if (kept) commit(state, kept.values);
      for (const [name, g] of state.generators) g.state = start.generators.get(name)!;
      if (!diverged) throw e;
      throw new AutoencoderError(
        `Cannot continue training: ${
          (e as Error).message
        }; lower the learning rate: the model keeps the weights of step ${state.step}, the last whose loss and weights were finite`,
        { cause: e, kind: "diverged" },
      );
    }
  }

  async #batches(state: TrainState): Promise<Omit<EpochLogs, "epoch" | "learningRate">> {
    const { runner, train, options } = this, size = this.#sampleSize, order = this.#order;
    const where = `epoch ${state.epoch + 1}`;
    const batches = Math.ceil(train.count / options.batchSize);
    // Each epoch shuffles the identity order, so that an epoch depends only on the
    // generator's state (which checkpoints keep), not on earlier epochs' orders.
    order.forEach((_, i) => (order[i] = i));
    if (options.shuffle) state.generators.get(SHUFFLE)!.shuffle(order);
    let loss = 0, penalty = 0, done = 0;
    const started = performance.now();
    for (let first = 0; done < train.count; first += options.batchSize) {
      const n = Math.min(options.batchSize, train.count - first);
      const rows = order.subarray(first, first + n);
      const buffers = runner.batchBuffers(options.batchSize * size);
      for (let i = 0; i < n; i++) {
        buffers.target.set(train.data.subarray(rows[i] * size, (rows[i] + 1) * size), i * size);
      }
      const clean = buffers.target.subarray(0, n * size);
      const input = buffers.input?.subarray(0, n * size);
      if (input) options.corrupt!(input, rows);
      const noise = drawNoise(options.program.noise, n, (name) => state.generators.get(name)!);
      await runner.run({
        input: input ?? clean,
        target: clean,
        noise,
        n,
        batch: first / options.batchSize + 1,
      });
      done = first + n;
      const stop = options.signal?.aborted === true;
      if (!stop && runner.pending < runner.readEvery && done < train.count) continue;
      for (const read of await runner.readLosses(where, batches)) {
        loss += read.loss * read.n;
        penalty += read.penalty * read.n;
      }
      const seconds = (performance.now() - started) / 1000;
      await options.onBatchEnd?.({
        epoch: state.epoch,
        samples: done,
        total: train.count,
        loss: loss / done,
        seconds,
      });
      if (options.signal?.aborted) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const logs = { loss: loss / done, seconds, samples: done };
    return options.program.losses.length > 1 ? { ...logs, penalty: penalty / done } : logs;
  }
}

/** Appends an epoch's logs to a history. */
function record(history: History, logs: EpochLogs): void {
  history.loss.push(logs.loss);
  if (logs.penalty !== undefined) history.penalty.push(logs.penalty);
  history.epochSeconds.push(logs.seconds);
  if (logs.valLoss !== undefined) history.valLoss.push(logs.valLoss);
}

/** An empty history. */
export function emptyHistory(): History {
  return { loss: [], penalty: [], valLoss: [], epochSeconds: [] };
}

/** Makes checked values the model's weights and optimizer state. */
function commit(state: TrainState, values: Map<string, Float32Array>): void {
  for (const [name, data] of values) {
    (state.params.has(name) ? state.params : state.optimizerState).set(name, data);
  }
}
