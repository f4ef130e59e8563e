/**
 * The browser-safe public API, shared by both entry points: `mod.ts` (Deno and
 * Node, with the onnxruntime-node runtime and file loaders) and `src/web.ts`
 * (browsers, with the onnxruntime-web runtime and URL loaders).
 *
 * @module
 */

export {
  Autoencoder,
  type AutoencoderConfig,
  type CheckpointInfo,
  type FitOptions,
  type ImageBatch,
  type ModelOptions,
  type RunInfo,
} from "./autoencoder.ts";
export { compileProgram, type ProgramOptions, type TrainingProgram } from "../training/program.ts";
export type { StateRole, StateTensor } from "../training/state.ts";
export {
  corruptAll,
  type Corruption,
  type CorruptionOptions,
  gaussianNoise,
  type Inputs,
  maskingNoise,
  type NoiseMode,
  saltAndPepper,
} from "../training/inputs.ts";
export { UndercompleteAutoencoder, type UndercompleteOptions } from "../models/undercomplete.ts";
export { SparseAutoencoder, type SparseOptions } from "../models/sparse.ts";
export { DeepAutoencoder } from "../models/deep.ts";
export { ConvAutoencoder } from "../models/conv.ts";
export { DenoisingAutoencoder, type DenoisingOptions } from "../models/denoising.ts";
export {
  activate,
  type Activation,
  Conv2D,
  Dense,
  type Initializer,
  type Layer,
  type LayerContext,
  MaxPool2D,
  type Padding,
  type ParamSpec,
  UpSampling2D,
} from "./nn/layers.ts";
export type { Architecture, Part } from "./nn/architecture.ts";
export {
  activityL1,
  binaryCrossEntropy,
  type Loss,
  type LossInputs,
  type LossName,
  type LossTerm,
  meanSquaredErrorLoss,
} from "./nn/losses.ts";
export type {
  BatchLogs,
  EpochControl,
  EpochLogs,
  History,
  LoopOptions,
  Samples,
} from "../training/fit.ts";
// The graph-building types that custom layers and optimizers are written against.
export type {
  Attrs,
  AttrValue,
  Dim,
  DType,
  Graph,
  Node,
  Region,
  Shape,
  Source,
  TensorType,
  Value,
} from "./ir/graph.ts";
export type { Builder } from "./ops/builder.ts";
export type { OpType } from "./ops/registry.ts";
export type { NodeView, Vjp } from "./ops/types.ts";
export type { Random } from "./nn/random.ts";
export {
  adadelta,
  type AdadeltaOptions,
  adam,
  type AdamOptions,
  type Optimizer,
  sgd,
  type SgdOptions,
  type UpdateInputs,
} from "../training/optimizers.ts";
export {
  type Callback,
  type CheckpointOptions,
  earlyStopping,
  type EarlyStoppingOptions,
  historyLogger,
  type HistoryLoggerOptions,
  modelCheckpoint,
  type Monitor,
  reduceLrOnPlateau,
  type ReduceLrOptions,
  type TrainingModel,
} from "../training/callbacks.ts";
export {
  AutoencoderError,
  type AutoencoderErrorKind,
  type AutoencoderErrorOptions,
} from "./errors.ts";
export { decodeIdx, type DecodeIdxOptions, type IdxArray } from "./data/idx.ts";
export {
  type DatasetFile,
  type DatasetName,
  DATASETS,
  type DatasetSpec,
  type ImageSet,
  type MnistData,
} from "./data/datasets.ts";
export type {
  Provider,
  ProviderChoice,
  ProviderInfo,
  Runtime,
  RuntimeTensor,
  Session,
  SessionOptions,
} from "./runtime/types.ts";
export { chooseProvider, type ChosenProvider } from "./runtime/providers.ts";
