/**
 * `Autoencoder`: the class every model of the library is, and the one users
 * build their own architectures with. It owns the parameters, trains them with
 * `fit`, runs `encode` / `decode` / `predict`, and saves itself as an ONNX model
 * that any ONNX runtime can run.
 *
 * @module
 */

import { AutoencoderError, printable, quote } from "./errors.ts";
import { OperationGuard } from "./guard.ts";
import {
  type Architecture,
  buildInference,
  codeShape,
  paramSpecs,
  type Part,
  placeLayers,
} from "./nn/architecture.ts";
import { showShape } from "./ir/graph.ts";
import type { Layer, ParamSpec } from "./nn/layers.ts";
import { Random } from "./nn/random.ts";
import { type Loss, type LossName, lossOf } from "./nn/losses.ts";
import { type DecodedModel, decodeModel, encodeModel } from "./onnx/model.ts";
import { defaultRuntime } from "./runtime/default.ts";
import { chooseProvider, type ChosenProvider } from "./runtime/providers.ts";
import { checkThreads } from "./runtime/threads.ts";
import type { ProviderChoice, Runtime, Session } from "./runtime/types.ts";
import type { Callback, TrainingModel } from "../training/callbacks.ts";
import {
  type BatchLogs,
  emptyHistory,
  type EpochControl,
  type EpochLogs,
  fitLoop,
  type History,
  type LoopOptions,
  openEvaluator,
  type Samples,
  type TrainState,
} from "../training/fit.ts";
import { type Optimizer, optimizerByName, type OptimizerName } from "../training/optimizers.ts";

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
   * model first runs; {@link Autoencoder.resolveProvider} asks early.
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
}

/** Options of {@link Autoencoder.fit}. */
export interface FitOptions {
  /** Epochs (default 1). */
  epochs?: number;
  /** Samples per update (default 256, the blog's). */
  batchSize?: number;
  /** Shuffle every epoch (default true). */
  shuffle?: boolean;
  /** A name in `OPTIMIZERS` (default `"adam"`) or an optimizer from `training/optimizers.ts`. */
  optimizer?: OptimizerName | Optimizer;
  /** Learning rate (default: the optimizer's). */
  learningRate?: number;
  /** Held-out data, evaluated after each epoch. */
  validationData?: Float32Array | ImageBatch;
  /** Called after each epoch with its losses. */
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>;
  /**
   * Called after each batch with the epoch's progress (for progress bars); on WebGPU,
   * where losses stay on the device, after every 32nd batch and the last.
   */
  onBatchEnd?: (logs: BatchLogs) => void;
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

/** Metadata key under which a saved model records its name. */
const MODEL_KEY = "autoencoders.model";
/** Metadata key of a checkpoint's training state (JSON). */
const CHECKPOINT_KEY = "autoencoders.checkpoint";
/** Name prefix of a checkpoint's optimizer-state initializers. */
const CHECKPOINT_PREFIX = "optimizer.";

/** The training state a checkpoint records besides the tensors. */
export interface CheckpointInfo {
  /** Format version (1). */
  format: 1;
  /** Model name. */
  model: string;
  /** Optimizer of the run, if it has trained. */
  optimizer?: string;
  /** Learning rate of the last epoch, if changed by a schedule or set by the user. */
  learningRate?: number;
  /** Updates applied. */
  step: number;
  /** Epochs done. */
  epoch: number;
  /** Shuffling generator state. */
  rng: number[];
  /** Corruption generator state. */
  noiseRng: number[];
  /** Every epoch so far. */
  history: History;
  /**
   * What the caller recorded of the run with {@linkcode Autoencoder.checkpoint}
   * (the train command: data set, limit, batch size), to check a resumed run against.
   */
  run?: RunInfo;
}

/** Facts of a run kept in a checkpoint, by name (e.g. `{ dataset: "mnist", batchSize: 256 }`). */
export type RunInfo = Readonly<Record<string, string | number>>;

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
  /** Parameter values by stable dotted name (`encoder.0.kernel`). */
  readonly params: Map<string, Float32Array>;
  #state: TrainState;
  #sessions = new Map<Part, Promise<{ session: Session; params: string[] }>>();
  #provider: ProviderChoice;
  #chosen?: Promise<ChosenProvider>;
  #guard = new OperationGuard(() => `model ${quote(this.config.name)}`);

