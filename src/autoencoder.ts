/**
 * `Autoencoder`: the class every model of the library is. It owns the parameters
 * and the training state; the work is done by `training/trainer.ts` (fit),
 * `training/program.ts` (graphs, state list), `./sessions.ts` (inference),
 * `./checkpoint.ts` (files) and `./validate.ts` (input checks); `./model_core.ts`
 * holds its parts and runs its methods that use several of them.
 *
 * @module
 */

import {
  type AnomalySettings,
  type DetectionReport,
  evaluateScores,
  fitThreshold,
  reconstructionScores,
  type ScoreName,
  type Threshold,
  type ThresholdOptions,
} from "./anomaly.ts";
import * as files from "./checkpoint.ts";
import type { CheckpointInfo, RunInfo } from "./checkpoint.ts";
import { createCore, evaluateModel, fitModel, inferModel, type ModelCore } from "./model_core.ts";
import { codeShape, type Part } from "./nn/architecture.ts";
import type { AutoencoderConfig, FitOptions, ImageBatch, ModelOptions } from "./options.ts";
import { AutoencoderError, quote } from "./errors.ts";
import type { ChosenProvider } from "./runtime/providers.ts";
import { summaryTable } from "./summary.ts";
import type { History } from "../training/fit.ts";
import { corruptInputs, type Inputs } from "../training/inputs.ts";
import type { Optimizer } from "../training/optimizers.ts";
import { compileProgram, type TrainingProgram } from "../training/program.ts";
import { CORRUPTION } from "../training/state.ts";

export type { AutoencoderConfig, CheckpointInfo, FitOptions, ImageBatch, ModelOptions, RunInfo };

/**
 * An autoencoder built from an encoder and a decoder layer list.
 *
 * @example
 * ```ts
 * import { Autoencoder, Dense, loadMnistSubset } from "@autoencoders/onnx";
 * const model = new Autoencoder({
 *   name: "mine",
 *   inputShape: [784],
 *   encoder: [new Dense(64, "relu")],
 *   decoder: [new Dense(784, "sigmoid")],
 * });
 * const { train, test } = await loadMnistSubset(); // loadMnist(): all 60000 digits
 * const history = await model.fit(train, { epochs: 2, validationData: test });
 * console.assert(history.loss[1] < history.loss[0]);
 * const codes = await model.encode(test);
 * console.assert(codes.length === test.count * 64);
 * await model.dispose();
 * ```
 *
 * One model runs one operation at a time: while `fit` or `load` runs, any other
 * call that changes or reads the model throws an {@link AutoencoderError} of kind
 * `"busy"` and changes nothing (calls are not queued: await the running one first).
 * `fit`'s epoch callbacks may read the model: the epoch's state is whole there.
 */
export class Autoencoder {
  /** The model's definition. */
  readonly config: AutoencoderConfig;
  /** What the model sees while it trains and what it reproduces. */
  readonly inputs: Inputs;
  /** Parameter values by stable dotted name (`encoder.0.kernel`). */
  readonly params: Map<string, Float32Array>;
  /**
   * Anomaly detection settings (the score, the threshold {@link fitThreshold} fitted,
   * a table's scaling), saved in the model's ONNX metadata and restored by {@link load}.
   */
  anomaly: AnomalySettings = { score: "mse" };
  readonly #core: ModelCore;

