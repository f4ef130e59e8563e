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
 * ```ts
 * import { loadMnistSubset, UndercompleteAutoencoder } from "@autoencoders/onnx";
 *
 * // 3000 + 1000 digits that ship with the library; loadMnist() finds or downloads all of MNIST.
 * const { train, test } = await loadMnistSubset();
 * const model = new UndercompleteAutoencoder({ seed: 0 });
 * const history = await model.fit(train, { epochs: 3, validationData: test });
 * console.log(history.valLoss.at(-1)); // 50 epochs on all of MNIST: about 0.092
 * const onnx = model.toOnnx(); // or model.save("undercomplete.onnx")
 * console.assert(onnx.length > 0);
 * ```
 *
 * @module
 */

import { setDefaultRuntime } from "./src/runtime/default.ts";
import { nodeRuntime } from "./src/runtime/node.ts";

setDefaultRuntime(nodeRuntime);

export * from "./src/api.ts";
export {
  type DownloadProgress,
  loadFashionMnist,
  loadMnist,
  type LoadMnistOptions,
  loadMnistSubset,
} from "./src/data/mnist.ts";
export { nodeRuntime } from "./src/runtime/node.ts";
export {
  type ImageFolder,
  type ImageFolderOptions,
  loadCsv,
  loadImageFolder,
} from "./src/data/own_data.ts";
export { type CsvOptions, parseCsv, type Table } from "./src/data/table.ts";
