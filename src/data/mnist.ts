/**
 * Loads the MNIST handwritten digits from a local folder holding the four original
 * IDX files. A leaf module: it reads files through `node:fs`, so it runs unchanged
 * in Deno and Node 20.
 *
 * @module
 */

import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import process from "node:process";
import { AutoencoderError } from "../errors.ts";
import { decodeIdx, sha256Hex } from "./idx.ts";

/**
 * A set of images with their labels.
 *
 * @example
 * ```ts
 * import type { ImageSet } from "./mnist.ts";
 * // One 2x2 image labelled 3.
 * const set: ImageSet = {
 *   images: new Float32Array([0, 0.5, 1, 0]),
 *   labels: new Uint8Array([3]),
 *   count: 1,
 *   height: 2,
 *   width: 2,
 * };
 * console.assert(set.images.length === set.count * set.height * set.width);
 * ```
 */
export interface ImageSet {
  /** `count * height * width` pixel values scaled to [0, 1], row-major. */
  images: Float32Array;
  /** One digit (0 to 9) per image. */
  labels: Uint8Array;
  /** The number of images. */
  count: number;
  /** The height of each image in pixels (28). */
  height: number;
  /** The width of each image in pixels (28). */
  width: number;
}

/**
 * The MNIST training set (60000 images) and test set (10000 images).
 *
 * @example
 * ```ts
 * import type { ImageSet, MnistData } from "./mnist.ts";
 * const empty: ImageSet = {
 *   images: new Float32Array(0),
 *   labels: new Uint8Array(0),
 *   count: 0,
 *   height: 28,
 *   width: 28,
 * };
 * const data: MnistData = { train: empty, test: empty };
 * console.assert(data.train.count + data.test.count === 0);
 * ```
 */
export interface MnistData {
  /** The 60000 training images. */
  train: ImageSet;
  /** The 10000 test images. */
  test: ImageSet;
}

/**
 * Options of {@linkcode loadMnist}.
 *
 * @example
 * ```ts
 * import type { LoadMnistOptions } from "./mnist.ts";
 * const options: LoadMnistOptions = { dir: "data/mnist", verify: true };
 * console.assert(options.verify);
 * ```
 */
export interface LoadMnistOptions {
  /** The folder holding the four files; defaults to `$AUTOENCODERS_DATA_DIR`. */
  dir?: string;
  /** Check the SHA-256 of each `.gz` file against the published value (default `true`). */
  verify?: boolean;
}

/** The published SHA-256 of the four gzipped files. */
const SHA256: Record<string, string> = {
  "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
  "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
  "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
  "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
};

const NAMES = Object.keys(SHA256).map((file) => file.slice(0, -".gz".length));
const FILES = Object.keys(SHA256).join(", ");

