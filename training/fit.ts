/**
 * The training loop: build the step graph once, open one session, then for each
 * batch feed, run, swap the `next.*` outputs in as the next inputs, and log. On
 * WebGPU those outputs and the losses stay on the device; losses are read back every
 * 32 batches instead of every batch.
 *
 * @module
 */

import { AutoencoderError } from "../src/errors.ts";
import { type Architecture, paramSpecs } from "../src/nn/architecture.ts";
import type { Random } from "../src/nn/random.ts";
import { encodeModel } from "../src/onnx/model.ts";
import type { Runtime, RuntimeTensor, Session, SessionOptions } from "../src/runtime/types.ts";
import type { Optimizer } from "./optimizers.ts";
import { buildEvalStep, buildTrainStep, nextName, stateName } from "./train_step.ts";

/** Outputs of a train step that are losses (`penalty` only for models with one). */
const LOSSES = ["loss", "penalty"];

/** With outputs on the device (WebGPU), losses are read back every this many batches. */
const READ_EVERY = 32;

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
}

/** Everything the loop needs, owned by the model. */
export interface TrainState {
  /** Architecture. */
  arch: Architecture;
  /** Parameter values by name (updated in place at the end of `fit`). */
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
  /** Runtime and session options. */
  runtime: Runtime;
  /** Provider and threads. */
  session: SessionOptions;
  /** Shuffling generator. */
  rng: Random;
  /** Generator of input corruption (denoising). */
  noiseRng: Random;
}

