/**
 * `Autoencoder`: the class every model of the library is. It owns the parameters and the
 * training state; `./model_core.ts` holds its parts and does the work of its methods
 * (`./model_anomaly.ts` of the anomaly ones, `./checkpoint.ts` of files).
 *
 * @module
 */

import type {
  AnomalySettings,
  DetectionReport,
  ScoreName,
  Threshold,
  ThresholdOptions,
} from "./anomaly.ts";
import * as files from "./checkpoint.ts";
import type { CheckpointInfo, RunInfo } from "./checkpoint.ts";
import * as anomalies from "./model_anomaly.ts";
import * as core from "./model_core.ts";
import { codeShape, type Part } from "./nn/architecture.ts";
import type { AutoencoderConfig, FitOptions, ImageBatch, ModelOptions } from "./options.ts";
import type { ChosenProvider } from "./runtime/providers.ts";
import { summaryTable } from "./summary.ts";
import type { History } from "../training/fit.ts";
import type { Inputs } from "../training/inputs.ts";
import type { Optimizer } from "../training/optimizers.ts";
import { compileProgram, type TrainingProgram } from "../training/program.ts";

export type { AutoencoderConfig, CheckpointInfo, FitOptions, ImageBatch, ModelOptions, RunInfo };

/**
 * An autoencoder built from an encoder and a decoder layer list.
 *
 * @example
 * ```ts
 * import { Autoencoder, Dense, loadMnistSubset } from "@autoencoders/onnx";
 * const layers = { encoder: [new Dense(64, "relu")], decoder: [new Dense(784, "sigmoid")] };
 * const model = new Autoencoder({ name: "mine", inputShape: [784], ...layers });
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
  /** Anomaly settings (score, {@link fitThreshold}'s threshold, scaling), saved with the model. */
  anomaly: AnomalySettings = { score: "mse" };
  readonly #core: core.ModelCore;

  /**
   * An autoencoder of any architecture, fresh weights: `config` (name, input shape, encoder
   * and decoder layers), `options` (seed, runtime, provider, threads, loss, inputs).
   * @throws {AutoencoderError} If `threads` is not an integer from 1 to 4 per core.
   */
  constructor(config: AutoencoderConfig, options: ModelOptions = {}) {
    this.#core = core.createCore(config, options);
    ({ config: this.config, inputs: this.inputs } = this.#core);
    this.params = this.#core.state.params;
  }

  /** The training program (train-step, evaluation graphs, state list) for `optimizer` (Adam). */
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
   * Resolves the provider (once): `"auto"` picks the fastest available here; one asked for
   * by name is checked. Training and inference call it; call it to learn the choice early.
   * @throws {AutoencoderError} Of kind `"provider-unavailable"` (the message says how to get it).
   *
   * @example
   * ```ts
   * import { ConvAutoencoder } from "@autoencoders/onnx";
   * const model = new ConvAutoencoder({ provider: "auto" });
   * const chosen = await model.resolveProvider(); // chosen.summary: "webgpu on NVIDIA ..."
   * console.assert(model.backend.includes(chosen.provider)); // "onnxruntime-node 1.30.0 (cpu, ..."
   * ```
   */
  resolveProvider(): Promise<ChosenProvider> {
    return this.#core.provider.resolve();
  }

  /**
   * Trains the model to reconstruct `x` (a flat multiple of the sample size, or `{ images,
   * count }`) from the inputs `inputs` declares (corrupted ones for a denoiser).
   * @param options Epochs, batch size, optimizer, validation data, callbacks.
   * @returns Losses and wall time per epoch.
   * @throws {AutoencoderError} Of kind `"diverged"` (the model keeps the last finite step),
   * `"busy"`, `"bad-input"` or `"provider-unavailable"`; see {@link AutoencoderErrorKind}.
   */
  fit(x: Float32Array | ImageBatch, options: FitOptions = {}): Promise<History> {
    const program = (optimizer: Optimizer) => this.program(optimizer);
    return core.fitModel(this.#core, x, options, { program, checkpoint: () => this.checkpoint() });
  }

  /** The mean loss of the reconstructions of `x` (regularizers left out), as Keras reports it. */
  async evaluate(x: Float32Array | ImageBatch): Promise<number> {
    return (await this.evaluateTerms(x)).loss;
  }

  /**
   * The mean loss of `x` as {@link evaluate} gives it (`loss`), and for a loss of several
   * terms each term's mean by name (a variational autoencoder's `bce(sum)` and `kl(code)`).
   */
  evaluateTerms(x: Float32Array | ImageBatch): Promise<Record<string, number>> {
    return core.evaluateModel(this.#core, x, () => this.program());
  }

  /** A Keras-like table of the layers (name, type, output shape, parameters, totals). */
  summary(): string {
    return summaryTable(this.config.name, this.config);
  }

  /** Mean activation of the code over `x` (the blog compares sparse and plain). */
  async meanCodeActivation(x: Float32Array | ImageBatch): Promise<number> {
    const codes = await this.encode(x);
    return codes.reduce((sum, v) => sum + v, 0) / codes.length;
  }

  /** Encodes samples into codes, `count` rows of the code size. */
  encode(x: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("encoder", x, "encode");
  }

  /** Decodes codes (a multiple of the code size) into reconstructions, values in (0, 1). */
  decode(codes: Float32Array): Promise<Float32Array> {
    return this.#infer("decoder", codes, "decode");
  }

  /** Reconstructs samples (encode, then decode): the same size as `x`. */
  predict(x: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("autoencoder", x, "predict");
  }

  /** Reconstruction errors by {@link ScoreName} `score` (default `anomaly.score`: `"mse"`). */
  scores(x: Float32Array | ImageBatch, score?: ScoreName): Promise<Float64Array> {
    return anomalies.modelScores(this, x, score);
  }

  /**
   * Fits `anomaly.threshold` (saved with the model) to normal samples (e.g. the training set).
   * @param options `{ method: "percentile", value: 99 }`: the 99th percentile of their
   * scores; `{ method: "meanStd", value: 3 }`: mean plus 3 standard deviations.
   */
  fitThreshold(x: Float32Array | ImageBatch, options: ThresholdOptions): Promise<Threshold> {
    return anomalies.fitModelThreshold(this, x, options);
  }

  /**
   * Scores samples and flags those above the fitted threshold.
   * @throws {AutoencoderError} Of kind `"bad-input"` if no threshold was fitted.
   */
  detect(
    x: Float32Array | ImageBatch,
  ): Promise<{ scores: Float64Array; anomalous: boolean[]; threshold: number }> {
    return anomalies.detectAnomalies(this, x);
  }

  /**
   * How well the scores separate labelled anomalies: AUROC, AUPRC, precision and recall.
   * @param anomalous One label per sample: `true` (or 1) for an anomaly.
   */
  evaluateDetection(
    x: Float32Array | ImageBatch,
    anomalous: ArrayLike<boolean | number>,
  ): Promise<DetectionReport> {
    return anomalies.evaluateModelDetection(this, x, anomalous);
  }

  /** Cleans noisy images: the reconstruction of a corrupted input. */
  denoise(noisy: Float32Array | ImageBatch): Promise<Float32Array> {
    return this.#infer("autoencoder", noisy, "denoise");
  }

  /**
   * New samples, `x` (in [0, 1]) corrupted as this model's training inputs are (see `inputs`).
   * @param seed Draw from a generator with this seed, not the model's (which training uses).
   * @throws {AutoencoderError} If the model's inputs declare no corruption.
   */
  corrupt(x: Float32Array, seed?: number): Float32Array {
    return core.corruptModel(this.#core, x, seed);
  }

  /**
   * An inference model with the current weights inside, as ONNX bytes.
   * @param part `"autoencoder"` (default: input to `output` and `code`), `"encoder"` or `"decoder"`.
   */
  toOnnx(part: Part = "autoencoder"): Uint8Array {
    this.#core.guard.check("toOnnx", true);
    const anomaly = part === "autoencoder" ? this.anomaly : undefined;
    return files.modelBytes(this.config, this.params, part, anomaly);
  }

  /** Saves the model as an ONNX file at `path` (atomically: temporary file, then rename). */
  async save(path: string): Promise<void> {
    this.#core.guard.check("save", true);
    await this.#core.provider.ctx.runtime.writeFile(path, this.toOnnx());
  }

  /** Takes weights and anomaly settings from {@link toOnnx}'s bytes (`file`: their name). */
  loadOnnx(bytes: Uint8Array, file = "model"): void {
    this.#core.guard.check("loadOnnx");
    this.anomaly = files.loadWeights(this.config, this.params, bytes, file);
  }

  /** Loads weights and anomaly settings from an ONNX file saved by {@link save}. */
  load(path: string): Promise<void> {
    return this.#core.guard.run("load", async () => {
      const bytes = await this.#core.provider.ctx.runtime.readFile(path);
      this.anomaly = files.loadWeights(this.config, this.params, bytes, path);
    });
  }

  /**
   * The full training state as one ONNX file (see `src/checkpoint.ts`): the inference model,
   * optimizer state, step, epoch, learning rate, generator states and history; {@link restore}
   * continues training from it exactly.
   * @param run Facts of the run to keep (finite numbers and strings): {@link restore}'s `run`.
   */
  checkpoint(run?: RunInfo): Uint8Array {
    this.#core.guard.check("checkpoint", true);
    return files.writeCheckpoint(this.config, this.#core.state, run);
  }

  /**
   * Restores the full training state saved by {@link checkpoint} (format 1 is read
   * too). Nothing changes if the file is not a checkpoint of this architecture.
   * @returns What the checkpoint says of the run (optimizer, epochs); `file` names it in errors.
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
   * Runs a part on `x` (codes for the decoder) and reads some of its outputs (default
   * `output`), row-major, in order: for code layers that publish values, such as a
   * variational encoder's `mean` and `log_var`. `method` is the verb errors use.
   */
  protected inferOutputs(
    part: Part,
    x: Float32Array | ImageBatch,
    method: string,
    outputs?: readonly string[],
  ): Promise<Float32Array[]> {
    return core.inferModel(this.#core, part, x, method, outputs);
  }
}