/**
 * Loads MNIST from a folder holding `train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`,
 * each gzipped (`.gz`, preferred when both exist) or raw. The SHA-256 of each `.gz`
 * file is checked against the published value; a raw (uncompressed) file cannot be
 * checked against those values, so raw files are loaded without verification.
 *
 * @param options `dir`: the folder (default: the `AUTOENCODERS_DATA_DIR` environment
 * variable); `verify`: check the `.gz` checksums (default `true`).
 * @returns The training and test sets, pixels scaled to [0, 1].
 * @throws {AutoencoderError} If no folder is given, the folder or a file is missing
 * or unreadable, a checksum differs, or a file is not a valid MNIST file.
 *
 * @example
 * ```ts
 * import { loadMnist } from "./mnist.ts";
 * import { AutoencoderError } from "../errors.ts";
 * try {
 *   const { train, test } = await loadMnist({ dir: "data/mnist" });
 *   console.log(train.count, test.count, train.height, train.width); // 60000 10000 28 28
 * } catch (e) {
 *   // Without the data, the error says where it looked and what to do.
 *   if (!(e instanceof AutoencoderError)) throw e;
 * }
 * ```
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<MnistData> {
  const dir = options.dir ?? envDataDir();
  const todo =
    `pass \`dir\` or set AUTOENCODERS_DATA_DIR to a folder holding the four MNIST files (${FILES})`;
  if (!dir) {
    throw new AutoencoderError(
      "Cannot load MNIST: no data folder was given (neither the `dir` option nor the " +
        `AUTOENCODERS_DATA_DIR environment variable is set); ${todo}`,
    );
  }
  const info = await stat(dir).catch((cause) => {
    if (cause?.code === "ENOENT") return undefined;
    throw new AutoencoderError(
      `Cannot load MNIST: the folder "${dir}" cannot be read (${cause?.message}); ` +
        "check that it is readable",
      { cause },
    );
  });
  if (!info?.isDirectory()) {
    const problem = info ? "is not a folder" : "does not exist";
    throw new AutoencoderError(`Cannot load MNIST: "${dir}" ${problem}; ${todo}`);
  }
  const paths = await Promise.all(NAMES.map((name) => findFile(dir, name)));
  const missing = NAMES.filter((_, i) => !paths[i]).map((name) => `"${join(dir, name)}.gz"`);
  if (missing.length > 0) {
    throw new AutoencoderError(
      `Cannot load MNIST: missing ${missing.join(", ")} (or the same without ".gz"); ` +
        `download the missing files into "${dir}"`,
    );
  }
  const verify = options.verify ?? true;
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    paths.map((path) => readIdx(path!, verify)),
  );
  return { train: toSet(trainImages, trainLabels), test: toSet(testImages, testLabels) };
}

/** A decoded file and where it came from. */
type Loaded = { path: string; dims: number[]; data: Uint8Array };

/** The AUTOENCODERS_DATA_DIR environment variable, or `undefined` when it is unset. */
function envDataDir(): string | undefined {
  try {
    return process.env.AUTOENCODERS_DATA_DIR;
  } catch (cause) { // Deno without --allow-env
    throw new AutoencoderError(
      "Cannot load MNIST: no data folder was given and the AUTOENCODERS_DATA_DIR environment " +
        `variable cannot be read (${(cause as Error).message}); pass \`dir\` or allow reading it`,
      { cause },
    );
  }
}

/** The path of `<name>.gz` in `dir` if it exists, else of `<name>` if it exists. */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const path of [join(dir, `${name}.gz`), join(dir, name)]) {
    // Anything but "not found" counts as present: reading it will report the problem.
    if (await stat(path).then(() => true, (e) => e?.code !== "ENOENT")) return path;
  }
  return undefined;
}

/** Reads and decodes one file, first checking the SHA-256 of a known `.gz` file. */
async function readIdx(path: string, verify: boolean): Promise<Loaded> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new AutoencoderError(
      `Cannot read MNIST file "${path}": ${(cause as Error).message}; check that it is readable`,
      { cause },
    );
  }
  const want = SHA256[basename(path)];
  if (verify && want) {
    const found = await sha256Hex(bytes);
    if (found !== want) {
      throw new AutoencoderError(
        `Cannot load MNIST file "${path}": its SHA-256 does not match the published one ` +
          `(expected ${want}, found ${found}); download it again`,
      );
    }
  }
  return { path, ...await decodeIdx(bytes, path) };
}

/** Checks that an image file and a label file fit together, and scales the pixels. */
function toSet(images: Loaded, labels: Loaded): ImageSet {
  const [count, height, width] = images.dims;
  if (images.dims.length !== 3 || height !== 28 || width !== 28) {
    throw new AutoencoderError(
      `Cannot load MNIST file "${images.path}": expected images of shape [count, 28, 28], ` +
        `found [${images.dims.join(", ")}]; check that it is an MNIST image file`,
    );
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new AutoencoderError(
      `Cannot load MNIST file "${labels.path}": expected ${count} labels, one per image of ` +
        `"${images.path}", found shape [${labels.dims.join(", ")}]; download the files again`,
    );
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { images: pixels, labels: labels.data, count, height, width };
}