  /**
   * Creates an autoencoder of any architecture, with fresh weights.
   *
   * @param config Name, input shape, encoder and decoder layers.
   * @param options Seed, runtime, provider, threads.
   * @throws {AutoencoderError} If `threads` is not an integer from 1 to 4 per core.
   */
  constructor(config: AutoencoderConfig, options: ModelOptions = {}) {
    checkThreads(options.threads, `create model ${quote(config.name)}`);
    this.config = { ...config, loss: config.loss ?? lossOf(options.loss) };
    this.#provider = options.provider ?? "cpu";
    const seed = options.seed ?? 0;
    const init = new Random(seed);
    this.params = new Map(paramSpecs(config).map((spec) => [spec.name, initialize(spec, init)]));
    this.#state = {
      arch: this.config,
      params: this.params,
      optimizerState: new Map(),
      step: 0,
      runtime: options.runtime ?? defaultRuntime(),
      session: {
        // Set by #ready() from the choice ("auto" resolved, availability checked).
        provider: undefined,
        threads: options.threads,
        spinning: options.spinning,
      },
      rng: new Random(seed + 1),
      noiseRng: new Random(seed + 2),
      epoch: 0,
      history: emptyHistory(),
    };
  }

  /** The generator of input corruption, for models trained on corrupted inputs. */
  protected get noiseRng(): Random {
    return this.#state.noiseRng;
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
    const provider = this.#state.session.provider;
    const auto = this.#provider === "auto";
    return `${this.#state.runtime.name} (${
      provider ? `${provider}${auto ? ', picked by "auto"' : ""}` : this.#provider
    })`;
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
    return this.#chosen ??= this.#choose();
  }

  async #choose(): Promise<ChosenProvider> {
    // Only the provider asked for is probed ("cpu": nothing is opened).
    const chosen = await chooseProvider(this.#state.runtime, this.#provider).catch((e) => {
      this.#chosen = undefined; // ask again next time
      throw e;
    });
    this.#state.session.provider = chosen.provider;
    return chosen;
  }

  /**
   * Trains the model to reconstruct `x`.
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
    return this.train(x, options);
  }

  /**
   * `fit` with the hooks of models trained on corrupted inputs.
   *
   * @param x Clean training samples.
   * @param options As for `fit`.
   * @param corruption How inputs are corrupted, and the corrupted validation inputs.
   * @returns The history.
   */
  protected train(
    x: Float32Array | ImageBatch,
    options: FitOptions,
    corruption?: (
      train: Samples,
      validation?: Samples,
    ) => Pick<LoopOptions, "corrupt" | "validationInput">,
  ): Promise<History> {
    return this.#guard.run("fit", () => this.#train(x, options, corruption));
  }

  async #train(
    x: Float32Array | ImageBatch,
    options: FitOptions,
    corruption?: Parameters<Autoencoder["train"]>[2],
  ): Promise<History> {
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? 256;
    const train = this.#samples(x, "fit");
    if (!Number.isInteger(epochs) || epochs < 1) {
      throw new AutoencoderError(`Cannot fit: epochs must be a positive integer, got ${epochs}`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new AutoencoderError(
        `Cannot fit: batch size must be a positive integer, got ${batchSize}`,
      );
    }
    const rate = options.learningRate;
    if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) {
      throw new AutoencoderError(
        `Cannot fit: the learning rate must be a finite number > 0, got ${rate}`,
      );
    }
    const optimizer = typeof options.optimizer === "object"
      ? options.optimizer
      : optimizerByName(options.optimizer ?? "adam");
    const validation = options.validationData
      ? this.#samples(options.validationData, "use the validation data")
      : undefined;
    const callbacks = options.callbacks ?? [];
    const target: TrainingModel = {
      params: this.params,
      checkpoint: () => this.checkpoint(),
      writeFile: (path, bytes) => this.#state.runtime.writeFile(path, bytes),
    };
    const state = this.#state;
    await this.resolveProvider(); // an unavailable provider fails before any state changes
    if (state.optimizer !== undefined && state.optimizer !== optimizer.name) {
      state.optimizerState.clear(); // another optimizer's state means nothing to this one
      state.learningRate = undefined;
    }
    state.optimizer = optimizer.name;
    const history = await fitLoop(state, train, {
      epochs,
      // A batch size larger than the data set means one batch of all of it, as in Keras.
      batchSize: Math.min(batchSize, train.count),
      shuffle: options.shuffle ?? true,
      optimizer,
      learningRate: options.learningRate ?? state.learningRate ?? optimizer.learningRate,
      validation,
      onBatchEnd: (logs) => {
        options.onBatchEnd?.(logs);
        for (const c of callbacks) c.onBatchEnd?.(logs);
      },
      onEpochEnd: (logs) =>
        this.#guard.between(async () => {
          await options.onEpochEnd?.(logs);
          const control: EpochControl = {};
          for (const c of callbacks) {
            const asked = await c.onEpochEnd?.(logs, target);
            if (asked?.stop) control.stop = true;
            if (asked?.learningRate !== undefined) control.learningRate = asked.learningRate;
          }
          return control;
        }),
      ...corruption?.(train, validation),
    });
    await this.#guard.between(async () => {
      for (const c of callbacks) await c.onTrainEnd?.(target);
    });
    return history;
  }

  /**
   * Mean per-pixel binary cross-entropy of the reconstructions of `x`.
   *
   * @param x Samples.
   * @returns The loss, as Keras' `evaluate` reports it.
   */
  async evaluate(x: Float32Array | ImageBatch): Promise<number> {
    this.#guard.check("evaluate", true);
    const samples = this.#samples(x, "evaluate");
    await this.resolveProvider();
    const evaluator = await openEvaluator(this.#state);
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
    const rows = [["Layer (type)", "Output shape", "Param #"]];
    rows.push(["input (Input)", showShape(["N", ...this.inputShape]), "0"]);
    let total = 0;
    for (const { name, layer, output, paramCount: count } of placeLayers(this.config)) {
      total += count;
      rows.push([
        `${name} (${layer.type})`,
        showShape(["N", ...output]),
        count.toLocaleString("en-US"),
      ]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) =>
      r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("   ");
    const rule = "=".repeat(widths.reduce((a, b) => a + b + 3, -3));
    return [
      `Model: ${quote(this.config.name)}`,
      rule,
      line(rows[0]),
      rule.replaceAll("=", "-"),
      ...rows.slice(1).map(line),
      rule,
      `Total params: ${total.toLocaleString("en-US")}`,
      `Trainable params: ${total.toLocaleString("en-US")}`,
      "Non-trainable params: 0",
    ].join("\n");
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
  async encode(x: Float32Array | ImageBatch): Promise<Float32Array> {
    return await this.#infer("encoder", this.#samples(x, "encode"), "encode");
  }

  /**
   * Decodes codes into reconstructions.
   *
   * @param codes Codes, a multiple of the code size.
   * @returns Reconstructions, values in (0, 1).
   */
  async decode(codes: Float32Array): Promise<Float32Array> {
    return await this.#infer(
      "decoder",
      toSamples(codes, this.codeShape, "decode", false),
      "decode",
    );
  }

  /**
   * Reconstructs samples (encode, then decode).
   *
   * @param x Samples.
   * @returns Reconstructions, same size as `x`.
   */
  async predict(x: Float32Array | ImageBatch): Promise<Float32Array> {
    return await this.reconstruct(x, "predict");
  }

  /**
   * `predict` for subclasses whose own methods reconstruct (`denoise`): errors
   * name `what` instead.
   *
   * @param x Samples.
   * @param what The verb errors use, e.g. `"denoise"`.
   * @returns Reconstructions, same size as `x`.
   */
  protected async reconstruct(x: Float32Array | ImageBatch, what: string): Promise<Float32Array> {
    return await this.#infer("autoencoder", this.#samples(x, what), what);
  }

  /**
   * An inference model with the current weights inside, as ONNX bytes.
   *
   * @param part `"autoencoder"` (default: input to `output` and `code`), `"encoder"` or `"decoder"`.
   * @returns The model's bytes.
   */
  toOnnx(part: Part = "autoencoder"): Uint8Array {
    this.#guard.check("toOnnx", true);
    return encodeModel(buildInference(this.config, part, this.params).graph, {
      name: `${this.config.name}.${part}`,
      metadata: { [MODEL_KEY]: this.config.name },
    });
  }

  /**
   * Saves the model as an ONNX file (atomically: temporary file, then rename).
   *
   * @param path Destination, e.g. `model.onnx`.
   */
  async save(path: string): Promise<void> {
    this.#guard.check("save", true);
    await this.#state.runtime.writeFile(path, this.toOnnx());
  }

  /**
   * Replaces the weights with those of a model saved by {@link save} or {@link toOnnx}.
   *
   * @param bytes ONNX model bytes.
   * @param file Names the source in error messages.
   */
  loadOnnx(bytes: Uint8Array, file = "model"): void {
    this.#guard.check("loadOnnx");
    this.#loadOnnx(bytes, file);
  }

  #loadOnnx(bytes: Uint8Array, file: string): void {
    const weights = this.#weightsFrom(decodeModel(bytes, file), file);
    for (const [name, data] of weights) this.params.set(name, data);
  }

  /** This architecture's weights from a decoded model, all checked before any is used. */
  #weightsFrom(model: DecodedModel, file: string): Map<string, Float32Array> {
    const saved = model.metadata[MODEL_KEY];
    if (saved !== undefined && saved !== this.config.name) {
      const a = article(saved);
      throw new AutoencoderError(
        `Cannot load ${quote(file)}: it holds ${a} ${quote(saved)} model, not ${
          quote(this.config.name)
        }; load it into ${a} ${printable(saved)} model`,
      );
    }
    const weights = new Map<string, Float32Array>();
    for (const spec of paramSpecs(this.config)) {
      const found = model.initializers.get(spec.name);
      if (!found || found.dims.join() !== spec.shape.join()) {
        throw new AutoencoderError(
          `Cannot load ${quote(file)}: weight "${spec.name}" of shape [${spec.shape}] is ${
            found ? `[${found.dims}] in the file` : "missing"
          }; the file was saved from another architecture`,
        );
      }
      const bad = found.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new AutoencoderError(
          `Cannot load ${quote(file)}: weight "${spec.name}" holds ${
            found.data[bad]
          } at index ${bad}; the file is corrupt or was saved from a diverged run`,
        );
      }
      weights.set(spec.name, found.data);
    }
    return weights;
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
    const state = this.#state;
    const specs = new Map(paramSpecs(this.config).map((s) => [s.name, s.shape]));
    const extra = new Map<string, { dims: number[]; data: Float32Array }>();
    for (const [name, data] of state.optimizerState) {
      const param = name.slice(name.indexOf(".") + 1);
      extra.set(`${CHECKPOINT_PREFIX}${name}`, { dims: specs.get(param)!, data });
    }
    const info: CheckpointInfo = {
      format: 1,
      model: this.config.name,
      optimizer: state.optimizer,
      learningRate: state.learningRate,
      step: state.step,
      epoch: state.epoch,
      rng: state.rng.state,
      noiseRng: state.noiseRng.state,
      history: state.history,
      ...(run ? { run } : {}),
    };
    const problem = checkpointProblem(info);
    if (problem) {
      throw new AutoencoderError(`Cannot write a checkpoint: ${problem}; pass finite numbers`);
    }
    return encodeModel(buildInference(this.config, "autoencoder", this.params).graph, {
      name: `${this.config.name}.checkpoint`,
      metadata: { [MODEL_KEY]: this.config.name, [CHECKPOINT_KEY]: JSON.stringify(info) },
      extraInitializers: extra,
    });
  }

  /**
   * Restores the full training state saved by {@link checkpoint}: weights,
   * optimizer state, step, epoch, learning rate, generators and history. Nothing
   * changes if the file is not a checkpoint of this architecture.
   *
   * @param bytes The checkpoint's bytes.
   * @param file Names the source in error messages.
   * @returns What the checkpoint says of the run (optimizer, epochs done).
   */
  restore(bytes: Uint8Array, file = "checkpoint"): CheckpointInfo {
    this.#guard.check("restore");
    const model = decodeModel(bytes, file);
    let info: CheckpointInfo;
    try {
      info = JSON.parse(model.metadata[CHECKPOINT_KEY] ?? "null");
    } catch (cause) {
      throw new AutoencoderError(
        `Cannot restore ${
          quote(file)
        }: its training state is corrupt (not JSON); restore an earlier checkpoint`,
        { cause },
      );
    }
    if (info === null) {
      throw new AutoencoderError(
        `Cannot restore ${
          quote(file)
        }: it holds weights but no training state; restore a checkpoint written by checkpoint() or the train command`,
      );
    }
    const problem = checkpointProblem(info);
    if (problem) {
      throw new AutoencoderError(
        `Cannot restore ${
          quote(file)
        }: its training state is corrupt (${problem}); restore an earlier checkpoint`,
      );
    }
    // Everything is checked before anything changes.
    const weights = this.#weightsFrom(model, file);
    const shapes = new Map(paramSpecs(this.config).map((s) => [s.name, s.shape.join()]));
    const optimizerState = new Map<string, Float32Array>();
    for (const [name, { dims, data }] of model.initializers) {
      if (!name.startsWith(CHECKPOINT_PREFIX)) continue;
      const key = name.slice(CHECKPOINT_PREFIX.length); // <slot>.<parameter>
      const param = key.slice(key.indexOf(".") + 1);
      const problem = !shapes.has(param)
        ? "belongs to no weight of the model"
        : shapes.get(param) !== dims.join()
        ? `has shape [${dims}] but the weight has [${shapes.get(param)}]`
        : data.some((v) => !Number.isFinite(v))
        ? "holds a value that is not finite"
        : undefined;
      if (problem) {
        throw new AutoencoderError(
          `Cannot restore ${
            quote(file)
          }: optimizer state "${name}" ${problem}; the checkpoint is corrupt or of another architecture`,
        );
      }
      optimizerState.set(key, data);
    }
    const state = this.#state;
    for (const [name, data] of weights) this.params.set(name, data);
    state.optimizerState = optimizerState;
    Object.assign(state, {
      optimizer: info.optimizer,
      learningRate: info.learningRate,
      step: info.step,
      epoch: info.epoch,
      history: info.history,
    });
    state.rng.state = info.rng;
    state.noiseRng.state = info.noiseRng;
    return info;
  }

  /**
   * Loads weights from an ONNX file saved by {@link save}.
   *
   * @param path Source.
   */
  load(path: string): Promise<void> {
    return this.#guard.run("load", async () => {
      this.#loadOnnx(await this.#state.runtime.readFile(path), path);
    });
  }

  /** Frees the model's inference sessions. */
  async dispose(): Promise<void> {
    for (const s of this.#sessions.values()) await (await s).session.release();
    this.#sessions.clear();
  }

  #samples(x: Float32Array | ImageBatch, what: string): Samples {
    const batch = typeof x === "object" && x !== null && "images" in x ? x : undefined;
    const samples = toSamples(batch ? batch.images : x as Float32Array, this.inputShape, what);
    if (batch && batch.count !== undefined && batch.count !== samples.count) {
      throw new AutoencoderError(
        `Cannot ${what}: the batch says it holds ${batch.count} samples but its images are ${samples.count} samples of shape [${this.inputShape}]; make count match the images`,
      );
    }
    return samples;
  }

  async #infer(part: Part, samples: Samples, method: string): Promise<Float32Array> {
    this.#guard.check(method, true);
    await this.resolveProvider();
    const { runtime } = this.#state;
    let session = this.#sessions.get(part);
    if (!session) {
      const graph = buildInference(this.config, part).graph;
      // The part's own parameters: runtimes differ on extra inputs (ORT-web rejects them).
      const params = graph.inputs.map((v) => (v.source as { name: string }).name)
        .filter((name) => name !== "input");
      const bytes = encodeModel(graph, { name: part });
      session = runtime.createSession(bytes, this.#state.session).then((s) => ({
        session: s,
        params,
      }));
      this.#sessions.set(part, session);
    }
    const { session: s, params } = await session;
    const inShape = part === "decoder" ? this.codeShape : this.inputShape;
    const outShape = part === "encoder" ? this.codeShape : this.inputShape;
    const inSize = size(inShape), outSize = size(outShape);
    const result = new Float32Array(samples.count * outSize);
    const shapes = new Map(paramSpecs(this.config).map((p) => [p.name, p.shape]));
    const feeds: Record<string, ReturnType<Runtime["tensor"]>> = {};
    for (const name of params) {
      feeds[name] = runtime.tensor(this.params.get(name)!, shapes.get(name)!);
    }
    const chunk = 1000;
    for (let first = 0; first < samples.count; first += chunk) {
      const n = Math.min(chunk, samples.count - first);
      feeds.input = runtime.tensor(samples.data.subarray(first * inSize, (first + n) * inSize), [
        n,
        ...inShape,
      ]);
      const out = await s.run(feeds, ["output"]);
      result.set(await runtime.read(out.output), first * outSize);
    }
    return result;
  }
}

