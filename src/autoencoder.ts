/**
 * `Autoencoder`: the class every model of the library is, and the one users
 * build their own architectures with. It owns the parameters and the training
 * state, trains them with `fit`, runs `encode` / `decode` / `predict`, and saves
 * itself as an ONNX model that any ONNX runtime can run. The work is done
 * elsewhere: `training/trainer.ts` (fit), `training/program.ts` (the graphs and
 * the state list), `./sessions.ts` (inference), `./checkpoint.ts` (files),
 * `./validate.ts` (input checks).
 *
 * @module
 */

import {
  type CheckpointInfo,
  MODEL_KEY,
  modelBytes,
  readCheckpoint,
  readWeights,
  type RunInfo,
  writeCheckpoint,
} from "./checkpoint.ts";
import { AutoencoderError, quote } from "./errors.ts";
import { OperationGuard } from "./guard.ts";
import { codeShape, type Part } from "./nn/architecture.ts";
import type { Layer } from "./nn/layers.ts";
import { lossOf } from "./nn/losses.ts";
import { Random } from "./nn/random.ts";
import type { AutoencoderConfig, FitOptions, ImageBatch, ModelOptions } from "./options.ts";
import { defaultRuntime } from "./runtime/default.ts";
import type { ChosenProvider } from "./runtime/providers.ts";
import { ProviderResolver } from "./provider.ts";
import { checkThreads } from "./runtime/threads.ts";
import { InferenceSessions } from "./sessions.ts";
import { summaryTable } from "./summary.ts";
import { checkFitOptions, samplesOf } from "./validate.ts";
import { openEvaluator } from "../training/evaluator.ts";
import {
  emptyHistory,
  type History,
  type RunContext,
  type Samples,
  type TrainState,
} from "../training/fit.ts";
import { corruptAll, type Inputs } from "../training/inputs.ts";
import type { Optimizer } from "../training/optimizers.ts";
import { compileProgram, type TrainingProgram } from "../training/program.ts";
import { CORRUPTION } from "../training/state.ts";
import { train } from "../training/trainer.ts";

export type { AutoencoderConfig, CheckpointInfo, FitOptions, ImageBatch, ModelOptions, RunInfo };
export { MODEL_KEY };

/**
 * An autoencoder built from an encoder and a decoder layer list.
 *
 * @example
 * ```ts ignore
 * import { Autoencoder, Dense, loadMnist } from "@autoencoders/onnx";
 * const model = new Autoencoder({
 *   name: "mine",
 *   inputShape: [784],
 *   encoder: [new Dense(64, "relu")],
 *   decoder: [new Dense(784, "sigmoid")],
 * });
 * const { train, test } = await loadMnist({ dir: "data/mnist" });
 * await model.fit(train, { epochs: 5, validationData: test });
 * const codes = await model.encode(test);
 * ```
 *
 * One model runs one operation at a time: while `fit` or `load` runs, a call that
 * would change the model or read a half-trained state (`fit`, `load`, `loadOnnx`,
 * `restore`, `checkpoint`, `save`, `toOnnx`, `evaluate`, `encode`, `decode`,
 * `predict`) throws an {@link AutoencoderError} of kind `"busy"` and changes
 * nothing. Calls are not queued (a queue would hide a second training run mixing
 * into the first): await the running call first. `fit`'s epoch callbacks
 * (`onEpochEnd`, `callbacks`) may read the model: the epoch's state is whole there.
 */
export class Autoencoder {
  /** The model's definition. */
  readonly config: AutoencoderConfig;
  /** What the model sees while it trains and what it reproduces. */
  readonly inputs: Inputs;
  /** Parameter values by stable dotted name (`encoder.0.kernel`). */
  readonly params: Map<string, Float32Array>;
  #seed: number;
  #state: TrainState;
  #ctx: RunContext;
  #sessions: InferenceSessions;
  #provider: ProviderResolver;
  #guard = new OperationGuard(() => `model ${quote(this.config.name)}`);

