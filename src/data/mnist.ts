/**
 * Loads MNIST and Fashion-MNIST in Deno and Node: from a folder you name, the
 * `AUTOENCODERS_DATA_DIR` folder, the cache, the folder an operating-system
 * package installs, or else by downloading from the canonical mirrors (content
 * verified by SHA-256, written to the cache atomically). A leaf module: it reads
 * files through `node:fs`, so it runs unchanged in Deno and Node 20.
 *
 * @module
 */

import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { concatBytes } from "../bytes.ts";
import { AutoencoderError } from "../errors.ts";
import { writeFileAtomic } from "../runtime/files.ts";
import {
  type DatasetFile,
  DATASETS,
  type DatasetSpec,
  decodeDatasetFile,
  type MnistData,
  subsetOf,
  toImageSet,
} from "./datasets.ts";

export type { ImageSet, MnistData } from "./datasets.ts";

/** Progress of a download. */
export interface DownloadProgress {
  /** The URL being fetched. */
  url: string;
  /** Bytes received so far. */
  received: number;
  /** Bytes announced by the server, when it says. */
  total?: number;
}

/**
 * Options of {@linkcode loadMnist} and {@linkcode loadFashionMnist}.
 *
 * @example
 * ```ts
 * import type { LoadMnistOptions } from "./mnist.ts";
 * const options: LoadMnistOptions = { dir: "data/mnist", download: false };
 * console.assert(options.download === false);
 * ```
 */
export interface LoadMnistOptions {
  /** Folder holding the four files; when given, it is the only place looked at. */
  dir?: string;
  /** Check each file's content SHA-256 (default `true`). */
  verify?: boolean;
  /** Cache folder (default `~/.cache/autoencoders/<name>` or the platform's equivalent). */
  cacheDir?: string;
  /** Download what is not found locally (default `true`). */
  download?: boolean;
  /** Mirrors to download from instead of the canonical ones. */
  mirrors?: readonly string[];
  /** Called as download bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * MNIST only: when the data set is found nowhere and cannot be downloaded, load the
   * embedded subset ({@linkcode loadMnistSubset}) instead (default `false`; never when `dir` is given).
   */
  orSubset?: boolean;
}

/**
 * Loads MNIST (60000 training and 10000 test digits, 28×28, pixels scaled to
 * [0, 1]). It looks, in order, in `dir` (only there, when given),
 * `$AUTOENCODERS_DATA_DIR/mnist` or `$AUTOENCODERS_DATA_DIR`, the cache folder,
 * then downloads from the mirrors PyTorch and TensorFlow use into the cache, and
 * with `orSubset` falls back to the embedded subset. The files may be gzipped
 * (`.gz`) or raw; their content's SHA-256 is checked. A folder holding the embedded
 * subset's files is read as the subset (`dataset` says which was found).
 *
 * @param options Where to look, whether to download.
 * @returns The training and test sets, the folder they came from and which data set it is.
 * @throws {AutoencoderError} Listing where it looked and why each failed, and how to get the data.
 *
 * @example
 * ```ts ignore
 * import { loadMnist } from "@autoencoders/onnx";
 * const { train, test, source } = await loadMnist();
 * console.log(train.count, test.count, source); // 60000 10000 /home/me/.cache/autoencoders/mnist
 * ```
 */
export function loadMnist(options: LoadMnistOptions = {}): Promise<MnistData> {
  return loadDataset(DATASETS.mnist, options);
}

/**
 * Loads Fashion-MNIST (Zalando's 28×28 clothing images, same layout as MNIST),
 * looking where {@linkcode loadMnist} does and also where Debian's
 * `dataset-fashion-mnist` package installs it (`/usr/share/datasets/fashion-mnist`).
 *
 * @param options Where to look, whether to download.
 * @returns The training and test sets and the folder they came from.
 *
 * @example
 * ```ts ignore
 * import { loadFashionMnist } from "@autoencoders/onnx";
 * const { train } = await loadFashionMnist();
 * ```
 */
export function loadFashionMnist(options: LoadMnistOptions = {}): Promise<MnistData> {
  return loadDataset(DATASETS["fashion-mnist"], options);
}

/**
 * Loads the small MNIST subset embedded in the library (the first 3000 training
 * and 1000 test digits), for demos on machines with neither the data nor a network.
 *
 * @returns The subset.
 *
 * @example
 * ```ts
 * import { loadMnistSubset } from "./mnist.ts";
 * const { train, test } = await loadMnistSubset();
 * console.assert(train.count === 3000 && test.count === 1000);
 * ```
 */
