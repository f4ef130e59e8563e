/**
 * One operation at a time on one model: what keeps two `fit` calls, or a `fit`
 * and a `restore`, from mixing their updates into one model's state.
 *
 * @module
 */

import { AutoencoderError } from "./errors.ts";

/**
 * The operation running on a model, if any. Operations that change the model
 * (`fit`, `load`, `restore`) run alone; a call made meanwhile throws a `"busy"`
 * {@link AutoencoderError} and changes nothing (it does not queue). Calls that only
 * read the model (`checkpoint`, `save`, `evaluate`, `predict`) may also run while
 * `fit` is between epochs, in its epoch callbacks, where its state is whole.
 *
 * @example
 * ```ts
 * import { OperationGuard } from "./guard.ts";
 * const guard = new OperationGuard(() => 'model "tiny"');
 * const first = guard.run("fit", () => new Promise((done) => setTimeout(done, 10)));
 * try {
 *   guard.check("restore");
 * } catch (e) {
 *   console.assert(String(e).includes('model "tiny" is busy with fit'));
 * }
 * await first;
 * guard.check("restore"); // idle again
 * ```
 */
export class OperationGuard {
  #running?: string;
  #between = false;
  /** Reads in flight (`evaluate`, `predict`, ...), which operations that change the model wait for. */
  #reading = new Map<string, number>();

  /**
   * Creates an idle guard.
   *
   * @param subject Names the model in errors, e.g. `model "conv"`.
   */
  constructor(readonly subject: () => string) {}

  /**
   * Throws if an operation is running (a reader passes while it is between epochs).
   *
   * @param method The method being called, e.g. `"restore"`.
   * @param reader Whether the method only reads the model.
   * @throws {AutoencoderError} Of kind `"busy"`, if the call must wait.
   */
  check(method: string, reader = false): void {
    const reading = reader ? undefined : this.#reading.keys().next().value;
    if ((this.#running === undefined || (reader && this.#between)) && reading === undefined) return;
    throw new AutoencoderError(
      `Cannot call ${method}: ${this.subject()} is busy with ${
        this.#running ?? reading
      }; await the running call first${reader ? `, or call ${method} from an epoch callback` : ""}`,
      { kind: "busy" },
    );
  }

  /**
   * Runs `task`, which only reads the model, once {@link check} passes for a reader;
   * operations that change the model throw until it is done.
   *
   * @param method The method, e.g. `"predict"`.
   * @param task The read.
   * @returns What `task` returns.
   */
  async read<T>(method: string, task: () => Promise<T>): Promise<T> {
    this.check(method, true);
    this.#reading.set(method, (this.#reading.get(method) ?? 0) + 1);
    try {
      return await task();
    } finally {
      const left = this.#reading.get(method)! - 1;
      if (left) this.#reading.set(method, left);
      else this.#reading.delete(method);
    }
  }

  /**
   * Runs `task` as the model's one operation, once {@link check} passes.
   *
   * @param method The method, e.g. `"fit"`.
   * @param task The operation.
   * @returns What `task` returns.
   */
  async run<T>(method: string, task: () => Promise<T>): Promise<T> {
    this.check(method);
    this.#running = method;
    try {
      return await task();
    } finally {
      this.#running = undefined;
      this.#between = false;
    }
  }

  /**
   * Runs an epoch callback of the running operation: readers may use the model meanwhile.
   *
   * @param task The callback.
   * @returns What `task` returns.
   */
  async between<T>(task: () => T | Promise<T>): Promise<T> {
    this.#between = true;
    try {
      return await task();
    } finally {
      this.#between = false;
    }
  }
}
