/**
 * The data sets the library knows: their files, the SHA-256 of each file's
 * decompressed content, and the canonical mirrors. Browser-safe: decoding and
 * verification only; finding, caching and downloading files is `mnist.ts`'s job
 * (Deno, Node) or `mnist_fetch.ts`'s (browsers).
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { decodeIdx, type IdxArray, sha256Hex } from "./idx.ts";

/** Data sets with a loader. */
export type DatasetName = "mnist" | "fashion-mnist" | "mnist-subset";

/** One file of a data set. */
export interface DatasetFile {
  /** File name without `.gz`, e.g. `train-images-idx3-ubyte`. */
  name: string;
  /**
   * SHA-256 of the decompressed IDX bytes: it identifies the content whatever
   * the gzip settings (Debian's Fashion-MNIST files are recompressed, for one).
   */
  sha256: string;
  /** Size of the decompressed IDX bytes: a larger file is not inflated further. */
  size: number;
}

/** A data set's files, mirrors and credit. */
export interface DatasetSpec {
  /** Short name, also the cache folder's name. */
  name: DatasetName;
  /** Human name for messages. */
  title: string;
  /** Training images, training labels, test images, test labels. */
  files: readonly [DatasetFile, DatasetFile, DatasetFile, DatasetFile];
  /** Base URLs serving `<file>.gz`, tried in order. */
  mirrors: readonly string[];
  /** Folders where operating-system packages install the files. */
  systemDirs: readonly string[];
  /** Authors and license. */
  credit: string;
  /** A smaller data set of the same kind whose files are accepted in its place (MNIST's embedded subset). */
  subset?: DatasetName;
}

const names = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];
/** The four files of a set of `train` and `test` images: IDX headers of 16 and 8 bytes. */
const files = ([train, test]: [number, number], ...sha256: string[]) =>
  names.map((name, i) => {
    const count = i < 2 ? train : test;
    return { name, sha256: sha256[i], size: i % 2 ? 8 + count : 16 + 28 * 28 * count };
  }) as unknown as DatasetSpec["files"];

/**
 * The known data sets. Content hashes were computed here from the original MNIST
 * files (whose gzip files match the published SHA-256) and from Debian's
 * `dataset-fashion-mnist` 0.0~git20200523 package.
 */
