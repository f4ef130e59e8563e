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
export { DeepAutoencoder, type DeepOptions } from "../models/deep.ts";
export { ConvAutoencoder, type ConvOptions } from "../models/conv.ts";
export {
  type AnomalySettings,
  applyScaling,
  auprc,
  auroc,
  type DetectionReport,
  evaluateScores,
  fitScaling,
  fitThreshold,
  reconstructionScores,
  type Scaling,
  SCORE_NAMES,
  type ScoreName,
  type Threshold,
  type ThresholdOptions,
} from "./anomaly.ts";
export { DenoisingAutoencoder, type DenoisingOptions } from "../models/denoising.ts";
export {
  type CodeDistribution,
  type Elbo,
  type VaeOptions,
  VariationalAutoencoder,
} from "../models/vae.ts";
export {
  activate,
  type Activation,
  Conv2D,
  Dense,
  type Initializer,
  type Layer,
  type LayerContext,
  MaxPool2D,
  type NoiseSpec,
  type Padding,
  type ParamSpec,
  UpSampling2D,
} from "./nn/layers.ts";
export { Flatten, Reshape } from "./nn/reshape_layers.ts";
export { GaussianSample } from "./nn/sampling.ts";
export type { Architecture, Part } from "./nn/architecture.ts";
export {
  activityL1,
  type BceOptions,
  binaryCrossEntropy,
  gaussianKl,
  type Loss,
  type LossInputs,
  type LossName,
  type LossTerm,
  meanSquaredErrorLoss,
  RECONSTRUCTION_LOSSES,
} from "./nn/losses.ts";
export type {
  BatchLogs,
  EpochControl,
  EpochLogs,
  History,
  LoopOptions,
  Samples,
} from "../training/fit.ts";
export type { Random } from "./nn/random.ts";
export {
  adadelta,
  type AdadeltaOptions,
  adam,
  type AdamOptions,
  chain,
  defineOptimizer,
  exponentialDecay,
  momentum,
  type Optimizer,
  OPTIMIZER_NAMES,
  type OptimizerName,
  OPTIMIZERS,
  rmsprop,
  type RmspropOptions,
  scaleByAdadelta,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  scaleBySchedule,
  type Schedule,
  sgd,
  type SgdOptions,
  type Slot,
  type StepInputs,
  type StepResult,
  type Transform,
  type Update,
  type UpdateInputs,
  updateNumber,
  updateTensor,
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
  describeData,
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
export {
  projectCodes,
  type Projection,
  PROJECTIONS,
  type ProjectOptions,
  UMAP_POINTS,
} from "./viz/projection.ts";
