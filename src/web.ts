/**
 * The browser entry point of `@autoencoders/onnx`: the same models, layers and
 * optimizers as the main entry, with the `onnxruntime-web` adapter registered as
 * the default runtime (providers `"wasm"` and `"webgpu"`), and MNIST fetched over
 * HTTP instead of read from files. Nothing here reads files or imports
 * `onnxruntime-node`; `deno task build:web` bundles it into `dist/web/autoencoders.js`
 * with the WebAssembly binary of ORT-web beside it.
 *
 * Models take `provider: "auto"`: WebGPU on a hardware adapter, else wasm (a software
 * adapter such as SwiftShader is passed over: it is slower than wasm). Training on the
 * page's main thread blocks it while a step runs; {@link WorkerTrainer} trains in a
 * Web Worker (`trainer-worker.js`, built beside `autoencoders.js`) instead. ORT-web
 * uses one WebAssembly thread per core only on a cross-origin isolated page
 * ({@link webThreads} says which headers its server must send, and what applies).
 *
 * @example
 * ```ts ignore
 * import { loadMnistFromUrl, UndercompleteAutoencoder } from "./autoencoders.js";
 *
 * const { train, test } = await loadMnistFromUrl("/data/mnist/", { trainLimit: 2000 });
 * const model = new UndercompleteAutoencoder({ provider: "auto" });
 * await model.fit(train, { epochs: 5, batchSize: 64, validationData: test });
 * const reconstructions = await model.predict(test.images.subarray(0, 10 * 784));
 * const onnx = model.toOnnx("decoder"); // bytes to offer as a download
 * ```
 *
 * @module
 */

import { setDefaultRuntime } from "./runtime/default.ts";
import { webRuntime } from "./runtime/web.ts";

// In Deno or Node, where "@autoencoders/onnx" may be imported too, its native adapter stays.
setDefaultRuntime(webRuntime, { replace: false });

export * from "./api.ts";
export { loadMnistFromUrl, type LoadMnistFromUrlOptions } from "./data/mnist_fetch.ts";
export { type LoadedImages, loadImages, type LoadImagesOptions } from "./data/images_web.ts";
export {
  configureWebRuntime,
  hasWebGpu,
  ORT_WASM_FILES,
  ortWebThreads,
  webRuntime,
  type WebRuntimeOptions,
  type WebThreads,
  webThreads,
} from "./runtime/web.ts";
export {
  TRAINER_WORKER_FILE,
  type WorkerEpoch,
  type WorkerRun,
  type WorkerStart,
  type WorkerTrainCallbacks,
  WorkerTrainer,
  type WorkerTrainerOptions,
  type WorkerTrainRequest,
  type WorkerTrainResult,
} from "./web_trainer.ts";
export type { BlogModelName } from "../models/registry.ts";
