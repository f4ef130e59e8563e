/**
 * What an `Autoencoder` holds besides its public fields (seed, training state,
 * provider, inference sessions, operation guard), and the work of the methods that
 * use several of them: creation, `fit`, `evaluate` and inference.
 *
 * @module
 */

import { quote } from "./errors.ts";
import { OperationGuard } from "./guard.ts";
import type { Part } from "./nn/architecture.ts";
import { lossOf } from "./nn/losses.ts";
import type { AutoencoderConfig, FitOptions, ImageBatch, ModelOptions } from "./options.ts";
import { ProviderResolver } from "./provider.ts";
import { checkThreads } from "./runtime/threads.ts";
import { InferenceSessions } from "./sessions.ts";
import { checkFit, samplesOf, unitRangeOf } from "./validate.ts";
import { evaluateOnce } from "../training/evaluator.ts";
import type { History, TrainState } from "../training/fit.ts";
import { corruptInputs, type Inputs } from "../training/inputs.ts";
import { compileProgram, initialState, type TrainingProgram } from "../training/program.ts";
import { CORRUPTION } from "../training/state.ts";
import { train, type Trainee } from "../training/trainer.ts";

/** A model's parts. */
export interface ModelCore {
  /** The model's definition, its loss filled in. */
  readonly config: AutoencoderConfig;
  /** Seed of initialisation, shuffling and noise. */
  readonly seed: number;
  /** What the model sees while it trains and what it reproduces. */
  readonly inputs: Inputs;
  /** Parameters, optimizer state, step, epoch, generators and history. */
  readonly state: TrainState;
  /** The provider, resolved on first use. */
  readonly provider: ProviderResolver;
  /** The inference sessions, one per part. */
  readonly sessions: InferenceSessions;
  /** One operation at a time. */
  readonly guard: OperationGuard;
}

/**
 * A model's parts, with fresh weights.
 *
 * @param config Name, input shape, encoder and decoder layers.
 * @param options Seed, runtime, provider, threads, loss, inputs.
 * @returns The parts.
 * @throws {AutoencoderError} If `threads` is not an integer from 1 to 4 per core.
 */
export function createCore(config: AutoencoderConfig, options: ModelOptions): ModelCore {
  const guard = new OperationGuard(() => `model ${quote(config.name)}`);
  checkThreads(options.threads, `create model ${quote(config.name)}`);
  const full = { ...config, loss: config.loss ?? lossOf(options.loss) };
  const seed = options.seed ?? 0;
  const program = compileProgram(full, { inputs: options.inputs, seed });
  const state = initialState(program);
  const provider = new ProviderResolver(options); // "auto" resolved, availability checked
  const sessions = new InferenceSessions(full, provider);
  return { config: full, seed, inputs: program.inputs, state, provider, sessions, guard };
}

/**
 * Trains the model (see `Autoencoder.fit`).
 *
 * @param core The model's parts.
 * @param x Training samples.
 * @param options Epochs, batch size, optimizer, validation data, callbacks.
 * @param model The model's program and checkpoint.
 * @returns Losses and wall time per epoch.
 */
export function fitModel(
  core: ModelCore,
  x: Float32Array | ImageBatch,
  options: FitOptions,
  model: Pick<Trainee, "program" | "checkpoint">,
): Promise<History> {
  const { guard, state, provider } = core;
  return guard.run("fit", async () => {
    const inputs = checkFit(x, options, core.config.inputShape, unitRangeOf(core.config));
    await provider.resolve(); // an unavailable provider fails before any state changes
    const trainee = { ...model, state, ctx: provider.ctx, guard };
    return await train(trainee, inputs, options);
  });
}

/**
 * The mean loss of the reconstructions of `x` (see `Autoencoder.evaluateTerms`).
 *
 * @param core The model's parts.
 * @param x Samples.
 * @param program The model's training program.
 * @returns The loss, and each term's share for a loss of several.
 */
export async function evaluateModel(
  core: ModelCore,
  x: Float32Array | ImageBatch,
  program: () => TrainingProgram,
): Promise<Record<string, number>> {
  return await core.guard.read("evaluate", async () => {
    const samples = samplesOf(x, core.config.inputShape, "evaluate", unitRangeOf(core.config));
    await core.provider.resolve();
    return await evaluateOnce(core.provider.ctx, program(), core.state.params, samples);
  });
}

/**
 * Runs a part of the model on `x`, as a read of the model.
 *
 * @param core The model's parts.
 * @param part The part.
 * @param x Samples, or codes for the decoder.
 * @param method The verb errors use, e.g. `"encode"`.
 * @param outputs The graph's outputs to read (default `output`).
 * @returns The outputs, row-major, in the order asked for.
 */
export async function inferModel(
  core: ModelCore,
  part: Part,
  x: Float32Array | ImageBatch,
  method: string,
  outputs: readonly string[] = ["output"],
): Promise<Float32Array[]> {
  const { guard, sessions, state } = core;
  return await guard.read(method, () => sessions.infer(part, state.params, x, method, outputs));
}

/**
 * Corrupts samples as the model's training inputs are corrupted.
 * @param core The model's parts.
 * @param x Clean samples.
 * @param seed Draw from a generator with this seed, not the model's.
 * @returns New corrupted samples.
 */
export function corruptModel(core: ModelCore, x: Float32Array, seed?: number): Float32Array {
  const rng = core.state.generators.get(CORRUPTION);
  return corruptInputs(core.inputs, core.config.name, rng, x, seed);
}
