/**
 * A user's own data from disk, for Deno and Node: a folder of images (decoded and
 * resized by jimp) and a CSV file (parsed by {@link parseCsv}).
 *
 * @module
 */

import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { Jimp, ResizeStrategy } from "jimp";
import { AutoencoderError, quote } from "../errors.ts";
import { type CsvOptions, parseCsv, type Table } from "./table.ts";

export type { CsvOptions, Table };

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /**
   * `[height, width]` every image is resized to, bilinearly (jimp's `BILINEAR`
   * strategy); default: the first image's size, and an image of another size is an error.
   */
  size?: [number, number];
  /** 1 (default): grey, `0.299 R + 0.587 G + 0.114 B`; 3: red, green and blue planes. */
  channels?: 1 | 3;
  /**
   * `"none"` (default): every image under the folder; `"subfolders"`: each subfolder
   * is a class, its name the label.
   */
  labels?: "subfolders" | "none";
  /** Read only the first `limit` images (in the order below). */
  limit?: number;
  /** Skip files that cannot be decoded (counted in `skipped`) instead of failing. */
  skipBad?: boolean;
  /** Called after each image with the number read and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Images read from a folder. */
export interface ImageFolder {
  /** `count` images, each `[channels, height, width]`, values in [0, 1]. */
  images: Float32Array;
  /** Images read. */
  count: number;
  /** One sample's shape, `[channels, height, width]`. */
  shape: [number, number, number];
  /** Each image's path relative to the folder, in order. */
  files: string[];
  /** With `labels: "subfolders"`: each image's class, an index into `classes`. */
  labels?: Uint8Array;
  /** With `labels: "subfolders"`: the subfolder names, sorted. */
  classes?: string[];
  /** Files that could not be decoded, with `skipBad`: path and reason. */
  skipped: { file: string; reason: string }[];
}

const IMAGE = /\.(png|jpe?g|bmp|gif)$/i;

