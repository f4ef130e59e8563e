/**
 * The runtime the models use when none is passed: registered by the entry point
 * (`mod.ts` registers the `onnxruntime-node` adapter), so the core never imports
 * a runtime itself.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import type { Runtime } from "./types.ts";

let current: Runtime | undefined;

/**
 * Sets the runtime used by models created without one.
 *
 * @param runtime The adapter.
 * @param options `replace: false` keeps a runtime already registered (the browser
 *   entry point's, so that importing both entry points in Deno or Node gives the
 *   native adapter whatever the import order).
 */
export function setDefaultRuntime(runtime: Runtime, options: { replace?: boolean } = {}): void {
  if (options.replace === false && current) return;
  current = runtime;
}

/**
 * The registered default runtime.
 *
 * @returns The adapter.
 */
export function defaultRuntime(): Runtime {
  if (!current) {
    throw new AutoencoderError(
      'Cannot run a model: no ONNX Runtime adapter is registered; import the library from "@autoencoders/onnx" (Deno, Node) or pass `runtime` to the model',
    );
  }
  return current;
}
