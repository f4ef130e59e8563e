/**
 * The library's one error type. Messages follow Deno's style: sentence case, no
 * trailing period, what went wrong and what to do, then a colon and the detail.
 *
 * @module
 */

/**
 * An error raised by the library itself (bad input, bad file, bad shape, a runtime
 * failure wrapped with its `cause`). Anything else escaping the library is a bug.
 *
 * @example
 * ```ts
 * import { AutoencoderError } from "./errors.ts";
 * try {
 *   throw new AutoencoderError('Cannot read "x.idx": the file is truncated');
 * } catch (e) {
 *   console.assert(e instanceof AutoencoderError);
 * }
 * ```
 */
export class AutoencoderError extends Error {
  /**
   * Creates the error.
   *
   * @param message What went wrong and what to do.
   * @param options `cause`: the underlying error, when there is one.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AutoencoderError";
  }
}