/** Image files under a folder, sorted by path (code point order), recursively. */
async function imageFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (cause) {
    throw new AutoencoderError(
      `Cannot read image folder ${quote(dir)}: ${(cause as Error).message}`,
      {
        kind: "io",
        cause,
      },
    );
  }
  return entries.filter((e) => e.isFile() && IMAGE.test(e.name))
    .map((e) => join(e.parentPath, e.name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Reads the PNG, JPEG, BMP and GIF images under a folder (and its subfolders), in
 * the order of their paths, as one batch scaled to [0, 1].
 *
 * @param dir The folder.
 * @param options Size, channels, labels, limit, skipBad, progress.
 * @returns The images, their files and labels.
 * @throws {AutoencoderError} Naming the file of an image that cannot be decoded
 * (kind `"io"`) or whose size differs from the first's without `size` (kind
 * `"bad-input"`), or if the folder has no images (kind `"bad-input"`).
 *
 * @example
 * ```ts ignore
 * import { loadImageFolder } from "@autoencoders/onnx";
 * const { images, count, shape } = await loadImageFolder("photos", { size: [32, 32], channels: 3 });
 * ```
 */
export async function loadImageFolder(
  dir: string,
  options: ImageFolderOptions = {},
): Promise<ImageFolder> {
  const { channels = 1, labels = "none", limit = Infinity, skipBad = false } = options;
  const files = await listImages(dir, labels, limit);
  let size = options.size;
  const planes: Float32Array[] = [];
  const kept: string[] = [];
  const skipped: ImageFolder["skipped"] = [];
  for (const file of files) {
    let image;
    try {
      image = await Jimp.read(await readFile(join(dir, file)));
    } catch (cause) {
      const reason = (cause as Error).message;
      if (skipBad) {
        skipped.push({ file, reason });
        continue;
      }
      throw new AutoencoderError(
        `Cannot read image ${
          quote(join(dir, file))
        }: ${reason}; remove the file or pass skipBad (--skip-bad)`,
        { kind: "io", cause },
      );
    }
    const { width, height } = image.bitmap;
    if (!size) size = [height, width];
    else if (!options.size && (height !== size[0] || width !== size[1])) {
      throw new AutoencoderError(
        `Cannot read image ${
          quote(join(dir, file))
        }: it is ${width}x${height} but the first image is ${size[1]}x${
          size[0]
        }; pass a size (--size HxW) to resize every image`,
        { kind: "bad-input" },
      );
    }
    if (height !== size[0] || width !== size[1]) {
      image.resize({ w: size[1], h: size[0], mode: ResizeStrategy.BILINEAR });
    }
    planes.push(pixels(image.bitmap.data, size[0] * size[1], channels));
    kept.push(file);
    options.onProgress?.(kept.length + skipped.length, files.length);
  }
  if (kept.length === 0) {
    throw new AutoencoderError(
      `Cannot read image folder ${
        quote(dir)
      }: none of its ${files.length} images could be decoded (first: ${quote(skipped[0].file)}: ${
        skipped[0].reason
      })`,
      { kind: "io" },
    );
  }
  return assemble(planes, [channels, size![0], size![1]], kept, skipped, labels);
}

/** The folder's files (relative paths), those in subfolders for `"subfolders"` labels. */
async function listImages(
  dir: string,
  labels: "none" | "subfolders",
  limit: number,
): Promise<string[]> {
  let files = (await imageFiles(dir)).map((f) => relative(dir, f));
  if (labels === "subfolders") files = files.filter((f) => /[\\/]/.test(f));
  files = files.slice(0, limit);
  if (files.length === 0) {
    throw new AutoencoderError(
      `Cannot read image folder ${quote(dir)}: it holds no PNG, JPEG, BMP or GIF images${
        labels === "subfolders" ? " in subfolders" : ""
      }; add images or pass another folder`,
      { kind: "bad-input" },
    );
  }
  return files;
}

/** The decoded images as one batch, with their labels for `"subfolders"`. */
function assemble(
  planes: Float32Array[],
  shape: [number, number, number],
  kept: string[],
  skipped: ImageFolder["skipped"],
  labels: "none" | "subfolders",
): ImageFolder {
  const images = new Float32Array(kept.length * planes[0].length);
  planes.forEach((p, i) => images.set(p, i * p.length));
  const result: ImageFolder = {
    images,
    count: kept.length,
    shape,
    files: kept,
    skipped,
  };
  if (labels === "subfolders") {
    const top = kept.map((f) => f.split(/[\\/]/)[0]);
    const classes = [...new Set(top)].sort();
    result.classes = classes;
    result.labels = Uint8Array.from(top, (c) => classes.indexOf(c));
  }
  return result;
}

/** RGBA bytes as `channels` planes in [0, 1]. */
function pixels(rgba: Uint8Array, area: number, channels: 1 | 3): Float32Array {
  const out = new Float32Array(channels * area);
  for (let p = 0; p < area; p++) {
    const [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
    if (channels === 1) out[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    else [out[p], out[area + p], out[2 * area + p]] = [r / 255, g / 255, b / 255];
  }
  return out;
}

/**
 * Reads a CSV file (a header line, then rows) into a scaled numeric table; see
 * {@link parseCsv}, which takes the text itself.
 *
 * @param path The file, or `{ text }`: CSV text.
 * @param options Columns, label column, scaling.
 * @returns The table.
 * @throws {AutoencoderError} Naming the row and column of a missing or non-numeric value.
 *
 * @example
 * ```ts
 * import { loadCsv } from "@autoencoders/onnx";
 * const table = await loadCsv({ text: "x,y\n0,1\n2,3\n" }, { scale: "standard" });
 * console.assert(table.count === 2 && table.data[0] === -1);
 * ```
 */
export async function loadCsv(
  path: string | { text: string },
  options: CsvOptions = {},
): Promise<Table> {
  if (typeof path !== "string") return parseCsv(path.text, options);
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new AutoencoderError(`Cannot read ${quote(path)}: ${(cause as Error).message}`, {
      kind: "io",
      cause,
    });
  }
  return parseCsv(text, options, path);
}
