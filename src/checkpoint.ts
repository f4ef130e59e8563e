/**
 * Saved models and checkpoints. A saved model is an inference graph with the
 * weights inside; a checkpoint is the same file plus the rest of the training
 * state: the optimizer slots as extra initializers (`optimizer.<slot>.<param>`) and,
 * in the metadata `autoencoders.checkpoint`, the step, epoch, learning rate,
 * generator states and history.
 *
 * @module
 */

import { ANOMALY_KEY, type AnomalySettings, parseAnomalySettings } from "./anomaly.ts";
import { AutoencoderError, printable, quote } from "./errors.ts";
import { checkpointProblem } from "./checkpoint_checks.ts";
import { buildInference, codeShape, paramSpecs } from "./nn/architecture.ts";
import { type DecodedModel, decodeModel, encodeModel } from "./onnx/model.ts";
import type { AutoencoderConfig } from "./options.ts";
import type { History, TrainState } from "../training/fit.ts";
import { CORRUPTION, parseStateName, SHUFFLE } from "../training/state.ts";

/** Metadata key under which a saved model records its name. */
export const MODEL_KEY = "autoencoders.model";
/** Metadata key of a checkpoint's training state (JSON). */
const CHECKPOINT_KEY = "autoencoders.checkpoint";
/** Name prefix of a checkpoint's optimizer-state initializers. */
const OPTIMIZER_PREFIX = "optimizer.";

/** The training state a checkpoint records besides the tensors. */
export interface CheckpointInfo {
  /** Format version (2; version 1, with `rng` and `noiseRng`, is read too). */
  format: 2;
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
  /** Generator states by state name (`shuffle`, and `corruption` for corrupted inputs). */
  generators: Record<string, number[]>;
  /** Every epoch so far. */
  history: History;
  /**
   * What the caller recorded of the run with `Autoencoder.checkpoint`
   * (the train command: data set, limit, batch size), to check a resumed run against.
   */
  run?: RunInfo;
}

/** Facts of a run kept in a checkpoint, by name (e.g. `{ dataset: "mnist", batchSize: 256 }`). */
export type RunInfo = Readonly<Record<string, string | number>>;

/**
 * The model name a saved model or checkpoint records.
 *
 * @param bytes The file's bytes.
 * @param file Names the source in errors.
 * @returns The name, or `undefined` if the file records none.
 */
export function savedModelName(bytes: Uint8Array, file: string): string | undefined {
  return decodeModel(bytes, file).metadata[MODEL_KEY];
}

/**
 * An inference model with the given weights inside, as ONNX bytes.
 *
 * @param config The model's definition.
 * @param params Its weights.
 * @param part The part to write.
 * @param anomaly Anomaly settings to keep in the metadata.
 * @returns The bytes.
 */
export function modelBytes(
  config: AutoencoderConfig,
  params: ReadonlyMap<string, Float32Array>,
  part: "encoder" | "decoder" | "autoencoder" = "autoencoder",
  anomaly?: AnomalySettings,
): Uint8Array {
  const metadata = { [MODEL_KEY]: config.name, [SHAPE_KEY]: JSON.stringify(shapeOf(config)) };
  return encodeModel(buildInference(config, part, params).graph, {
    name: `${config.name}.${part}`,
    metadata: anomaly ? { ...metadata, [ANOMALY_KEY]: JSON.stringify(anomaly) } : metadata,
  });
}

/** Metadata key of a saved model's {@link SavedShape} (JSON). */
const SHAPE_KEY = "autoencoders.shape";

/**
 * What a model of the registry needs, besides its name, to be built again from a
 * saved file: the input shape and the last layer's activation.
 */
export interface SavedShape {
  /** Shape of one input sample, e.g. `[3, 32, 32]`. */
  inputShape: number[];
  /** The decoder's last activation. */
  output: string;
  /** Values per code. */
  codeSize: number;
}

function shapeOf(config: AutoencoderConfig): SavedShape {
  const output = config.decoder.at(-1)?.activation ?? "linear";
  return {
    inputShape: config.inputShape,
    output,
    codeSize: codeShape(config).reduce((a, d) => a * d),
  };
}