  /**
   * Creates an autoencoder of any architecture, with fresh weights.
   *
   * @param config Name, input shape, encoder and decoder layers.
   * @param options Seed, runtime, provider, threads, loss, inputs.
   * @throws {AutoencoderError} If `threads` is not an integer from 1 to 4 per core.
   */
  constructor(config: AutoencoderConfig, options: ModelOptions = {}) {
    checkThreads(options.threads, `create model ${quote(config.name)}`);
    this.config = { ...config, loss: config.loss ?? lossOf(options.loss) };
    this.#seed = options.seed ?? 0;
    const program = compileProgram(this.config, { inputs: options.inputs, seed: this.#seed });
    this.inputs = program.inputs;
    const initial = (role: string) =>
      program.states.filter((s) => s.role === role).map((s) => [s.name, s.initial()] as const);
    this.params = new Map(initial("parameter") as [string, Float32Array][]);
    const generators = initial("generator").map(([name, state]) => {
      const g = new Random(0);
      g.state = [...state];
      return [name, g] as const;
    });
    this.#state = {
      params: this.params,
      optimizerState: new Map(),
      step: 0,
      epoch: 0,
      history: emptyHistory(),
      generators: new Map(generators),
    };
    this.#ctx = {
      runtime: options.runtime ?? defaultRuntime(),
      // The provider is set by resolveProvider() ("auto" resolved, availability checked).
      session: { provider: undefined, threads: options.threads, spinning: options.spinning },
    };
    this.#provider = new ProviderResolver(options.provider ?? "cpu", this.#ctx);
    this.#sessions = new InferenceSessions(this.config, this.#ctx.runtime, this.#ctx.session);
  }

  /**
   * The model's training program: its train-step and evaluation graphs and the list
   * of its state tensors, for an optimizer.
   *
   * @param optimizer The optimizer (default Adam).
   * @returns The program (graphs built when first read).
   */
  program(optimizer?: Optimizer): TrainingProgram {
    return compileProgram(this.config, { optimizer, inputs: this.inputs, seed: this.#seed });
  }

  /** Epochs trained so far, over every `fit` call (and before a checkpoint was taken). */
  get epoch(): number {
    return this.#state.epoch;
  }

  /** The record of every epoch trained so far, over every `fit` call. */
  get history(): History {
    return this.#state.history;
  }

  /** Shape of one input sample, e.g. `[784]`. */
  get inputShape(): number[] {
    return this.config.inputShape;
  }

  /** Shape of one code, e.g. `[32]`. */
  get codeShape(): number[] {
    return codeShape(this.config);
  }

  /**
   * The runtime's name and the provider in use, e.g. `onnxruntime-node 1.30.0 (cpu)`,
   * or what `"auto"` picked once the model has run or {@link resolveProvider} has
   * answered: `onnxruntime-node 1.30.0 (cpu, picked by "auto")`.
   */
  get backend(): string {
    return this.#provider.backend;
  }

  /**
   * Resolves the provider (once): `"auto"` picks the fastest available here; a
   * provider asked for by name is checked. Training and inference call it themselves;
   * call it to learn the choice early.
   *
   * @returns The provider, its device, and a one-line summary of the choice.
   * @throws {AutoencoderError} If the provider is not available here; the message says
   * how to get it.
   *
   * @example
   * ```ts ignore
   * import { ConvAutoencoder } from "@autoencoders/onnx";
   * const model = new ConvAutoencoder({ provider: "auto" });
   * console.log((await model.resolveProvider()).summary); // e.g. "webgpu on NVIDIA ..., picked by "auto""
   * console.log(model.backend); // e.g. "onnxruntime-node 1.30.0 (webgpu, picked by "auto")"
   * ```
   */
  resolveProvider(): Promise<ChosenProvider> {
    return this.#provider.resolve();
  }

  /**
   * Trains the model to reconstruct `x` (from the inputs its `inputs` declare:
   * corrupted ones for a denoiser).
   *
   * @param x Training samples: flat `Float32Array` (a multiple of the sample size) or `{ images, count }`.
   * @param options Epochs, batch size, optimizer, validation data, callback.
   * @returns Losses and wall time per epoch.
   * @throws {AutoencoderError} Of kind `"diverged"` as soon as a training loss, a weight,
   * an optimizer state or the validation loss is not finite: the model then keeps the
   * weights and optimizer state of the last step whose loss and weights were finite
   * (checked), and its history only the epochs that finished. Of kind `"busy"` if the
   * model is running another operation.
   */
  fit(x: Float32Array | ImageBatch, options: FitOptions = {}): Promise<History> {
    return this.#guard.run("fit", async () => {
      const samples = this.#samples(x, "fit");
      const sizes = checkFitOptions(options);
      const validation = options.validationData
        ? this.#samples(options.validationData, "use the validation data")
        : undefined;
      await this.resolveProvider(); // an unavailable provider fails before any state changes
      const trainee = {
        program: (optimizer: Optimizer) => this.program(optimizer),
        state: this.#state,
        ctx: this.#ctx,
        guard: this.#guard,
        model: {
          params: this.params,
          checkpoint: () => this.checkpoint(),
          writeFile: (path: string, bytes: Uint8Array) => this.#ctx.runtime.writeFile(path, bytes),
        },
      };
      return await train(trainee, samples, validation, options, sizes);
    });
  }

