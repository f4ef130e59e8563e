/**
 * Loads the MNIST handwritten digits over HTTP: the four gzipped IDX files fetched
 * from one base URL. Browser-safe (`fetch`, `DecompressionStream`, `crypto.subtle`);
 * it works in Deno too. File names, checksums and decoding come from `datasets.ts`.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import {
  type DatasetName,
  DATASETS,
  decodeDatasetFile,
  type ImageSet,
  type MnistData,
  subsetOf,
  toImageSet,
} from "./datasets.ts";
import type { IdxArray } from "./idx.ts";

/**
 * Options of {@linkcode loadMnistFromUrl}.
 *
 * @example
 * ```ts
 * import type { LoadMnistFromUrlOptions } from "./mnist_fetch.ts";
 * // Only the first 100 test digits; the training files are not fetched.
 * const options: LoadMnistFromUrlOptions = { trainLimit: 0, testLimit: 100 };
 * console.assert(options.trainLimit === 0);
 * ```
 */
export interface LoadMnistFromUrlOptions {
  /** Which data set the files are (default `"mnist"`); it decides the checksums. */
  dataset?: Exclude<DatasetName, "mnist-subset">;
  /** Keep the first this many training images (default all); `0` does not fetch the training files. */
  trainLimit?: number;
  /** Keep the first this many test images (default all); `0` does not fetch the test files. */
  testLimit?: number;
  /** Check each file's content SHA-256 against the known value (default `true`). */
  verify?: boolean;
}

/**
 * Fetches MNIST (or Fashion-MNIST) from `baseUrl`, under which
 * `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
 * `t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz` are served. Only the
 * first `trainLimit` / `testLimit` images are scaled to floats (the whole training
 * set is 188 MB as floats); a limit of 0 skips that set's files and gives an empty set.
 * The files of the library's embedded MNIST subset (`src/data/mnist_subset/`) are
 * accepted in place of MNIST's; `dataset` says which were served.
 *
 * @param baseUrl The folder's URL, absolute or relative to the page (a trailing `/` is added if missing).
 * @param options Which data set, how many images of each set to keep, whether to verify.
 * @returns The training and test sets, pixels scaled to [0, 1], the base URL as `source`,
 * and which data set it is.
 * @throws {AutoencoderError} If a file cannot be fetched, its content's SHA-256
 * differs, or it is not a valid file of the data set.
 *
 * @example
 * ```ts ignore
 * import { loadMnistFromUrl } from "@autoencoders/onnx/web";
 * const { train, test } = await loadMnistFromUrl("/data/mnist/", { trainLimit: 2000 });
 * console.log(train.count, test.count); // 2000 10000
 * ```
 */
export async function loadMnistFromUrl(
  baseUrl: string | URL,
  options: LoadMnistFromUrlOptions = {},
): Promise<MnistData> {
  const spec = DATASETS[options.dataset ?? "mnist"];
  if (!spec || spec.name === "mnist-subset") {
    throw new AutoencoderError(
      `Cannot load data set "${options.dataset}": it is not one of "mnist", "fashion-mnist"; pass one of them`,
    );
  }
  let base: URL;
  try {
    base = new URL(baseUrl, globalThis.location?.href);
  } catch (cause) {
    throw new AutoencoderError(
      `Cannot load ${spec.title}: "${baseUrl}" is not a URL; pass an absolute URL, or one relative to the page`,
      { cause },
    );
  }
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const verify = options.verify ?? true;
  const todo = `serve the four ${spec.title} files (${
    spec.files.map((f) => `${f.name}.gz`).join(", ")
  }) under "${base}"`;
  const subset = subsetOf(spec);
  let isSubset = false;
  const load = async (which: string, limit: number, first: number) => {
    if (limit !== Infinity && (!Number.isInteger(limit) || limit < 0)) {
      throw new AutoencoderError(
        `Cannot load ${spec.title}: the ${which} limit must be an integer >= 0, got ${limit}`,
      );
    }
    if (limit === 0) return emptySet();
    const [x, y] = await Promise.all([first, first + 1].map(async (i) => {
      const url = new URL(`${spec.files[i].name}.gz`, base).href;
      const bytes = await fetchBytes(url, spec.title, todo);
      return {
        path: url,
        ...await decodeDatasetFile(bytes, spec.files[i], url, verify, subset?.files[i]),
      };
    }));
    isSubset ||= x.subset || y.subset;
    return firstImages(x, y, limit);
  };
  const [train, test] = await Promise.all([
    load("training", options.trainLimit ?? Infinity, 0),
    load("test", options.testLimit ?? Infinity, 2),
  ]);
  return { train, test, source: base.href, dataset: isSubset ? subset!.name : spec.name };
}

type Fetched = IdxArray & { path: string };

async function fetchBytes(url: string, title: string, todo: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new AutoencoderError(
      `Cannot load ${title}: fetching "${url}" failed (${(cause as Error).message}); ${todo}`,
      { cause },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new AutoencoderError(
      `Cannot load ${title}: "${url}" answered ${response.status} ${response.statusText}; ${todo}`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

function emptySet(): ImageSet {
  return {
    images: new Float32Array(0),
    labels: new Uint8Array(0),
    count: 0,
    height: 28,
    width: 28,
  };
}

/** The first `limit` images and labels as an image set (shapes checked on the whole files). */
function firstImages(images: Fetched, labels: Fetched, limit: number): ImageSet {
  if (limit === Infinity || images.dims[0] !== labels.dims[0] || images.dims.length !== 3) {
    return toImageSet(images, labels); // all of them, or the error that says what is wrong
  }
  const n = Math.min(limit, images.dims[0]);
  const size = images.dims[1] * images.dims[2];
  return toImageSet(
    {
      ...images,
      dims: [n, images.dims[1], images.dims[2]],
      data: images.data.subarray(0, n * size),
    },
    { ...labels, dims: [n], data: labels.data.subarray(0, n) },
  );
}
