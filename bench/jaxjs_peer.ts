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
 * workers sharing the module's memory; `--threads` sets their count, `bench/jaxjs_start.ts`) and `cpu` (interpreted JavaScript, for debugging). Deno offers no WebGPU adapter
 * here; the browser bench (`deno task bench:browser`) runs jax-js on WebGPU.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { parseArgs } from "node:util";
import { startJaxjs } from "./jaxjs_start.ts";
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
const jax = await startJaxjs(device, run.threads);

await runPeer(run, () => jax.trainer(run.model, run.seed), {
  peer: "jaxjs",
  jaxjs: denoJson.imports["@jax-js/jax"].split("@").at(-1),
  backend: device,
  ...(jax.workers ? { wasm_threads: jax.workers } : {}),
});
// The wasm worker pool keeps the event loop alive.
Deno.exit(0);