  /**
   * The mean loss (its regularizers left out) of the reconstructions of `x`, as
   * Keras' `evaluate` reports it.
   *
   * @param x Samples.
   * @returns The loss.
   */
  async evaluate(x: Float32Array | ImageBatch): Promise<number> {
    this.#guard.check("evaluate", true);
    const samples = this.#samples(x, "evaluate");
    await this.resolveProvider();
    const evaluator = await openEvaluator(this.#ctx, this.program(), this.params);
    try {
      return await evaluator.evaluate(samples);
    } finally {
      await evaluator.release();
    }
  }

  /**
   * A Keras-like table of the layers: name and type, output shape, parameter
   * count, and the totals.
   *
   * @returns The table's text (print it).
   */
  summary(): string {
    return summaryTable(this.config.name, this.config);
  }

  /**
   * Mean activation of the code over `x`: the figure the blog compares between the
   * sparse model and the plain one.
   *
   * @param x Samples.
   * @returns The mean of every code value.
   */
  async meanCodeActivation(x: Float32Array | ImageBatch): Promise<number> {
    const codes = await this.encode(x);
    let sum = 0;
    for (const v of codes) sum += v;
    return sum / codes.length;
  }

  /**
   * Encodes samples.
   *
   * @param x Samples.
   * @returns Codes, `count` rows of the code size.
   */
  encode(x: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("encoder", x, "encode");
  }

  /**
   * Decodes codes into reconstructions.
   *
   * @param codes Codes, a multiple of the code size.
   * @returns Reconstructions, values in (0, 1).
   */
  decode(codes: Float32Array): Promise<Float32Array> {
    return this.#infer("decoder", codes, "decode");
  }

  /**
   * Reconstructs samples (encode, then decode).
   *
   * @param x Samples.
   * @returns Reconstructions, same size as `x`.
   */
  predict(x: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("autoencoder", x, "predict");
  }

  /**
   * Cleans noisy images: the reconstruction of a corrupted input.
   *
   * @param noisy Noisy samples.
   * @returns The cleaned samples.
   */
  denoise(noisy: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("autoencoder", noisy, "denoise");
  }

  /**
   * Corrupts samples as this model's training inputs are corrupted (see `inputs`).
   *
   * @param x Clean samples in [0, 1].
   * @param seed Draw from a generator with this seed instead of the model's own
   * corruption generator (which training also draws from).
   * @returns New corrupted samples.
   * @throws {AutoencoderError} If the model's inputs declare no corruption.
   */
  corrupt(x: Float32Array, seed?: number): Float32Array {
    const corruption = this.inputs.input;
    if (!corruption) {
      throw new AutoencoderError(
        `Cannot corrupt inputs of model ${
          quote(this.config.name)
        }: its inputs declare no corruption; create it with inputs: { input: gaussianNoise(0.5) }`,
      );
    }
    if (seed !== undefined) return corruptAll(corruption, x, seed);
    const into = new Float32Array(x.length);
    corruption.apply(this.#state.generators.get(CORRUPTION)!, x, into);
    return into;
  }

  /**
   * An inference model with the current weights inside, as ONNX bytes.
   *
   * @param part `"autoencoder"` (default: input to `output` and `code`), `"encoder"` or `"decoder"`.
   * @returns The model's bytes.
   */
  toOnnx(part: Part = "autoencoder"): Uint8Array {
    this.#guard.check("toOnnx", true);
    return modelBytes(this.config, this.params, part);
  }

  /**
   * Saves the model as an ONNX file (atomically: temporary file, then rename).
   *
   * @param path Destination, e.g. `model.onnx`.
   */
  async save(path: string): Promise<void> {
    this.#guard.check("save", true);
    await this.#ctx.runtime.writeFile(path, this.toOnnx());
  }

  /**
   * Replaces the weights with those of a model saved by {@link save} or {@link toOnnx}.
   *
   * @param bytes ONNX model bytes.
   * @param file Names the source in error messages.
   */
  loadOnnx(bytes: Uint8Array, file = "model"): void {
    this.#guard.check("loadOnnx");
    for (const [name, data] of readWeights(this.config, bytes, file)) this.params.set(name, data);
  }

  /**
   * Loads weights from an ONNX file saved by {@link save}.
   *
   * @param path Source.
   */
  load(path: string): Promise<void> {
    return this.#guard.run("load", async () => {
      const bytes = await this.#ctx.runtime.readFile(path);
      for (const [name, data] of readWeights(this.config, bytes, path)) {
        this.params.set(name, data);
      }
    });
  }

