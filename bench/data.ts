/**
 * MNIST for the benchmarks: the first `limit` images of the gzipped IDX files,
 * scaled to [0, 1]. Only the subset is converted to floats, so a worker's peak
 * memory holds the data it trains on and not the whole data set (the PyTorch
 * peer does the same). `deno task bench` finds the folder with the library's
 * loader and passes it to every worker as `--data`.
 *
 * @module
 */

import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Side of an MNIST image. */
export const SIDE = 28;
/** Floats per image. */
export const PIXELS = SIDE * SIDE;

/**
 * The five models, the variational autoencoder, and their blog batch sizes:
 * models/registry.ts's table again, on purpose, because the TF.js peer reads this
 * module and must not load the library (its peak memory would then include ONNX
 * Runtime).
 */
export const MODELS = ["undercomplete", "sparse", "deep", "conv", "denoising", "vae"] as const;
/** A model name. */
export type ModelName = typeof MODELS[number];
/** Batch size of the blog: 256 for the dense models, 128 for the conv ones, 100 for the VAE. */
export const BLOG_BATCH: Record<ModelName, number> = {
  undercomplete: 256,
  sparse: 256,
  deep: 256,
  conv: 128,
  denoising: 128,
  vae: 100,
};
/** Whether a model is convolutional (trains on `[N, 1, 28, 28]`, fewer steps per epoch). */
export const isConv = (m: ModelName): boolean => m === "conv" || m === "denoising";

/**
 * The folder of the MNIST files when a worker runs alone: `dir`, else
 * `$AUTOENCODERS_DATA_DIR`, else the subset embedded in the library (a worker does
 * not load the library, whose loader would hold the whole set in memory).
 *
 * @param dir A folder given on the command line.
 * @returns The folder.
 */
export function mnistDir(dir?: string): string {
  return dir ?? (Deno.env.get("AUTOENCODERS_DATA_DIR") ||
    fileURLToPath(new URL("../src/data/mnist_subset", import.meta.url)));
}

/**
 * Reads the first `limit` training images, repeated when the folder holds fewer
 * (the embedded subset holds 3000).
 *
 * @param limit Images to read.
 * @param dir Folder of `train-images-idx3-ubyte.gz`.
 * @returns `limit * 784` floats in [0, 1].
 */
export function readMnist(limit: number, dir?: string): Float32Array {
  const path = join(mnistDir(dir), "train-images-idx3-ubyte.gz");
  let raw: Uint8Array;
  try {
    const unzipped = gunzipSync(Deno.readFileSync(path));
    raw = new Uint8Array(unzipped.buffer, unzipped.byteOffset, unzipped.byteLength);
  } catch (cause) {
    throw new Error(
      `Cannot read MNIST "${path}": ${
        (cause as Error).message
      }; pass --data DIR or set AUTOENCODERS_DATA_DIR`,
      { cause },
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const count = view.getUint32(4);
  if (view.getUint32(0) !== 2051 || view.getUint32(8) * view.getUint32(12) !== PIXELS) {
    throw new Error(`Cannot read MNIST "${path}": not an IDX3 file of 28x28 images`);
  }
  const out = new Float32Array(limit * PIXELS);
  const size = count * PIXELS;
  for (let i = 0; i < out.length; i++) out[i] = raw[16 + (i % size)] / 255;
  return out;
}

/**
 * Peak resident memory of this process in MiB: `VmHWM` on Linux, else the
 * current RSS (a lower bound).
 *
 * @returns MiB.
 */
export function peakRssMb(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    if (kb > 0) return kb / 1024;
  } catch {
    // not Linux
  }
  return Deno.memoryUsage().rss / 2 ** 20;
}

export { median } from "./peer_models.ts";
