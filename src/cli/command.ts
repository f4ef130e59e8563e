/**
 * What the command-line tools share: argument parsing whose errors speak the
 * library's voice, and the entry point that prints an `AutoencoderError` as one
 * `error:` line with exit status 2 instead of a stack trace.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import process from "node:process";
import { AutoencoderError, printable } from "../errors.ts";

/**
 * `parseArgs`, its errors (unknown options, missing values) as `AutoencoderError`s.
 *
 * @param config As for `parseArgs`.
 * @returns The parsed values and positionals.
 */
export function parseCommandLine<const T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>(config);
  } catch (cause) {
    throw new AutoencoderError(
      `Cannot parse the command line: ${
        (cause as Error).message.trim().replace(/\s*\n\s*/g, " ").replace(/\.$/, "")
      }; see --help`,
      { cause },
    );
  }
}

/**
 * Runs a command's `main` on the process arguments; an `AutoencoderError` ends the
 * process with `error: <message>` on stderr and status 2, or, for an interruption
 * (Ctrl-C), the message alone and status 130; anything else propagates.
 *
 * @param main The command.
 */
export async function runCommand(main: (args: string[]) => Promise<void>): Promise<void> {
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof AutoencoderError)) throw e;
    // One line, no terminal escapes.
    const interrupted = e.kind === "interrupted";
    console.error(interrupted ? printable(e.message) : `error: ${printable(e.message)}`);
    process.exit(interrupted ? 130 : 2);
  }
}

/**
 * The command line of a script that runs without `runCommand` (an example, a
 * benchmark): `-h` or `--help` prints `usage` and exits with status 0; an unknown
 * option or a missing value prints one `error:` line pointing to `--help` and exits
 * with status 2.
 *
 * @param usage What `--help` prints: what the script does, its options.
 * @param config As for `parseArgs` (`--help` is added).
 * @returns The parsed values and positionals.
 */
export function parseScriptArgs<const T extends ParseArgsConfig>(
  usage: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const help = { help: { type: "boolean", short: "h" } } as const;
  let parsed;
  try {
    parsed = parseCommandLine({ ...config, options: { ...config.options, ...help } });
  } catch (e) {
    refuseOption((e as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage.trim());
    process.exit(0);
  }
  return parsed as ReturnType<typeof parseArgs<T>>;
}

/**
 * Ends a script over a bad option value, as {@link parseScriptArgs} does over an
 * unknown option: one `error:` line pointing to `--help`, status 2.
 *
 * @param message What is wrong and what to pass instead.
 */
export function refuseOption(message: string): never {
  const line = printable(message);
  console.error(`error: ${line}${/see --help$/.test(line) ? "" : "; see --help"}`);
  process.exit(2);
}
