/**
 * Autoencoders of the Keras blog ("Building Autoencoders in Keras") trained as
 * plain ONNX graphs on ONNX Runtime: the training step (forward pass, loss,
 * backward pass, optimizer update) is emitted as standard ONNX operators and run
 * by an ordinary inference session.
 *
 * This entry point is for Deno and Node: it registers the `onnxruntime-node`
 * adapter as the default runtime.
 *
 * @example
 * ```ts ignore
 * import { loadMnist, UndercompleteAutoencoder } from "@autoencoders/onnx";
 *
 * const { train, test } = await loadMnist({ dir: "data/mnist" });
 * const model = new UndercompleteAutoencoder({ seed: 0 });
 * const history = await model.fit(train, { epochs: 50, validationData: test });
 * console.log(history.valLoss.at(-1)); // about 0.092
 * await model.save("undercomplete.onnx");
 * ```
 *
 * @module
 */

import { setDefaultRuntime } from "./src/runtime/default.ts";
import { nodeRuntime } from "./src/runtime/node.ts";

setDefaultRuntime(nodeRuntime);

export {
  Autoencoder,
  type AutoencoderConfig,
  type CheckpointInfo,
  type FitOptions,
  type ImageBatch,
  type ModelOptions,
} from "./src/autoencoder.ts";
export { UndercompleteAutoencoder, type UndercompleteOptions } from "./models/undercomplete.ts";
export { SparseAutoencoder, type SparseOptions } from "./models/sparse.ts";
export { DeepAutoencoder } from "./models/deep.ts";
export { ConvAutoencoder } from "./models/conv.ts";
export { DenoisingAutoencoder, type DenoisingOptions } from "./models/denoising.ts";
export {
  type Activation,
  Dense,
  type Layer,
  type LayerContext,
  type ParamSpec,
} from "./src/nn/layers.ts";
export type { Architecture, Part } from "./src/nn/architecture.ts";
export type { BatchLogs, EpochControl, EpochLogs, History } from "./training/fit.ts";
export { adadelta, adam, type Optimizer, sgd } from "./training/optimizers.ts";
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
} from "./training/callbacks.ts";
export { AutoencoderError } from "./src/errors.ts";
export {
  type DownloadProgress,
  type ImageSet,
  loadFashionMnist,
  loadMnist,
  type LoadMnistOptions,
  loadMnistSubset,
  type MnistData,
} from "./src/data/mnist.ts";
export { type DatasetName, DATASETS, type DatasetSpec } from "./src/data/datasets.ts";
export { nodeRuntime } from "./src/runtime/node.ts";
export type {
  Provider,
  Runtime,
  RuntimeTensor,
  Session,
  SessionOptions,
} from "./src/runtime/types.ts";
