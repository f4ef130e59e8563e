/**
 * The library's one error type, and the quoting of strings in messages. Messages
 * follow Deno's style: sentence case, no trailing period, what went wrong and what
 * to do, then a colon and the detail.
 *
 * @module
 */

/**
 * What kind of failure an {@linkcode AutoencoderError} is, where a caller may act
 * on it: `"bad-input"`, data, options, shapes or a layer stack the library cannot
 * use (wrong shapes, NaN in the data, an option out of range); `"busy"`, the model
 * was running another operation and nothing changed (await that one, then call
 * again); `"diverged"`, training stopped because a loss or a weight stopped being
 * finite (the model keeps the weights of the last step whose loss and weights were
 * finite); `"interrupted"`, the user stopped the command (Ctrl-C);
 * `"data-unavailable"`, a data set is nowhere on disk and cannot be downloaded (a
 * caller may fall back to other data); `"provider-unavailable"`, the execution
 * provider asked for is not available here (a caller may fall back to `"cpu"`);
 * `"io"`, a file could not be read or written, or is corrupt.
 */
export type AutoencoderErrorKind =
  | "bad-input"
  | "busy"
  | "diverged"
  | "interrupted"
  | "data-unavailable"
  | "provider-unavailable"
  | "io";

/** Options of the {@link AutoencoderError} constructor. */
export interface AutoencoderErrorOptions extends ErrorOptions {
  /** The kind of failure, for code that handles it. */
  kind?: AutoencoderErrorKind;
}

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
  constructor(message: string, options?: AutoencoderErrorOptions) {
    super(message, options);
    this.name = "AutoencoderError";
    if (options?.kind) this.kind = options.kind;
  }
}

/** Longest part of a string that {@link quote} shows. */
const QUOTED_LENGTH = 200;

/**
 * A string made safe to print: control characters (terminal escape sequences),
 * invisible formatting characters (bidirectional overrides), line separators and
 * lone surrogates are written as `\u` escapes.
 *
 * @param text Any string, e.g. a name read from a file.
 * @returns The text with those characters escaped.
 *
 * @example
 * ```ts
 * import { printable } from "./errors.ts";
 * console.assert(printable("conv\x1b[2J") === "conv\\u001b[2J");
 * ```
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * A string as messages show it: in double quotes, {@link printable}, its own quotes
 * escaped, and cut after 200 characters.
 *
 * @param text Any string, e.g. a model name or a path.
 * @returns The quoted text.
 *
 * @example
 * ```ts
 * import { quote } from "./errors.ts";
 * console.assert(quote('a"b\x07') === '"a\\"b\\u0007"');
 * ```
 */
export function quote(text: string): string {
  const cut = text.length > QUOTED_LENGTH ? `${text.slice(0, QUOTED_LENGTH)}…` : text;
  return `"${printable(cut).replaceAll('"', '\\"')}"`;
}
