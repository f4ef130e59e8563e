/**
 * The checks a checkpoint's training state (its `autoencoders.checkpoint` metadata)
 * passes before `./checkpoint.ts` restores anything from it.
 *
 * @module
 */

import type { CheckpointInfo } from "./checkpoint.ts";
import type { History } from "../training/fit.ts";

/** What is wrong with a checkpoint's training state, or `undefined` if nothing is. */
export function checkpointProblem(info: CheckpointInfo): string | undefined {
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (typeof info !== "object") return `expected an object, got ${JSON.stringify(info)}`;
  if (info.format !== 2) return `format ${JSON.stringify(info.format)} is not 1 or 2`;
  if (typeof info.model !== "string") return "the model name is missing";
  if (info.optimizer !== undefined && typeof info.optimizer !== "string") {
    return `optimizer ${JSON.stringify(info.optimizer)} is not a name`;
  }
  const rate = info.learningRate;
  if (rate !== undefined && !(typeof rate === "number" && rate >= 0 && Number.isFinite(rate))) {
    return `learning rate ${JSON.stringify(rate)} is not a number >= 0`;
  }
  if (!count(info.step)) return `step ${JSON.stringify(info.step)} is not a count`;
  if (!count(info.epoch)) return `epoch ${JSON.stringify(info.epoch)} is not a count`;
  return generatorsProblem(info.generators) ?? historyProblem(info.history) ??
    runProblem(info.run);
}

function generatorsProblem(generators: unknown): string | undefined {
  if (typeof generators !== "object" || generators === null) return "the generators are missing";
  for (const [name, v] of Object.entries(generators)) {
    const ok = Array.isArray(v) && v.length === 4 &&
      v.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32);
    if (!ok) return `the ${name} generator's state is not 4 integers`;
  }
  return undefined;
}

function historyProblem(history: unknown): string | undefined {
  const h = history as Partial<Record<keyof History, unknown>> | null;
  if (typeof h !== "object" || h === null) return "the history is missing";
  for (const key of ["loss", "penalty", "valLoss", "epochSeconds"] as const) {
    const v = h[key];
    if (!(Array.isArray(v) && v.every((x) => Number.isFinite(x)))) {
      return `history.${key} is not a list of finite numbers`;
    }
  }
  return undefined;
}

function runProblem(run: unknown): string | undefined {
  if (run === undefined) return undefined;
  if (typeof run !== "object" || run === null || Array.isArray(run)) {
    return "the run's facts are not an object";
  }
  for (const [key, value] of Object.entries(run)) {
    if (typeof value !== "string" && !Number.isFinite(value)) {
      return `run fact "${key}" is ${
        JSON.stringify(value) ?? String(value)
      }, not a string or a finite number`;
    }
  }
  return undefined;
}