/** Options of {@link fitLoop}. */
export interface LoopOptions {
  /** Epochs to run. */
  epochs: number;
  /** Samples per update; the last batch of an epoch may be smaller. */
  batchSize: number;
  /** Shuffle before each epoch (default true). */
  shuffle: boolean;
  /** The optimizer. */
  optimizer: Optimizer;
  /** Learning rate (default the optimizer's). */
  learningRate: number;
  /** Held-out samples evaluated after each epoch. */
  validation?: Samples;
  /**
   * For models trained on corrupted inputs (denoising): fills `into` with the
   * inputs for the clean samples `rows` (indices into the training set), whose
   * clean values are the targets. Validation then uses `validationInput`.
   */
  corrupt?: (into: Float32Array, rows: Uint32Array, epoch: number) => void;
  /** Corrupted validation inputs (targets: `validation`). */
  validationInput?: Float32Array;
  /**
   * Called after each epoch; may stop training or change the learning rate for
   * the next epochs.
   */
  onEpochEnd?: (logs: EpochLogs) => void | EpochControl | Promise<void | EpochControl>;
  /**
   * Called after each batch whose loss has been read: every batch, except with
   * outputs on the device (WebGPU), where losses are read every 32 batches.
   */
  onBatchEnd?: (logs: BatchLogs) => void;
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
 * @param state Model state; parameters, optimizer state and step are updated.
 * @param train Training samples (each its own target).
 * @param options Epochs, batch size, optimizer, validation, callback.
 * @returns Losses and timings per epoch.
 */
export async function fitLoop(
  state: TrainState,
  train: Samples,
  options: LoopOptions,
): Promise<History> {
  const { arch, runtime } = state;
  const sampleSize = arch.inputShape.reduce((a, b) => a * b, 1);
  const { optimizer, batchSize, epochs } = options;
  const separateTarget = options.corrupt !== undefined;
  const stepGraph = buildTrainStep(arch, optimizer, { separateTarget }).graph;
  const losses = stepGraph.outputs.some((o) => o.name === "penalty") ? LOSSES : ["loss"];

  const feeds: Record<string, RuntimeTensor> = {};
  const carried: string[] = [];
  for (const spec of paramSpecs(arch)) {
    feeds[spec.name] = runtime.tensor(state.params.get(spec.name)!, spec.shape);
    carried.push(spec.name);
    const initial = optimizer.init(state.params.get(spec.name)!);
    optimizer.slots.forEach((slot, i) => {
      const name = stateName(slot, spec.name);
      let value = state.optimizerState.get(name);
      if (!value || value.length !== initial[i].length) value = initial[i];
      feeds[name] = runtime.tensor(value, spec.shape);
      carried.push(name);
    });
  }
  let learningRate = options.learningRate;
  feeds.lr = runtime.tensor(new Float32Array([learningRate]), []);

  // On WebGPU the parameters, the optimizer state and the losses stay on the device:
  // each step's outputs are the next step's inputs, and losses are read every few batches.
  const session = await runtime.createSession(encodeModel(stepGraph, { name: "train_step" }), {
    ...state.session,
    deviceOutputs: [...carried.map(nextName), ...losses],
    layoutTransforms: false,
  });
  const readEvery = session.onDevice ? READ_EVERY : 1;
  const evaluator = options.validation ? await openEvaluator(state, separateTarget) : undefined;
  // The carried tensors of three states: `good`, the last whose loss was read and found
  // finite; `before`, the inputs of the latest step; and `feeds`, that step's outputs.
  const snapshot = (): Carried => ({
    step: state.step,
    tensors: Object.fromEntries(carried.map((k) => [k, feeds[k]])),
  });
  let good = snapshot(), before = good;
  /** Frees the tensors of a state that no state still holds. */
  const drop = (old: Carried) => {
    const live = new Set(
      [good.tensors, before.tensors, feeds].flatMap((t) => carried.map((k) => t[k])),
    );
    for (const k of carried) if (!live.has(old.tensors[k])) runtime.dispose(old.tensors[k]);
  };
  const pending: { out: Record<string, RuntimeTensor>; n: number; batch: number }[] = [];

  const history = emptyHistory();
  const order = new Uint32Array(train.count).map((_, i) => i);
  const batch = new Float32Array(batchSize * sampleSize);
  const corrupted = separateTarget ? new Float32Array(batchSize * sampleSize) : undefined;
  const batches = Math.ceil(train.count / batchSize);
  try {
    for (let run = 0; run < epochs; run++) {
      const epoch = state.epoch;
      const start = {
        params: new Map(state.params),
        optimizerState: new Map(state.optimizerState),
        step: state.step,
        rng: state.rng.state,
        noiseRng: state.noiseRng.state,
      };
      let lossSum = 0, penaltySum = 0, seconds = 0, valLoss: number | undefined;
      /** Reads the pending losses: all finite, the latest step's inputs become `good`. */
      const readLosses = async () => {
        for (const { out, n, batch } of pending) {
          const read = async (k: string) => (out[k] ? (await runtime.read(out[k]))[0] : 0);
          const [loss, penalty] = [await read("loss"), await read("penalty")];
          for (const [what, value] of [["loss", loss], ["activity penalty", penalty]] as const) {
            if (Number.isFinite(value)) continue;
            throw new AutoencoderError(
              `the ${what} became ${value} in epoch ${epoch + 1}, batch ${batch} of ${batches}`,
              { kind: "diverged" },
            );
          }
          lossSum += loss * n;
          penaltySum += penalty * n;
        }
        for (const { out } of pending.splice(0)) losses.forEach((k) => runtime.dispose(out[k]));
        const old = good;
        good = before;
        drop(old);
      };
      try {
        // Each epoch shuffles the identity order, so that an epoch depends only on the
        // generator's state (which checkpoints keep), not on earlier epochs' orders.
        order.forEach((_, i) => (order[i] = i));
        if (options.shuffle) state.rng.shuffle(order);
        const started = performance.now();
        for (let first = 0; first < train.count; first += batchSize) {
          const n = Math.min(batchSize, train.count - first);
          const rows = order.subarray(first, first + n);
          for (let i = 0; i < n; i++) {
            const row = rows[i] * sampleSize;
            batch.set(train.data.subarray(row, row + sampleSize), i * sampleSize);
          }
          const dims = [n, ...arch.inputShape];
          const clean = batch.subarray(0, n * sampleSize);
          if (corrupted) {
            const input = corrupted.subarray(0, n * sampleSize);
            options.corrupt!(input, rows, epoch);
            feeds.input = runtime.tensor(input, dims);
            feeds.target = runtime.tensor(clean, dims);
          } else {
            feeds.input = runtime.tensor(clean, dims);
          }
          const previous = before;
          before = snapshot();
          feeds.step = runtime.tensor(new Float32Array([++state.step]), []);
          const out = await session.run(feeds);
          pending.push({ out, n, batch: first / batchSize + 1 });
          for (const name of carried) feeds[name] = out[nextName(name)];
          drop(previous);
          if (pending.length < readEvery && first + n < train.count) continue;
          await readLosses();
          options.onBatchEnd?.({
            epoch,
            samples: first + n,
            total: train.count,
            loss: lossSum / (first + n),
            seconds: (performance.now() - started) / 1000,
          });
        }
        seconds = (performance.now() - started) / 1000;
        commit(state, await finiteState(state, feeds, carried, `in epoch ${epoch + 1}`));
        if (evaluator) {
          valLoss = await evaluator.evaluate(options.validation!, options.validationInput);
          if (!Number.isFinite(valLoss)) {
            throw new AutoencoderError(
              `the validation loss became ${valLoss} after epoch ${epoch + 1}`,
              { kind: "diverged" },
            );
          }
        }
      } catch (e) {
        // Diverged: back to the last good step, if its weights are finite; anything else
        // (an interruption, a runtime failure): back to the start of the epoch.
        const diverged = e instanceof AutoencoderError && e.kind === "diverged";
        const kept = diverged
          ? await finiteState(state, good.tensors, carried, "").catch(() => undefined)
          : undefined;
        for (const [name, data] of start.params) state.params.set(name, data);
        state.optimizerState = start.optimizerState;
        state.step = kept ? good.step : start.step;
        if (kept) commit(state, kept);
        state.rng.state = start.rng;
        state.noiseRng.state = start.noiseRng;
        if (!diverged) throw e;
        throw new AutoencoderError(
          `Cannot continue training: ${
            (e as Error).message
          }; lower the learning rate: the model keeps the weights of step ${state.step}, the last whose loss and weights were finite`,
          { cause: e, kind: "diverged" },
        );
      }
      state.epoch++;
      const logs: EpochLogs = { epoch, learningRate, loss: lossSum / train.count, seconds };
      if (losses.length > 1) logs.penalty = penaltySum / train.count;
      if (valLoss !== undefined) logs.valLoss = valLoss;
      for (const h of [history, state.history]) record(h, logs);
      const control = await options.onEpochEnd?.(logs);
      if (control?.learningRate !== undefined && control.learningRate !== learningRate) {
        learningRate = state.learningRate = control.learningRate;
        feeds.lr = runtime.tensor(new Float32Array([learningRate]), []);
      }
      if (control?.stop) break;
    }
  } finally {
    // Free what is left on the device (host tensors are left to the garbage collector).
    for (const { out } of pending) losses.forEach((k) => runtime.dispose(out[k]));
    const left = [good.tensors, before.tensors, feeds].flatMap((t) => carried.map((k) => t[k]));
    for (const t of new Set(left)) runtime.dispose(t);
    await session.release();
    await evaluator?.release();
  }
  return history;
}

/** The carried tensors of one training state, and the number of updates that made it. */
interface Carried {
  step: number;
  tensors: Record<string, RuntimeTensor>;
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

/**
 * Reads the carried tensors (weights and optimizer state) to the host, every value
 * checked: one that is not finite throws a `"diverged"` error naming it.
 */
async function finiteState(
  state: TrainState,
  tensors: Record<string, RuntimeTensor>,
  names: readonly string[],
  when: string,
): Promise<Map<string, Float32Array>> {
  const values = new Map<string, Float32Array>();
  for (const name of names) {
    const data = (await state.runtime.read(tensors[name])).slice();
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const what = state.params.has(name) ? "weight" : "optimizer state";
      throw new AutoencoderError(`${what} "${name}" became ${data[bad]} ${when}`, {
        kind: "diverged",
      });
    }
    values.set(name, data);
  }
  return values;
}

/** Makes checked values the model's weights and optimizer state. */
function commit(state: TrainState, values: Map<string, Float32Array>): void {
  for (const [name, data] of values) {
    (state.params.has(name) ? state.params : state.optimizerState).set(name, data);
  }
}

/** A session computing the mean loss of samples with the model's current parameters. */
export interface Evaluator {
  /**
   * @param samples The targets (and inputs, unless `input` is given).
   * @param input Inputs that differ from the targets (corrupted, for denoising).
   * @returns Mean per-pixel binary cross-entropy over all samples.
   */
  evaluate(samples: Samples, input?: Float32Array): Promise<number>;
  /** Frees the session. */
  release(): Promise<void>;
}

/**
 * Opens an evaluation session for a model's state.
 *
 * @param state The model state (parameters are read at each `evaluate`).
 * @param separateTarget Whether inputs and targets differ (denoising).
 * @returns The evaluator.
 */
export async function openEvaluator(state: TrainState, separateTarget = false): Promise<Evaluator> {
  const { arch, runtime } = state;
  const session: Session = await runtime.createSession(
    encodeModel(buildEvalStep(arch, { separateTarget }).graph, { name: "eval" }),
    { ...state.session, layoutTransforms: false },
  );
  const sampleSize = arch.inputShape.reduce((a, b) => a * b, 1);
  return {
    async evaluate(samples, input) {
      if (separateTarget !== (input !== undefined)) {
        throw new AutoencoderError(
          "Cannot evaluate: pass corrupted inputs exactly when the evaluator was opened for them",
        );
      }
      const feeds: Record<string, RuntimeTensor> = {};
      for (const spec of paramSpecs(arch)) {
        feeds[spec.name] = runtime.tensor(state.params.get(spec.name)!, spec.shape);
      }
      let sum = 0;
      const chunk = 1000;
      for (let first = 0; first < samples.count; first += chunk) {
        const n = Math.min(chunk, samples.count - first);
        const [from, to] = [first * sampleSize, (first + n) * sampleSize];
        const dims = [n, ...arch.inputShape];
        feeds.input = runtime.tensor((input ?? samples.data).subarray(from, to), dims);
        if (input) feeds.target = runtime.tensor(samples.data.subarray(from, to), dims);
        const out = await session.run(feeds);
        sum += (await runtime.read(out.loss))[0] * n;
      }
      return sum / samples.count;
    },
    release: () => session.release(),
  };
}
