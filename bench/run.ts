/**
 * Starting the benchmark's processes (workers, peers) and reading their results,
 * shared by `bench/bench.ts` and its modes.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The repository root, where every process of the benchmark runs. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/** Deno arguments that run `bench/worker.ts`. */
export const DENO_WORKER: readonly string[] = [
  "run",
  "--allow-read",
  "--allow-env",
  "--allow-ffi=./node_modules",
  "--allow-sys",
  "bench/worker.ts",
];

/** Progress lines go to stderr, so that stdout holds only tables or JSON. */
export const say = (line: string): void => console.error(line);

/** The 1-minute load average, from /proc/loadavg or Deno. */
export function load1(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return Deno.loadavg()[0];
  }
}

/**
 * Runs a command in the repository root with this environment changed by `env` (an
 * `undefined` value unsets the variable); returns the JSON object on its last stdout line.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @param env Variables to set or (`undefined`) unset.
 * @param progress Let its stderr through (progress of a long run) instead of keeping it
 * for the error message.
 * @returns The parsed last line.
 */
export async function runJson(
  cmd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  progress = false,
): Promise<Record<string, unknown>> {
  const merged = { ...Deno.env.toObject(), ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const result = await new Deno.Command(cmd, {
    args,
    env: merged as Record<string, string>,
    clearEnv: true,
    cwd: ROOT,
    stderr: progress ? "inherit" : "piped",
  }).output();
  const { code, stdout } = result;
  const out = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !out.startsWith("{")) {
    const err = progress
      ? ""
      : new TextDecoder().decode(result.stderr).trim().split("\n").slice(-15).join("\n");
    throw new Error(`Cannot run ${cmd} ${args.join(" ")}: exit ${code}\n${err}`);
  }
  return JSON.parse(out);
}
