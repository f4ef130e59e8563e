/**
 * The train command's options: parsed, and every flag and path checked before any
 * data is loaded or any training starts, so that a bad command line costs nothing
 * and changes nothing.
 *
 * @module
 */

import { readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { AutoencoderError } from "../errors.ts";
import type { RunInfo } from "../autoencoder.ts";
import { type BlogModel, blogModel } from "../../models/registry.ts";
import { type Optimizer, optimizerByName } from "../../training/optimizers.ts";
import { type LossName, RECONSTRUCTION_LOSSES } from "../nn/losses.ts";
import { type ProviderChoice, PROVIDERS } from "../runtime/types.ts";
import { type Projection, PROJECTIONS } from "../viz/projection.ts";
import { parseCommandLine } from "./command.ts";
import { OWN_DATA_FLAGS, type OwnDataOptions, ownDataOptions } from "./own_data.ts";

/** Providers the command accepts. */
export const PROVIDER_CHOICES: readonly ProviderChoice[] = ["auto", ...PROVIDERS];

/** Data sets the command trains on (`mnist-subset`: the one embedded in the library). */
export const DATASETS = ["mnist", "fashion-mnist", "mnist-subset"] as const;

/** Every file the command writes into `--out`: a folder holding one of them holds a run. */
export const RUN_FILES = [
  "checkpoint.onnx",
  "model.onnx",
  "encoder.onnx",
  "decoder.onnx",
  "train_step.onnx",
  "history.json",
  "reconstructions.png",
  "codes.png",
  "denoised.png",
  "latent.png",
  "manifold.png",
  "samples.png",
  "architecture.svg",
  "report.html",
] as const;

/** A file the command writes. */
export type RunFile = typeof RUN_FILES[number];

/** The command's options, checked. */
export interface TrainOptions {
  /** The arguments as given (for the `--resume` command an interruption prints). */
  args: readonly string[];
  model: string;
  spec: BlogModel;
  optimizer: Optimizer;
  /** `--latent-dim`: the code size of the variational autoencoder. */
  latentDim?: number;
  /** `--conv`: the convolutional variational autoencoder. */
  conv: boolean;
  /** `--projection`: how the latent figure brings codes to a plane. */
  projection: Projection;
  /** `--loss`: the reconstruction loss. */
  loss: LossName;
  epochs: number;
  batchSize: number;
  learningRate?: number;
  /** `--limit`, when given. */
  limit?: number;
  dataset: typeof DATASETS[number];
  data?: string;
  orSubset: boolean;
  seed: number;
  noiseFactor: number;
  noise: "fresh" | "fixed";
  provider: ProviderChoice;
  threads?: number;
  passive: boolean;
  resume: boolean;
  overwrite: boolean;
  out?: string;
  logdir?: string;
  json: boolean;
  quiet: boolean;
  /** `--images DIR` or `--csv FILE`: the user's own data instead of a data set. */
  own?: OwnDataOptions;
}

/** The command's flags, as `parseArgs` takes them. */
const FLAGS = {
  model: { type: "string", default: "undercomplete" },
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  optimizer: { type: "string" },
  "latent-dim": { type: "string" },
  conv: { type: "boolean", default: false },
  projection: { type: "string", default: "pca" },
  loss: { type: "string", default: "bce" },
  "learning-rate": { type: "string" },
  limit: { type: "string" },
  data: { type: "string" },
  dataset: { type: "string", default: "mnist" },
  "or-subset": { type: "boolean", default: false },
  seed: { type: "string" },
  "noise-factor": { type: "string", default: "0.5" },
  noise: { type: "string", default: "fresh" },
  provider: { type: "string", default: "cpu" },
  threads: { type: "string" },
  passive: { type: "boolean", default: false },
  resume: { type: "boolean", default: false },
  overwrite: { type: "boolean", default: false },
  logdir: { type: "string" },
  out: { type: "string" },
  json: { type: "boolean", default: false },
  quiet: { type: "boolean", default: false },
  ...OWN_DATA_FLAGS,
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * Parses and checks the command line, paths included; nothing is written.
 *
 * @param args Command-line arguments.
 * @returns The options, or `undefined` when help was asked for.
 * @throws {AutoencoderError} Naming the flag, the value and what to pass instead.
 */
export async function trainOptions(args: string[]): Promise<TrainOptions | undefined> {
  const { values } = parseCommandLine({ args, options: FLAGS });
  if (values.help) return undefined;
  const spec = blogModel(values.model, "train");
  const cores = navigator.hardwareConcurrency || 1;
  const options: TrainOptions = {
    args,
    model: values.model,
    spec,
    optimizer: optimizerByName(values.optimizer ?? spec.optimizer ?? "adam"),
    latentDim: intOption(values["latent-dim"], "latent-dim", 1),
    conv: values.conv,
    projection: choice(values.projection, "projection", PROJECTIONS),
    loss: choice(values.loss, "loss", Object.keys(RECONSTRUCTION_LOSSES) as LossName[]),
    epochs: intOption(values.epochs, "epochs", 1) ?? spec.epochs,
    batchSize: intOption(values["batch-size"], "batch-size", 1) ?? spec.batchSize,
    learningRate: numberOption(values["learning-rate"], "learning-rate", "> 0", (x) => x > 0),
    limit: intOption(values.limit, "limit", 1),
    dataset: choice(values.dataset, "dataset", DATASETS),
    data: values.data,
    orSubset: values["or-subset"],
    seed: intOption(values.seed, "seed", -Infinity) ?? 0,
    noiseFactor: numberOption(values["noise-factor"], "noise-factor", ">= 0", (x) => x >= 0)!,
    noise: choice(values.noise, "noise", ["fresh", "fixed"] as const),
    provider: choice(values.provider, "provider", PROVIDER_CHOICES),
    threads: intOption(values.threads, "threads", 1, cores * 4, `4 per core, ${cores} here`),
    passive: values.passive,
    resume: values.resume,
    overwrite: values.overwrite,
    out: values.out,
    logdir: values.logdir,
    json: values.json,
    quiet: values.quiet,
    own: ownDataOptions(values),
  };
  if (options.conv && options.model !== "vae") {
    throw new AutoencoderError(
      `Cannot use --conv with --model ${options.model}: it chooses the convolutional variational autoencoder; for the blog's conv autoencoder pass --model conv, or add --model vae`,
    );
  }
  if (options.dataset === "mnist-subset" && options.data !== undefined) {
    throw new AutoencoderError(
      "Cannot use --data with --dataset mnist-subset: the subset is embedded in the library; leave out --data",
    );
  }
  await checkPaths(options);
  return options;
}

/** The flags a checkpoint records of a run, by their key in {@linkcode runInfo}. */
const RUN_FLAGS = {
  dataset: "dataset",
  limit: "limit",
  batchSize: "batch-size",
  loss: "loss",
  seed: "seed",
  noise: "noise",
  noiseFactor: "noise-factor",
  latentDim: "latent-dim",
  conv: "conv",
  images: "images",
  csv: "csv",
  size: "size",
  channels: "channels",
  scale: "scale",
  labelColumn: "label-column",
} as const;

/**
 * What a checkpoint of the command records of the run, to check `--resume` against.
 *
 * @param options The options.
 * @param data For own data: which samples it trains on (see `ownDataId`).
 * @returns The record.
 */
export function runInfo(options: TrainOptions, data?: string): RunInfo {
  const own = options.own;
  return {
    ...(data === undefined ? {} : { data }),
    images: own?.images ?? "none",
    csv: own?.csv ?? "none",
    ...(own && {
      size: own.size?.join("x") ?? "none",
      channels: own.channels ?? "none",
      scale: own.scale ?? "none",
      labelColumn: own.labelColumn ?? "none",
    }),
    dataset: options.dataset,
    limit: options.limit ?? "none",
    batchSize: options.batchSize,
    loss: options.loss,
    seed: options.seed,
    noise: options.noise,
    noiseFactor: options.noiseFactor,
    latentDim: options.latentDim ?? "none",
    conv: options.conv ? "yes" : "none",
  };
}

/**
 * Checks a resumed run against what its checkpoint recorded: a different data set,
 * limit, batch size, loss, seed or noise would make it inexact, an error unless
 * `--overwrite`; so would own data whose files changed since. Keys a checkpoint of
 * an older version lacks are not checked.
 *
 * @param options The options.
 * @param saved What the checkpoint recorded (nothing, for checkpoints of older versions).
 * @param checkpoint The checkpoint's path, for the message.
 * @param data For own data: which samples the run now reads (see `ownDataId`).
 */
export function checkResume(
  options: TrainOptions,
  saved: RunInfo | undefined,
  checkpoint: string,
  data?: string,
): void {
  if (!saved || options.overwrite) return;
  const now = runInfo(options, data);
  if (Object.hasOwn(saved, "data") && saved.data !== now.data) {
    throw new AutoencoderError(
      `Cannot resume "${checkpoint}": the run was trained on other data (${saved.data}) than it reads now (${now.data}), and would no longer be exact; restore the files it was trained on, or pass --overwrite to continue anyway`,
    );
  }
  for (const [key, name] of Object.entries(RUN_FLAGS) as [keyof typeof RUN_FLAGS, string][]) {
    if (!Object.hasOwn(saved, key) || saved[key] === now[key]) continue;
    const flag = (value: unknown) =>
      value === "none" ? `no --${name}` : value === "yes" ? `--${name}` : `--${name} ${value}`;
    const pass = saved[key] === "none" ? `leave out --${name}` : `pass ${flag(saved[key])}`;
    throw new AutoencoderError(
      `Cannot resume "${checkpoint}" with ${flag(now[key])}: the run was trained with ${
        flag(saved[key])
      } and would no longer be exact; ${pass}, or --overwrite to continue anyway`,
    );
  }
}

/** The files of an earlier run in `--out` (none when the folder is new). */
export async function earlierRun(out: string): Promise<RunFile[]> {
  const names = new Set(await readdir(out).catch(() => []));
  return RUN_FILES.filter((name) => names.has(name));
}

/**
 * Removes an earlier run's files from `--out` but those in `keep` (files that are not
 * a run's are left alone).
 */
export async function removeEarlierRun(out: string, keep: readonly RunFile[] = []): Promise<void> {
  for (const name of await earlierRun(out)) {
    if (!keep.includes(name)) await rm(join(out, name), { force: true });
  }
}

/** Checks `--out` and `--logdir`, and `--out` against `--resume` and `--overwrite`. */
async function checkPaths(options: TrainOptions): Promise<void> {
  const { out, logdir } = options;
  if (logdir !== undefined) await checkFolder("logdir", logdir);
  if (out === undefined) {
    if (options.resume) {
      throw new AutoencoderError(
        "Cannot resume: pass --out DIR, the directory of the run to continue",
      );
    }
    return;
  }
  await checkFolder("out", out);
  const found = await earlierRun(out);
  if (options.resume) {
    if (!found.includes("checkpoint.onnx")) {
      throw new AutoencoderError(
        `Cannot resume: there is no checkpoint "${
          join(out, "checkpoint.onnx")
        }"; start the run without --resume`,
      );
    }
  } else if (found.length > 0 && !options.overwrite) {
    throw new AutoencoderError(
      `Cannot train into --out "${out}": it holds an earlier run (${
        found.join(", ")
      }); pass --resume to continue it, or --overwrite to replace it`,
    );
  }
}

/**
 * Checks that a folder flag names a folder the process can write: an existing
 * folder, or a new one under a writable folder. Writes and removes a probe file.
 */
async function checkFolder(flag: string, path: string): Promise<void> {
  const fail = (problem: string, todo: string) => {
    throw new AutoencoderError(`Cannot use --${flag} "${path}": ${problem}; ${todo}`);
  };
  if (path.trim() === "") fail("the path is empty", "pass the path of a folder");
  let existing = resolve(path);
  for (;;) {
    const info = await stat(existing).catch((e) =>
      e?.code === "ENOENT" || e?.code === "ENOTDIR" ? undefined : e
    );
    if (info instanceof Error) fail(`it cannot be inspected (${code(info)})`, "choose another");
    if (info && !info.isDirectory()) {
      fail(
        existing === resolve(path) ? "it is a file, not a folder" : `"${existing}" is a file`,
        "pass a folder, or move the file away",
      );
    }
    if (info || dirname(existing) === existing) break;
    existing = dirname(existing);
  }
  const probe = join(existing, `.autoencoders-probe-${process.pid}-${Date.now()}`);
  try {
    await writeFile(probe, new Uint8Array());
  } catch (e) {
    fail(
      `the folder "${existing}" cannot be written (${code(e)})`,
      "choose another folder, or allow the process to write there",
    );
  }
  await rm(probe, { force: true });
}

/** A short name of an error: its code (`EACCES`) or its class (`NotCapable`). */
function code(e: unknown): string {
  return (e as { code?: string }).code ?? (e as Error).name;
}

/** An integer flag in [min, max], or `undefined` when not given. */
function intOption(
  value: string | undefined,
  name: string,
  min: number,
  max = Infinity,
  why?: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max || value.trim() === "") {
    const expected = max < Infinity
      ? `an integer from ${min} to ${max} (${why})`
      : min === 1
      ? "a positive integer"
      : "an integer";
    throw new AutoencoderError(`Cannot parse --${name}: expected ${expected}, got "${value}"`);
  }
  return n;
}

/** A finite number flag, or `undefined` when not given. */
function numberOption(
  value: string | undefined,
  name: string,
  range: string,
  ok: (x: number) => boolean,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !ok(n)) {
    throw new AutoencoderError(
      `Cannot parse --${name}: expected a number ${range}, got "${value}"`,
    );
  }
  return n;
}

/** One of a list of names (own entries only: `toString` is no choice). */
function choice<const T extends string>(value: string, name: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new AutoencoderError(
      `Cannot use --${name} "${value}": it is not known; choose one of ${choices.join(", ")}`,
    );
  }
  return value as T;
}
