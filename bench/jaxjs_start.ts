/**
 * Starts jax-js with a wasm worker pool of a chosen size, for the Deno peer
 * (`bench/jaxjs_peer.ts`) and the browser bench's page; browser-safe.
 *
 * jax-js builds its wasm backend when its module is first evaluated, and the backend fixes
 * its pool's size then, from `navigator.hardwareConcurrency`. So a static import of jax-js
 * (or of `bench/jaxjs_models.ts`, which makes one) runs the machine's core count whatever
 * is set afterwards: this sets the count first and only then imports both.
 *
 * @module
 */

import type { PeerModel, PeerTrainer } from "./peer_models.ts";

/** jax-js, started. */
export interface JaxjsStarted {
  /** Builds a trainer (`jaxTrainer` of `bench/jaxjs_models.ts`). */
  trainer: (model: PeerModel, seed: number) => PeerTrainer;
  /** Workers of the wasm pool, as jax-js read their count; absent on other devices. */
  workers?: number;
}

/**
 * Sizes the wasm worker pool, loads jax-js and makes `device` its default.
 *
 * @param device `wasm`, `webgpu` or `cpu`.
 * @param threads Workers of the wasm pool.
 * @returns The trainer factory and the pool's size.
 */
export async function startJaxjs(
  device: "wasm" | "webgpu" | "cpu",
  threads: number,
): Promise<JaxjsStarted> {
  Object.defineProperty(navigator, "hardwareConcurrency", { value: threads, configurable: true });
  const { defaultDevice, init } = await import("@jax-js/jax");
  const { jaxTrainer } = await import("./jaxjs_models.ts");
  if (!(await init(device)).includes(device)) {
    throw new Error(`Cannot use jax-js device "${device}" here: init() did not start it`);
  }
  defaultDevice(device);
  return {
    trainer: (model, seed) => jaxTrainer(model, seed),
    ...(device === "wasm" ? { workers: navigator.hardwareConcurrency } : {}),
  };
}