/**
 * The name, shape and anomaly settings a saved model records.
 *
 * @param bytes The file's bytes.
 * @param file Names the source in errors.
 * @returns The name (`undefined` if none), the shape (if recorded) and the settings.
 */
export function savedModelInfo(
  bytes: Uint8Array,
  file: string,
): { name?: string; shape?: SavedShape; anomaly: AnomalySettings } {
  const { metadata } = decodeModel(bytes, file);
  let shape: SavedShape | undefined;
  try {
    shape = metadata[SHAPE_KEY] === undefined ? undefined : JSON.parse(metadata[SHAPE_KEY]);
  } catch (cause) {
    throw new AutoencoderError(`Cannot read ${quote(file)}: its shape record is not JSON`, {
      kind: "io",
      cause,
    });
  }
  const anomaly = parseAnomalySettings(metadata[ANOMALY_KEY], file);
  return { name: metadata[MODEL_KEY], shape, anomaly };
}

/**
 * A model's training state as checkpoint bytes.
 *
 * @param config The model's definition.
 * @param state Its training state.
 * @param run Facts of the run to keep with it.
 * @returns The bytes.
 * @throws {AutoencoderError} If a number of the state or of `run` is not finite.
 */
export function writeCheckpoint(
  config: AutoencoderConfig,
  state: TrainState,
  run?: RunInfo,
): Uint8Array {
  const specs = paramSpecs(config);
  const params = new Set(specs.map((s) => s.name));
  const shapes = new Map(specs.map((s) => [s.name, s.shape]));
  const extra = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const [name, data] of state.optimizerState) {
    const dims = shapes.get(parseStateName(name, params)!.param)!;
    extra.set(`${OPTIMIZER_PREFIX}${name}`, { dims, data });
  }
  const info: CheckpointInfo = {
    format: 2,
    model: config.name,
    optimizer: state.optimizer,
    learningRate: state.learningRate,
    step: state.step,
    epoch: state.epoch,
    generators: Object.fromEntries([...state.generators].map(([k, g]) => [k, g.state])),
    history: state.history,
    ...(run ? { run } : {}),
  };
  const problem = checkpointProblem(info);
  if (problem) {
    throw new AutoencoderError(`Cannot write a checkpoint: ${problem}; pass finite numbers`, {
      kind: "bad-input",
    });
  }
  return encodeModel(buildInference(config, "autoencoder", state.params).graph, {
    name: `${config.name}.checkpoint`,
    metadata: { [MODEL_KEY]: config.name, [CHECKPOINT_KEY]: JSON.stringify(info) },
    extraInitializers: extra,
  });
}

/**
 * Reads a checkpoint into a model's training state. Everything is checked before
 * anything changes.
 *
 * @param config The model's definition.
 * @param state Its training state, replaced by the checkpoint's.
 * @param bytes The checkpoint's bytes.
 * @param file Names the source in errors.
 * @returns What the checkpoint says of the run.
 */
export function readCheckpoint(
  config: AutoencoderConfig,
  state: TrainState,
  bytes: Uint8Array,
  file: string,
): CheckpointInfo {
  const model = decodeModel(bytes, file);
  const info = trainingInfo(model, file);
  const weights = weightsFrom(config, model, file);
  const optimizerState = slotsFrom(config, model, file);
  for (const [name, data] of weights) state.params.set(name, data);
  state.optimizerState = optimizerState;
  Object.assign(state, {
    optimizer: info.optimizer,
    learningRate: info.learningRate,
    step: info.step,
    epoch: info.epoch,
    history: info.history,
  });
  for (const [name, g] of state.generators) {
    const saved = info.generators[name];
    if (saved) g.state = saved;
  }
  return info;
}