  /**
   * Creates an autoencoder of any architecture, with fresh weights.
   * @param config Name, input shape, encoder and decoder layers.
   * @param options Seed, runtime, provider, threads, loss, inputs.
   * @throws {AutoencoderError} If `threads` is not an integer from 1 to 4 per core.
   */
  constructor(config: AutoencoderConfig, options: ModelOptions = {}) {
    this.#core = createCore(config, options);
    ({ config: this.config, inputs: this.inputs } = this.#core);
    this.params = this.#core.state.params;
  }

  /**
   * The model's training program: its train-step and evaluation graphs and the list
   * of its state tensors, for an optimizer.
   * @param optimizer The optimizer (default Adam).
   * @returns The program (graphs built when first read).
   */
  program(optimizer?: Optimizer): TrainingProgram {
    return compileProgram(this.config, { optimizer, inputs: this.inputs, seed: this.#core.seed });
  }

  /** Epochs trained so far, over every `fit` call (and before a checkpoint was taken). */
  get epoch(): number {
    return this.#core.state.epoch;
  }

  /** The record of every epoch trained so far, over every `fit` call. */
  get history(): History {
    return this.#core.state.history;
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
   * The runtime's name and the provider in use, e.g. `onnxruntime-node 1.30.0 (cpu)`, or
   * once resolved, what `"auto"` picked: `onnxruntime-node 1.30.0 (cpu, picked by "auto")`.
   */
  get backend(): string {
    return this.#core.provider.backend;
  }

  /**
   * Resolves the provider (once): `"auto"` picks the fastest available here; a
   * provider asked for by name is checked. Training and inference call it themselves;
   * call it to learn the choice early.
   * @returns The provider, its device, and a one-line summary of the choice.
   * @throws {AutoencoderError} Of kind `"provider-unavailable"` if the provider is not
   * available here; the message says how to get it.
   *
   * @example
   * ```ts
   * import { ConvAutoencoder } from "@autoencoders/onnx";
   * const model = new ConvAutoencoder({ provider: "auto" });
   * const chosen = await model.resolveProvider();
   * console.log(chosen.summary); // e.g. "webgpu on NVIDIA ..., picked by "auto""
   * console.assert(model.backend.includes(chosen.provider)); // "onnxruntime-node 1.30.0 (cpu, ..."
   * ```
   */
  resolveProvider(): Promise<ChosenProvider> {
    return this.#core.provider.resolve();
  }

  /**
   * Trains the model to reconstruct `x` (from the inputs its `inputs` declare:
   * corrupted ones for a denoiser).
   * @param x Training samples: flat `Float32Array` (a multiple of the sample size) or `{ images, count }`.
   * @param options Epochs, batch size, optimizer, validation data, callbacks.
   * @returns Losses and wall time per epoch.
   * @throws {AutoencoderError} Of kind `"diverged"` (the model keeps the last finite step),
   * `"busy"`, `"bad-input"` or `"provider-unavailable"`; see {@link AutoencoderErrorKind}.
   */
  fit(x: Float32Array | ImageBatch, options: FitOptions = {}): Promise<History> {
    const program = (optimizer: Optimizer) => this.program(optimizer);
    return fitModel(this.#core, x, options, { program, checkpoint: () => this.checkpoint() });
  }

  /**
   * The mean loss of the reconstructions of `x` (regularizers left out), as Keras reports it.
   * @param x Samples.
   * @returns The loss.
   */
  async evaluate(x: Float32Array | ImageBatch): Promise<number> {
    return (await this.evaluateTerms(x)).loss;
  }

  /**
   * The mean loss of `x` as {@link evaluate} gives it (`loss`), and for a loss of several
   * terms each term's mean by name (a variational autoencoder's `bce(sum)` and `kl(code)`).
   * @param x Samples.
   * @returns The means by name.
   */
  evaluateTerms(x: Float32Array | ImageBatch): Promise<Record<string, number>> {
    return evaluateModel(this.#core, x, () => this.program());
  }

  /**
   * A Keras-like table of the layers: name and type, output shape, parameters, totals.
   * @returns The table's text (print it).
   */
  summary(): string {
    return summaryTable(this.config.name, this.config);
  }

  /**
   * Mean activation of the code over `x`: the figure the blog compares between the
   * sparse model and the plain one.
   * @param x Samples.
   * @returns The mean of every code value.
   */
  async meanCodeActivation(x: Float32Array | ImageBatch): Promise<number> {
    const codes = await this.encode(x);
    return codes.reduce((sum, v) => sum + v, 0) / codes.length;
  }

  /**
   * Encodes samples.
   * @param x Samples.
   * @returns Codes, `count` rows of the code size.
   */
  encode(x: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("encoder", x, "encode");
  }

  /**
   * Decodes codes into reconstructions.
   * @param codes Codes, a multiple of the code size.
   * @returns Reconstructions, values in (0, 1).
   */
  decode(codes: Float32Array): Promise<Float32Array> {
    return this.#infer("decoder", codes, "decode");
  }

  /**
   * Reconstructs samples (encode, then decode).
   * @param x Samples.
   * @returns Reconstructions, same size as `x`.
   */
  predict(x: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("autoencoder", x, "predict");
  }

  /**
   * Anomaly scores: each sample's reconstruction error (see {@link ScoreName}).
   * @param x Samples.
   * @param score The measure (default: `anomaly.score`, `"mse"` unless set).
   * @returns One score per sample.
   */
  async scores(x: Float32Array | ImageBatch, score?: ScoreName): Promise<Float64Array> {
    const reconstruction = await this.predict(x);
    const flat = x instanceof Float32Array ? x : x.images;
    const size = this.inputShape.reduce((a, d) => a * d, 1);
    return reconstructionScores(flat, reconstruction, size, score ?? this.anomaly.score);
  }

  /**
   * Fits the anomaly threshold to normal samples and keeps it in `anomaly.threshold`
   * (saved with the model).
   * @param x Samples taken as normal (e.g. the training set).
   * @param options `{ method: "percentile", value: 99 }`: the 99th percentile of their
   * scores; `{ method: "meanStd", value: 3 }`: mean plus 3 standard deviations.
   * @returns The threshold.
   */
  async fitThreshold(x: Float32Array | ImageBatch, options: ThresholdOptions): Promise<Threshold> {
    const threshold = fitThreshold(await this.scores(x), options);
    this.anomaly = { ...this.anomaly, threshold };
    return threshold;
  }

  /**
   * Scores samples and flags those above the fitted threshold.
   * @param x Samples.
   * @returns The scores, and per sample whether it is anomalous.
   * @throws {AutoencoderError} Of kind `"bad-input"` if no threshold was fitted.
   */
  async detect(
    x: Float32Array | ImageBatch,
  ): Promise<{ scores: Float64Array; anomalous: boolean[]; threshold: number }> {
    const fitted = this.anomaly.threshold;
    if (!fitted) {
      throw new AutoencoderError(
        `Cannot detect anomalies with model ${
          quote(this.config.name)
        }: it has no threshold; call fitThreshold on normal samples first`,
        { kind: "bad-input" },
      );
    }
    const scores = await this.scores(x);
    return {
      scores,
      anomalous: Array.from(scores, (s) => s > fitted.threshold),
      threshold: fitted.threshold,
    };
  }

  /**
   * How well the scores separate labelled anomalies: AUROC, AUPRC, and precision
   * and recall at the fitted threshold (if there is one).
   * @param x Samples.
   * @param anomalous One label per sample: `true` (or 1) for an anomaly.
   * @returns The report.
   */
  async evaluateDetection(
    x: Float32Array | ImageBatch,
    anomalous: ArrayLike<boolean | number>,
  ): Promise<DetectionReport> {
    return evaluateScores(await this.scores(x), anomalous, this.anomaly.threshold?.threshold);
  }

  /**
   * Cleans noisy images: the reconstruction of a corrupted input.
   * @param noisy Noisy samples.
   * @returns The cleaned samples.
   */
  denoise(noisy: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("autoencoder", noisy, "denoise");
  }

  /**
   * Corrupts samples as this model's training inputs are corrupted (see `inputs`).
   * @param x Clean samples in [0, 1].
   * @param seed Draw from a generator with this seed, not the model's (which training uses).
   * @returns New corrupted samples.
   * @throws {AutoencoderError} If the model's inputs declare no corruption.
   */
  corrupt(x: Float32Array, seed?: number): Float32Array {
    const rng = this.#core.state.generators.get(CORRUPTION);
    return corruptInputs(this.inputs, this.config.name, rng, x, seed);
  }

  /**
   * An inference model with the current weights inside, as ONNX bytes.
   * @param part `"autoencoder"` (default: input to `output` and `code`), `"encoder"` or `"decoder"`.
   * @returns The model's bytes.
   */
  toOnnx(part: Part = "autoencoder"): Uint8Array {
    this.#core.guard.check("toOnnx", true);
    const anomaly = part === "autoencoder" ? this.anomaly : undefined;
    return files.modelBytes(this.config, this.params, part, anomaly);
  }

  /**
   * Saves the model as an ONNX file (atomically: temporary file, then rename).
   * @param path Destination, e.g. `model.onnx`.
   */
  async save(path: string): Promise<void> {
    this.#core.guard.check("save", true);
    await this.#core.provider.ctx.runtime.writeFile(path, this.toOnnx());
  }

  /**
   * Replaces the weights and the anomaly settings with those of a model saved by {@link save} or {@link toOnnx}.
   * @param bytes ONNX model bytes.
   * @param file Names the source in error messages.
   */
  loadOnnx(bytes: Uint8Array, file = "model"): void {
    this.#core.guard.check("loadOnnx");
    this.anomaly = files.loadWeights(this.config, this.params, bytes, file);
  }

  /**
   * Loads weights and anomaly settings from an ONNX file saved by {@link save}.
   * @param path Source.
   */
  load(path: string): Promise<void> {
    return this.#core.guard.run("load", async () => {
      const bytes = await this.#core.provider.ctx.runtime.readFile(path);
      this.anomaly = files.loadWeights(this.config, this.params, bytes, path);
    });
  }

  /**
   * The full training state as one ONNX file (see `src/checkpoint.ts`): the inference
   * model with the current weights, plus the optimizer state, step, epoch, learning
   * rate, generator states and history. {@link restore} continues training from it exactly.
   * @param run Facts of the run to keep with it (finite numbers and strings), which
   * {@link restore} returns as `run`.
   * @returns The file's bytes.
   */
  checkpoint(run?: RunInfo): Uint8Array {
    this.#core.guard.check("checkpoint", true);
    return files.writeCheckpoint(this.config, this.#core.state, run);
  }

  /**
   * Restores the full training state saved by {@link checkpoint} (format 1 is read
   * too). Nothing changes if the file is not a checkpoint of this architecture.
   * @param bytes The checkpoint's bytes.
   * @param file Names the source in error messages.
   * @returns What the checkpoint says of the run (optimizer, epochs done).
   */
  restore(bytes: Uint8Array, file = "checkpoint"): CheckpointInfo {
    this.#core.guard.check("restore");
    return files.readCheckpoint(this.config, this.#core.state, bytes, file);
  }

  /** Frees the model's inference sessions (it throws a `"busy"` error while the model runs a call). */
  dispose(): Promise<void> {
    this.#core.guard.check("dispose");
    return this.#core.sessions.dispose();
  }

  async #infer(part: Part, x: Float32Array | ImageBatch, method: string): Promise<Float32Array> {
    return (await this.inferOutputs(part, x, method))[0];
  }

  /**
   * Runs a part and reads some of its outputs (for models whose code layer publishes
   * values, such as a variational encoder's `mean` and `log_var`).
   * @param part The part.
   * @param x Samples, or codes for the decoder.
   * @param method The verb errors use, e.g. `"encode"`.
   * @param outputs The outputs (default `output`).
   * @returns The outputs, row-major, in the order asked for.
   */
  protected inferOutputs(
    part: Part,
    x: Float32Array | ImageBatch,
    method: string,
    outputs?: readonly string[],
  ): Promise<Float32Array[]> {
    return inferModel(this.#core, part, x, method, outputs);
  }
}
