/**
 * The library's one error type. Messages follow Deno's style: sentence case, no
 * trailing period, what went wrong and what to do, then a colon and the detail.
 *
 * @module
 */

/**
 * What kind of failure an {@linkcode AutoencoderError} is, where a caller may act
 * on it: `"diverged"`, training stopped because a loss or a weight stopped being
 * finite (the model keeps the weights of the last step whose loss and weights
 * were finite); `"interrupted"`, the user stopped the command (Ctrl-C).
 */
export type AutoencoderErrorKind = "diverged" | "interrupted";

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
 *   console.assert(e instanceof AutoencoderError && e.kind === undefined);
 * }
 * ```
 */
export class AutoencoderError extends Error {
  /** The kind of failure, for the few a caller may act on; `undefined` otherwise. */
  readonly kind?: AutoencoderErrorKind;

  /**
   * Creates the error.
   *
   * @param message What went wrong and what to do.
   * @param options `cause`: the underlying error, when there is one; `kind`: see
   * {@linkcode AutoencoderErrorKind}.
   */
  constructor(message: string, options?: ErrorOptions & { kind?: AutoencoderErrorKind }) {
    super(message, options);
    this.name = "AutoencoderError";
    if (options?.kind) this.kind = options.kind;
  }
}