/** Layers re-exported for the convenience of architecture authors. */
export type { Layer };

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function toSamples(
  data: Float32Array,
  shape: readonly number[],
  what: string,
  unitRange = true,
): Samples {
  const n = size(shape);
  if (!(data instanceof Float32Array)) {
    throw new AutoencoderError(
      `Cannot ${what}: expected a Float32Array, got ${
        data === null || data === undefined
          ? String(data)
          : (data as object).constructor?.name ?? typeof data
      }; convert the data with Float32Array.from`,
    );
  }
  if (data.length === 0) {
    throw new AutoencoderError(
      `Cannot ${what}: the data set is empty; pass at least one sample of shape [${shape}]`,
    );
  }
  if (data.length % n !== 0) {
    throw new AutoencoderError(
      `Cannot ${what}: expected samples of shape [${shape}] (${n} values each), got ${data.length} values; pass a whole number of samples`,
    );
  }
  // Images are targets of binary cross-entropy, so probabilities; codes may be any
  // finite number. A NaN would poison every weight.
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (unitRange ? !(v >= 0 && v <= 1) : !Number.isFinite(v)) {
      const problem = unitRange
        ? "outside [0, 1]; scale images to [0, 1] (divide bytes by 255) and remove NaN or Infinity"
        : "not finite; remove NaN or Infinity";
      throw new AutoencoderError(
        `Cannot ${what}: value ${v} at index ${i} (sample ${Math.floor(i / n)}) is ${problem}`,
      );
    }
  }
  return { data, count: data.length / n };
}