  /**
   * The full training state as one ONNX file: the inference model with the
   * current weights (so any ONNX runtime can run it), plus the optimizer state as
   * extra initializers (`optimizer.<slot>.<param>`) and, in the metadata
   * `autoencoders.checkpoint`, the step, epoch, learning rate, generator states and
   * the history. {@link restore} continues training from it exactly.
   *
   * @param run Facts of the run to keep with it (finite numbers and strings), which
   * {@link restore} returns as `run`.
   * @returns The file's bytes.
   */
  checkpoint(run?: RunInfo): Uint8Array {
    this.#guard.check("checkpoint", true);
    return writeCheckpoint(this.config, this.#state, run);
  }

  /**
   * Restores the full training state saved by {@link checkpoint}: weights,
   * optimizer state, step, epoch, learning rate, generators and history. Nothing
   * changes if the file is not a checkpoint of this architecture. Checkpoints of
   * format 1 (before generators were named) are read too.
   *
   * @param bytes The checkpoint's bytes.
   * @param file Names the source in error messages.
   * @returns What the checkpoint says of the run (optimizer, epochs done).
   */
  restore(bytes: Uint8Array, file = "checkpoint"): CheckpointInfo {
    this.#guard.check("restore");
    return readCheckpoint(this.config, this.#state, bytes, file);
  }

  /** Frees the model's inference sessions. */
  dispose(): Promise<void> {
    return this.#sessions.dispose();
  }

  #samples(x: Float32Array | ImageBatch, what: string): Samples {
    return samplesOf(x, this.inputShape, what);
  }

  async #infer(part: Part, x: Float32Array | ImageBatch, method: string): Promise<Float32Array> {
    this.#guard.check(method, true);
    const codes = part === "decoder";
    const samples = samplesOf(x, codes ? this.codeShape : this.inputShape, method, !codes);
    await this.resolveProvider();
    const inShape = codes ? this.codeShape : this.inputShape;
    const outShape = part === "encoder" ? this.codeShape : this.inputShape;
    return await this.#sessions.run(part, this.params, samples, inShape, outShape);
  }
}

/** Layers re-exported for the convenience of architecture authors. */
export type { Layer };
