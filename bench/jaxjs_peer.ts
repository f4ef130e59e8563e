/**
 * jax-js peer: trains the five Keras-blog autoencoders with `@jax-js/jax`
 * (`bench/jaxjs_models.ts`) on MNIST the way `bench/tfjs_peer.ts` does with TF.js (same
 * layers, Glorot init, BCE from logits, Adam, batch sizes, a fixed data subset, a warm-up
 * epoch), and prints one JSON line. `deno task bench --peers --peer jaxjs` runs it.
 *
 * ```sh
 * deno run --allow-read --allow-env --allow-sys bench/jaxjs_peer.ts --model deep --epochs 3 --limit 2560 --json
 * ```
 *
 * Devices: `wasm` (default: kernels jax-js generates as WebAssembly, run on a pool of
 * `navigator.hardwareConcurrency` workers sharing the module's memory; `--threads` sets that
 * count) and `cpu` (interpreted JavaScript, for debugging). Deno offers no WebGPU adapter
 * here; the browser bench (`deno task bench:browser`) runs jax-js on WebGPU.
 *
 * @module
 */

import { defaultDevice, init } from "@jax-js/jax";
import denoJson from "../deno.json" with { type: "json" };
import { parseArgs } from "node:util";
import { jaxTrainer } from "./jaxjs_models.ts";
import { PEER_OPTIONS, peerRun, runPeer } from "./peer_script.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { ...PEER_OPTIONS, device: { type: "string", default: "wasm" } },
});
const run = peerRun(values, "jax-js");
const device = values.device as "wasm" | "cpu";
if (device !== "wasm" && device !== "cpu") {
  throw new Error(`Cannot use jax-js device "${device}" in Deno: wasm or cpu`);
}
// jax-js sizes its wasm worker pool by navigator.hardwareConcurrency when it first runs a kernel.
Object.defineProperty(navigator, "hardwareConcurrency", { value: run.threads, configurable: true });

if (!(await init(device)).includes(device)) {
  throw new Error(`Cannot use jax-js device "${device}": init() did not start it`);
}
defaultDevice(device);

await runPeer(run, () => jaxTrainer(run.model, run.seed), {
  peer: "jaxjs",
  jaxjs: denoJson.imports["@jax-js/jax"].split("@").at(-1),
  backend: device,
  ...(device === "wasm" ? { wasm_threads: run.threads } : {}),
});
// The wasm worker pool keeps the event loop alive.
Deno.exit(0);