export const DATASETS: Readonly<Record<DatasetName, DatasetSpec>> = {
  mnist: {
    name: "mnist",
    title: "MNIST",
    files: files(
      [60000, 10000],
      "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
      "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
      "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
      "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
    // The mirrors PyTorch's torchvision and TensorFlow's datasets download from.
    mirrors: [
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    systemDirs: [],
    subset: "mnist-subset",
    credit:
      "Yann LeCun, Corinna Cortes and Christopher J.C. Burges, The MNIST database of handwritten digits (CC BY-SA 3.0)",
  },
  "fashion-mnist": {
    name: "fashion-mnist",
    title: "Fashion-MNIST",
    files: files(
      [60000, 10000],
      "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
      "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
      "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
      "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
    // Keras' mirror, then Zalando's own.
    mirrors: [
      "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
    systemDirs: ["/usr/share/datasets/fashion-mnist"],
    credit: "Han Xiao, Kashif Rasul and Roland Vollgraf, Fashion-MNIST, Zalando SE (MIT license)",
  },
  "mnist-subset": {
    name: "mnist-subset",
    title: "the embedded MNIST subset",
    files: files(
      [3000, 1000],
      "fc10080e92e48998cf561522ec74cfcd9fdc1d3eb6d815e4b8d6392c71460463",
      "fb68983ef4dddd9fd08a65eeffd7110e567eb77e5ef20f1b57f69a7269e7d425",
      "de7c252b04f05e1f8309634180ccdf286dc6dbac8c579b74e76e02ae0331ca52",
      "832c0d20f0dc42e575488c75a83a970787d4c8d4d05831b2ef03701b4a478a90",
    ),
    mirrors: [],
    systemDirs: [],
    credit:
      "the first 3000 training and 1000 test digits of MNIST: Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0)",
  },
};

/**
 * A set of images with their labels.
 *
 * @example
 * ```ts
 * import type { ImageSet } from "./datasets.ts";
 * const set: ImageSet = { images: new Float32Array(4), labels: new Uint8Array([3]), count: 1, height: 2, width: 2 };
 * console.assert(set.images.length === set.count * set.height * set.width);
 * ```
 */
export interface ImageSet {
  /** `count * height * width` pixel values scaled to [0, 1], row-major. */
  images: Float32Array;
  /** One class (0 to 9) per image. */
  labels: Uint8Array;
  /** The number of images. */
  count: number;
  /** The height of each image in pixels (28). */
  height: number;
  /** The width of each image in pixels (28). */
  width: number;
}

/** A data set's training and test sets, and where they were read from. */
export interface MnistData {
  /** The training images. */
  train: ImageSet;
  /** The test images. */
  test: ImageSet;
  /** The folder or URL the files came from. */
  source: string;
  /** Which data set the files hold, known from their content (`mnist-subset` when a file is the subset's). */
  dataset: DatasetName;
}

/**
 * Says which data a run used, for logs and reports: the data set, its size and where it came from.
 *
 * @param data Data as a loader returns it.
 * @returns E.g. `MNIST (60000 training, 10000 test images) from "/data/mnist"`, or
 * `the embedded MNIST subset (3000 training, 1000 test images)`.
 *
 * @example
 * ```ts
 * import { describeData } from "./datasets.ts";
 * const set = { images: new Float32Array(0), labels: new Uint8Array(0), count: 0, height: 28, width: 28 };
 * const text = describeData({ train: set, test: set, source: "/data", dataset: "mnist" });
 * console.assert(text === 'MNIST (0 training, 0 test images) from "/data"');
 * ```
 */
export function describeData(data: MnistData): string {
  const sizes = `(${data.train.count} training, ${data.test.count} test images)`;
  const spec = DATASETS[data.dataset];
  return spec.name === "mnist-subset"
    ? `${spec.title} ${sizes}`
    : `${spec.title} ${sizes} from "${data.source}"`;
}

/**
 * Decodes one file of a data set (gzipped or raw IDX) and checks its content's
 * SHA-256. When verifying, inflation stops once the output exceeds the known file's
 * size: no larger file could have its content.
 *
 * @param bytes The file's bytes.
 * @param file Which file of the data set it should be.
 * @param path Names the file in error messages.
 * @param verify Check the content hash and size (default true).
 * @param subset The same file of the data set's subset, whose content is accepted too.
 * @returns The decoded array, and whether it is the subset's file.
 */
export async function decodeDatasetFile(
  bytes: Uint8Array,
  file: DatasetFile,
  path: string,
  verify = true,
  subset?: DatasetFile,
): Promise<IdxArray & { subset: boolean }> {
  const maxBytes = verify ? Math.max(file.size, subset?.size ?? 0) : undefined;
  const idx = await decodeIdx(bytes, path, { maxBytes });
  if (verify) {
    const found = await sha256Hex(idx.raw);
    if (found === subset?.sha256) return { ...idx, subset: true };
    if (found !== file.sha256) {
      throw new AutoencoderError(
        `Cannot load "${path}": its content's SHA-256 is not that of ${file.name} ` +
          `(expected ${file.sha256}, found ${found}); download it again`,
      );
    }
  }
  return { ...idx, subset: false };
}

/**
 * The subset whose files a data set accepts in place of its own, if it has one.
 *
 * @param spec The data set.
 * @returns The subset's specification, or `undefined`.
 */
export function subsetOf(spec: DatasetSpec): DatasetSpec | undefined {
  return spec.subset && DATASETS[spec.subset];
}

/**
 * Pairs decoded image and label files into an image set, checking their shapes,
 * and scales the pixels to [0, 1].
 *
 * @param images Decoded image file and its path.
 * @param labels Decoded label file and its path.
 * @returns The image set.
 */
export function toImageSet(
  images: IdxArray & { path: string },
  labels: IdxArray & { path: string },
): ImageSet {
  const [count, height, width] = images.dims;
  if (images.dims.length !== 3 || height !== 28 || width !== 28) {
    throw new AutoencoderError(
      `Cannot load "${images.path}": expected images of shape [count, 28, 28], ` +
        `found [${images.dims.join(", ")}]; check that it is an image file of the data set`,
    );
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new AutoencoderError(
      `Cannot load "${labels.path}": expected ${count} labels, one per image of ` +
        `"${images.path}", found shape [${labels.dims.join(", ")}]; download the files again`,
    );
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { images: pixels, labels: labels.data, count, height, width };
}