export async function loadMnistSubset(): Promise<MnistData> {
  const base = new URL("./mnist_subset/", import.meta.url);
  const spec = DATASETS["mnist-subset"];
  const bytes = await Promise.all(spec.files.map(async ({ name }) => {
    const url = new URL(`${name}.gz`, base);
    if (url.protocol === "file:") return new Uint8Array(await readFile(fileURLToPath(url)));
    const response = await fetch(url);
    if (!response.ok) throw new AutoencoderError(`Cannot load "${url}": HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }));
  const source = base.protocol === "file:" ? fileURLToPath(base).slice(0, -1) : base.href; // no trailing separator
  return await decodeAll(
    spec,
    bytes,
    source,
    true,
    spec.files.map((f) => new URL(`${f.name}.gz`, base).href),
  );
}

/** Loads a data set from the first place that has it. */
async function loadDataset(spec: DatasetSpec, options: LoadMnistOptions): Promise<MnistData> {
  const verify = options.verify ?? true;
  if (options.dir !== undefined) return await readFolder(spec, options.dir, verify, true);
  const tried: string[] = [];
  const look = async (dir: string) => {
    if (!(await isFolder(dir))) {
      tried.push(`"${dir}" (no such folder)`);
      return undefined;
    }
    const paths = await Promise.all(spec.files.map((f) => findFile(dir, f.name)));
    if (paths.every(Boolean)) return await readFolder(spec, dir, verify, false);
    tried.push(
      `"${dir}" (missing ${spec.files.filter((_, i) => !paths[i]).map((f) => f.name).join(", ")})`,
    );
    return undefined;
  };
  const env = envDataDir(spec);
  for (const dir of env ? [join(env, spec.name), env] : []) {
    const found = await look(dir);
    if (found) return found;
  }
  // Found only when needed: it takes more permissions (HOME, XDG_CACHE_HOME) than the above.
  const cache = options.cacheDir ?? cacheFolder(spec);
  for (const dir of [cache, ...spec.systemDirs]) {
    const found = await look(dir);
    if (found) return found;
  }
  if (options.download ?? true) {
    try {
      return await download(spec, cache, options);
    } catch (e) {
      if (!(e instanceof AutoencoderError)) throw e;
      tried.push(`the mirrors (${e.message})`);
    }
  }
  if (options.orSubset && spec.subset) return await loadMnistSubset();
  throw new AutoencoderError(
    `Cannot load ${spec.title}: it is not in ${tried.join(", ")}; put the four files ` +
      `(${spec.files.map((f) => `${f.name}.gz`).join(", ")}) in a folder and pass \`dir\` ` +
      "or set AUTOENCODERS_DATA_DIR, or let the loader download them",
    { kind: "data-unavailable" },
  );
}

/** Reads the four files of a folder. */
async function readFolder(spec: DatasetSpec, dir: string, verify: boolean, explicit: boolean) {
  const todo =
    `pass \`dir\` or set AUTOENCODERS_DATA_DIR to a folder holding the four ${spec.title} files`;
  const info = await stat(dir).catch((cause) => {
    if (cause?.code === "ENOENT") return undefined;
    throw new AutoencoderError(
      `Cannot load ${spec.title}: the folder "${dir}" cannot be read (${cause?.message}); allow the process to read it`,
      { cause },
    );
  });
  if (!info?.isDirectory()) {
    throw new AutoencoderError(
      `Cannot load ${spec.title}: "${dir}" ${info ? "is not a folder" : "does not exist"}; ${todo}`,
    );
  }
  const paths = await Promise.all(spec.files.map((f) => findFile(dir, f.name)));
  const missing = spec.files.filter((_, i) => !paths[i]).map((f) => `"${join(dir, f.name)}.gz"`);
  if (missing.length > 0) {
    throw new AutoencoderError(
      `Cannot load ${spec.title}: missing ${missing.join(", ")} (or the same without ".gz"); ` +
        `${explicit ? `download the missing files into "${dir}"` : todo}`,
    );
  }
  const bytes = await Promise.all(paths.map(async (path) => {
    try {
      return new Uint8Array(await readFile(path!));
    } catch (cause) {
      const folder = (cause as { code?: string }).code === "EISDIR";
      throw new AutoencoderError(
        `Cannot read "${path}": ${
          folder
            ? "it is a folder, not a file; remove or rename it"
            : `${(cause as Error).message}; allow the process to read it`
        }`,
        { cause },
      );
    }
  }));
  return await decodeAll(spec, bytes, dir, verify, paths as string[]);
}

/** Decodes and verifies the four files and pairs them into sets. */
async function decodeAll(
  spec: DatasetSpec,
  bytes: Uint8Array[],
  source: string,
  verify: boolean,
  paths: string[],
): Promise<MnistData> {
  const subset = subsetOf(spec);
  const files = await Promise.all(
    bytes.map(async (b, i) => ({
      path: paths[i],
      ...await decodeDatasetFile(b, spec.files[i], paths[i], verify, subset?.files[i]),
    })),
  );
  const fromSubset = files.filter((f) => f.subset);
  if (fromSubset.length > 0 && fromSubset.length < files.length) {
    throw new AutoencoderError(
      `Cannot load ${spec.title} from "${source}": ${
        fromSubset.map((f) => `"${f.path}"`).join(", ")
      } ${
        fromSubset.length > 1 ? "are" : "is"
      } the embedded subset's, the others the full set's; put the four files of one of them in the folder`,
    );
  }
  const [trainImages, trainLabels, testImages, testLabels] = files;
  return {
    train: toImageSet(trainImages, trainLabels),
    test: toImageSet(testImages, testLabels),
    source,
    dataset: fromSubset.length ? subset!.name : spec.name,
  };
}

/**
 * Downloads each file from the first mirror that serves it whole and with the right
 * content, and writes it to the cache atomically (temporary file, then rename).
 */
async function download(spec: DatasetSpec, cache: string, options: LoadMnistOptions) {
  const mirrors = options.mirrors ?? spec.mirrors;
  const bytes: Uint8Array[] = [];
  for (const file of spec.files) {
    const failures: string[] = [];
    let got: Uint8Array | undefined;
    for (const mirror of mirrors) {
      const url = new URL(`${file.name}.gz`, mirror.endsWith("/") ? mirror : `${mirror}/`).href;
      try {
        got = await fetchVerified(url, file, options.onProgress);
        break;
      } catch (e) {
        if (!(e instanceof AutoencoderError)) throw e;
        failures.push(e.message);
      }
    }
    if (!got) {
      throw new AutoencoderError(
        `no mirror served ${file.name}.gz: ${failures.join("; ") || "no mirrors"}`,
      );
    }
    // Temporary file, flushed, renamed: a killed download never leaves a torn cache file.
    await writeFileAtomic(join(cache, `${file.name}.gz`), got);
    bytes.push(got);
  }
  return await decodeAll(
    spec,
    bytes,
    cache,
    false,
    spec.files.map((f) => join(cache, `${f.name}.gz`)),
  );
}

/** Fetches one file, checking the status, the announced length and the content hash. */
async function fetchVerified(
  url: string,
  file: DatasetFile,
  onProgress?: (progress: DownloadProgress) => void,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new AutoencoderError(`${url}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new AutoencoderError(`${url}: HTTP ${response.status}`);
  }
  const announced = Number(response.headers.get("content-length") ?? NaN);
  const total = Number.isFinite(announced) ? announced : undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for await (const chunk of response.body) {
      chunks.push(chunk);
      received += chunk.length;
      onProgress?.({ url, received, total });
    }
  } catch (cause) {
    throw new AutoencoderError(`${url}: the download broke off (${(cause as Error).message})`, {
      cause,
    });
  }
  if (total !== undefined && received !== total) {
    throw new AutoencoderError(`${url}: received ${received} of ${total} bytes`);
  }
  const bytes = concatBytes(chunks);
  try {
    await decodeDatasetFile(bytes, file, url);
  } catch (e) {
    if (!(e instanceof AutoencoderError)) throw e;
    throw new AutoencoderError(`${url}: ${e.message}`, { cause: e });
  }
  return bytes;
}

/** `$AUTOENCODERS_DATA_DIR`, or `undefined` when unset or unreadable (Deno without --allow-env). */
function envDataDir(spec: DatasetSpec): string | undefined {
  try {
    return process.env.AUTOENCODERS_DATA_DIR || undefined;
  } catch (cause) {
    throw new AutoencoderError(
      `Cannot load ${spec.title}: the AUTOENCODERS_DATA_DIR environment variable cannot be read ` +
        `(${(cause as Error).message}); pass \`dir\` or allow reading it`,
      { cause },
    );
  }
}

/** The platform's cache folder for a data set. */
function cacheFolder(spec: DatasetSpec): string {
  try {
    const env = process.env;
    const base = env.XDG_CACHE_HOME ||
      (process.platform === "win32"
        ? env.LOCALAPPDATA || join(homedir(), "AppData", "Local")
        : process.platform === "darwin"
        ? join(homedir(), "Library", "Caches")
        : join(homedir(), ".cache"));
    return join(base, "autoencoders", spec.name);
  } catch (cause) {
    // Deno without the permissions to read XDG_CACHE_HOME or the home folder.
    throw new AutoencoderError(
      `Cannot load ${spec.title}: the cache folder cannot be found (${
        (cause as Error).message
      }); ` +
        "pass `dir` or `cacheDir`, or allow reading it (--allow-env=XDG_CACHE_HOME,HOME --allow-sys=homedir)",
      { cause },
    );
  }
}

async function isFolder(path: string): Promise<boolean> {
  return await stat(path).then((s) => s.isDirectory(), () => false);
}

/** The path of `<name>.gz` in `dir` if it exists, else of `<name>` if it exists. */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const path of [join(dir, `${name}.gz`), join(dir, name)]) {
    // Anything but "not found" counts as present: reading it will report the problem.
    if (await stat(path).then(() => true, (e) => e?.code !== "ENOENT")) return path;
  }
  return undefined;
}