/** The checked training state of a checkpoint; version 1 is read as version 2. */
function trainingInfo(model: DecodedModel, file: string): CheckpointInfo {
  let info: CheckpointInfo & { rng?: number[]; noiseRng?: number[] };
  const cannot = `Cannot restore ${quote(file)}`;
  try {
    info = JSON.parse(model.metadata[CHECKPOINT_KEY] ?? "null");
  } catch (cause) {
    throw new AutoencoderError(
      `${cannot}: its training state is corrupt (not JSON); restore an earlier checkpoint`,
      { cause, kind: "io" },
    );
  }
  if (info === null) {
    throw new AutoencoderError(
      `${cannot}: it holds weights but no training state; restore a checkpoint written by checkpoint() or the train command`,
      { kind: "io" },
    );
  }
  if (typeof info === "object" && (info.format as number) === 1) {
    const { rng, noiseRng, ...rest } = info;
    info = { ...rest, format: 2, generators: { [SHUFFLE]: rng!, [CORRUPTION]: noiseRng! } };
  }
  const problem = checkpointProblem(info);
  if (problem) {
    throw new AutoencoderError(
      `${cannot}: its training state is corrupt (${problem}); restore an earlier checkpoint`,
      { kind: "io" },
    );
  }
  return info;
}

/** A checkpoint's optimizer slots, each checked against the weight it belongs to. */
function slotsFrom(
  config: AutoencoderConfig,
  model: DecodedModel,
  file: string,
): Map<string, Float32Array> {
  const shapes = new Map(paramSpecs(config).map((s) => [s.name, s.shape.join()]));
  const params = new Set(shapes.keys());
  const slots = new Map<string, Float32Array>();
  for (const [name, { dims, data }] of model.initializers) {
    if (!name.startsWith(OPTIMIZER_PREFIX)) continue;
    const key = name.slice(OPTIMIZER_PREFIX.length);
    const param = parseStateName(key, params)?.param;
    const problem = param === undefined
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
        { kind: "io" },
      );
    }
    slots.set(key, data);
  }
  return slots;
}

/**
 * This architecture's weights from ONNX bytes, all checked before any is used.
 *
 * @param config The model's definition.
 * @param bytes The file's bytes.
 * @param file Names the source in errors.
 * @returns The weights by name.
 */
export function readWeights(
  config: AutoencoderConfig,
  bytes: Uint8Array,
  file: string,
): Map<string, Float32Array> {
  return weightsFrom(config, decodeModel(bytes, file), file);
}

/**
 * Replaces a model's weights with those of ONNX bytes ({@link readWeights}: all are
 * checked before any is set).
 *
 * @param config The model's definition.
 * @param params The weights to replace, by name.
 * @param bytes The file's bytes.
 * @param file Names the source in errors.
 * @returns The anomaly settings the file records (the defaults if none).
 */
export function loadWeights(
  config: AutoencoderConfig,
  params: Map<string, Float32Array>,
  bytes: Uint8Array,
  file: string,
): AnomalySettings {
  const model = decodeModel(bytes, file);
  const weights = weightsFrom(config, model, file);
  const anomaly = parseAnomalySettings(model.metadata[ANOMALY_KEY], file);
  for (const [name, data] of weights) params.set(name, data);
  return anomaly;
}

function weightsFrom(
  config: AutoencoderConfig,
  model: DecodedModel,
  file: string,
): Map<string, Float32Array> {
  const saved = model.metadata[MODEL_KEY];
  if (saved !== undefined && saved !== config.name) {
    const a = /^[aeiou]/i.test(saved) ? "an" : "a";
    throw new AutoencoderError(
      `Cannot load ${quote(file)}: it holds ${a} ${quote(saved)} model, not ${
        quote(config.name)
      }; load it into ${a} ${printable(saved)} model`,
      { kind: "bad-input" },
    );
  }
  const weights = new Map<string, Float32Array>();
  for (const spec of paramSpecs(config)) {
    const found = model.initializers.get(spec.name);
    if (!found || found.dims.join() !== spec.shape.join()) {
      throw new AutoencoderError(
        `Cannot load ${quote(file)}: weight "${spec.name}" of shape [${spec.shape}] is ${
          found ? `[${found.dims}] in the file` : "missing"
        }; the file was saved from another architecture`,
        { kind: "bad-input" },
      );
    }
    const bad = found.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new AutoencoderError(
        `Cannot load ${quote(file)}: weight "${spec.name}" holds ${
          found.data[bad]
        } at index ${bad}; the file is corrupt or was saved from a diverged run`,
        { kind: "io" },
      );
    }
    weights.set(spec.name, found.data);
  }
  return weights;
}
