/**
 * TensorFlow.js peer: trains the five Keras-blog autoencoders with `@tensorflow/tfjs`
 * on MNIST, the same way `bench/torch_peer.py` does in PyTorch (same layers, Glorot
 * init, BCE from logits, Adam, batch sizes, a fixed data subset, a warm-up epoch),
 * and prints one JSON line. The models and the step are in `bench/tfjs_models.ts`, shared
 * with the browser bench. TensorFlow.js is a development tool of the benchmarks (deno.json
 * maps it for them), never a dependency of the library.
 *
 * ```sh
 * deno run -A bench/tfjs_peer.ts --model conv --backend wasm --epochs 3 --limit 640 --json
 * ```
 *
 * Backends: `wasm` (`@tensorflow/tfjs-backend-wasm`, XNNPACK kernels, its `.wasm`
 * files ship in the npm package) and `cpu` (plain JavaScript). `@tensorflow/tfjs-node`
 * downloads its native library at install time from outside the npm registry and
 * cannot be installed here. The wasm backend has no `Conv2DBackpropFilter` kernel, so
 * it cannot train a convolution as shipped; this peer registers one
 * (`bench/tfjs_models.ts`; `--no-shim` leaves it out, and conv training then fails as it
 * would for a user).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { parseArgs } from "node:util";
import { PEER_OPTIONS, peerRun, runPeer } from "./peer_script.ts";
import { registerConv2DBackpropFilter, startTfjsWasm, tfjsTrainer } from "./tfjs_models.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    ...PEER_OPTIONS,
    backend: { type: "string", default: "wasm" },
    "no-shim": { type: "boolean", default: false },
  },
});
const run = peerRun(values, "TF.js");

// Under Deno TF.js runs its single-threaded SIMD binary whatever `threads` says
// (startTfjsWasm; bench/README.md): the row says what ran.
const started = values.backend === "wasm" ? await startTfjsWasm(run.threads) : undefined;
if (!started && !(await tf.setBackend(values.backend))) {
  throw new Error(`Cannot use TensorFlow.js backend "${values.backend}"`);
}
if (started && !values["no-shim"]) registerConv2DBackpropFilter();

await runPeer(run, () => tfjsTrainer(run.model, run.seed), {
  peer: "tfjs",
  tfjs: tf.version.tfjs,
  backend: tf.getBackend(),
  ...(started ? { wasm: wasm.version_wasm, ...started, shim: !values["no-shim"] } : {}),
});