/** What is wrong with a checkpoint's training state, or `undefined` if nothing is. */
function checkpointProblem(info: CheckpointInfo): string | undefined {
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const numbers = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isFinite(x));
  const generator = (v: unknown) =>
    Array.isArray(v) && v.length === 4 &&
    v.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32);
  if (typeof info !== "object") return `expected an object, got ${JSON.stringify(info)}`;
  if (info.format !== 1) return `format ${JSON.stringify(info.format)} is not 1`;
  if (typeof info.model !== "string") return "the model name is missing";
  if (info.optimizer !== undefined && typeof info.optimizer !== "string") {
    return `optimizer ${JSON.stringify(info.optimizer)} is not a name`;
  }
  const rate = info.learningRate;
  if (rate !== undefined && !(typeof rate === "number" && rate >= 0 && Number.isFinite(rate))) {
    return `learning rate ${JSON.stringify(rate)} is not a number >= 0`;
  }
  if (!count(info.step)) return `step ${JSON.stringify(info.step)} is not a count`;
  if (!count(info.epoch)) return `epoch ${JSON.stringify(info.epoch)} is not a count`;
  if (!generator(info.rng)) return "the shuffling generator's state is not 4 integers";
  if (!generator(info.noiseRng)) return "the noise generator's state is not 4 integers";
  const h = info.history as Partial<Record<keyof History, unknown>> | null;
  if (typeof h !== "object" || h === null) return "the history is missing";
  for (const key of ["loss", "penalty", "valLoss", "epochSeconds"] as const) {
    if (!numbers(h[key])) return `history.${key} is not a list of finite numbers`;
  }
  const run = info.run as Record<string, unknown> | undefined | null;
  if (run !== undefined) {
    if (typeof run !== "object" || run === null || Array.isArray(run)) {
      return "the run's facts are not an object";
    }
    for (const [key, value] of Object.entries(run)) {
      if (typeof value !== "string" && !Number.isFinite(value)) {
        return `run fact "${key}" is ${
          JSON.stringify(value) ?? String(value)
        }, not a string or a finite number`;
      }
    }
  }
  return undefined;
}

/** "a" or "an", for a name read aloud in English. */
function article(name: string): string {
  return /^[aeiou]/i.test(name) ? "an" : "a";
}

function initialize(spec: ParamSpec, rng: Random): Float32Array {
  const data = new Float32Array(size(spec.shape));
  if (spec.init.kind === "glorot_uniform") {
    const limit = Math.sqrt(6 / (spec.init.fanIn + spec.init.fanOut));
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-limit, limit);
  }
  return data;
}
