/**
 * The bounds of a thread count: ONNX Runtime starts every intra-op thread it is
 * asked for, so 100000 threads exhaust memory instead of failing. Browser-safe.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";

/** Threads per core allowed (more only wait for a core). */
const PER_CORE = 4;
/** The cores assumed where the runtime does not say (Node 20 has no `navigator`). */
const UNKNOWN_CORES = 64;

/**
 * The most threads a session may ask for here: 4 per core.
 *
 * @returns `navigator.hardwareConcurrency × 4` (256 where the core count is unknown).
 *
 * @example
 * ```ts
 * import { maxThreads } from "./threads.ts";
 * console.assert(maxThreads() >= 4);
 * ```
 */
export function maxThreads(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 0;
  return (Number.isInteger(cores) && cores > 0 ? cores : UNKNOWN_CORES) * PER_CORE;
}

/**
 * Checks a thread count option (absent means the runtime's choice).
 *
 * @param threads The count asked for, or `undefined`.
 * @param what What is being done, for the message, e.g. `"open ONNX Runtime session"`.
 * @throws {AutoencoderError} If it is not an integer from 1 to {@link maxThreads}.
 *
 * @example
 * ```ts
 * import { checkThreads } from "./threads.ts";
 * checkThreads(2, "open ONNX Runtime session");
 * try {
 *   checkThreads(100000, "open ONNX Runtime session");
 * } catch (e) {
 *   console.assert(String(e).includes("got 100000"));
 * }
 * ```
 */
export function checkThreads(threads: number | undefined, what: string): void {
  if (threads === undefined) return;
  const max = maxThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > max) {
    throw new AutoencoderError(
      `Cannot ${what}: threads must be an integer from 1 to ${max} (${PER_CORE} per core here), got ${threads}; pass fewer, or none for the runtime's choice`,
      { kind: "bad-input" },
    );
  }
}
