/**
 * A user's own images in the browser: files (from an `<input type="file">` or a
 * drop) or URLs, decoded by the browser (`createImageBitmap`), drawn resized on an
 * `OffscreenCanvas` and read back as pixel planes in [0, 1]. Nothing here reads
 * files or needs Node; in Deno or Node use `loadImageFolder` instead.
 *
 * @module
 */

import { AutoencoderError, quote } from "../errors.ts";

/** Options of {@link loadImages}. */
export interface LoadImagesOptions {
  /**
   * `[height, width]` every image is resized to (stretched, not cropped; the browser's
   * high-quality smoothing). Default `[28, 28]`, the blog models' input.
   */
  size?: [number, number];
  /** 1 (default): grey, `0.299 R + 0.587 G + 0.114 B`; 3: red, green and blue planes. */
  channels?: 1 | 3;
}

/** Images loaded by {@link loadImages}. */
export interface LoadedImages {
  /** `count` images, each `[channels, height, width]`, values in [0, 1]. */
  images: Float32Array;
  /** The number of images. */
  count: number;
  /** One sample's shape, `[channels, height, width]`. */
  shape: [number, number, number];
  /** Each image's name: the file's name, or the URL. */
  names: string[];
}

/** The parts of the browser's canvas API used here (not in Deno's types). */
interface Canvas2d {
  fillStyle: string;
  imageSmoothingEnabled: boolean;
  imageSmoothingQuality: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  drawImage(image: unknown, dx: number, dy: number, dw: number, dh: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}
interface Canvas {
  getContext(kind: "2d", options?: { willReadFrequently: boolean }): Canvas2d | null;
}
type CanvasConstructor = new (width: number, height: number) => Canvas;
type DecodeImage = (blob: Blob) => Promise<{ close(): void }>;

/**
 * Loads images in a web page: decoded by the browser (PNG, JPEG, GIF, BMP, WebP:
 * whatever it decodes), resized to `size`, as grey or colour planes in [0, 1] —
 * the input of a model with `inputShape` `[channels, height, width]` (or, flat, of
 * a dense one). Transparent pixels count as black, as in MNIST.
 *
 * @param sources `File`s or `Blob`s (from `<input type="file">` or a drop), or URLs to fetch.
 * @param options Size and channels.
 * @returns The images, in the order given, with their names.
 * @throws {AutoencoderError} Of kind `"bad-input"` naming the file that cannot be
 * fetched or decoded, or if this is not a browser (no `OffscreenCanvas`).
 *
 * @example
 * ```ts ignore
 * import { ConvAutoencoder, loadImages } from "./autoencoders.js";
 *
 * const input = document.querySelector("input[type=file]");
 * input.addEventListener("change", async () => {
 *   const { images, names } = await loadImages([...input.files], { size: [28, 28], channels: 1 });
 *   const model = new ConvAutoencoder({ provider: "wasm" });
 *   model.loadOnnx(new Uint8Array(await (await fetch("model.onnx")).arrayBuffer()));
 *   const { scores, anomalous } = await model.detect(images); // the saved threshold
 *   names.forEach((name, i) => console.log(name, scores[i], anomalous[i]));
 * });
 * ```
 */
export async function loadImages(
  sources: Iterable<Blob | string | URL>,
  options: LoadImagesOptions = {},
): Promise<LoadedImages> {
  const { size = [28, 28], channels = 1 } = options;
  const [height, width] = size;
  const fail = (what: string) =>
    new AutoencoderError(`Cannot load images: ${what}`, { kind: "bad-input" });
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
    throw fail(`size must be [height, width] in whole pixels, got ${JSON.stringify(size)}`);
  }
  if (channels !== 1 && channels !== 3) throw fail(`channels must be 1 or 3, got ${channels}`);
  const scope = globalThis as unknown as {
    OffscreenCanvas?: CanvasConstructor;
    createImageBitmap?: DecodeImage;
  };
  if (!scope.OffscreenCanvas || !scope.createImageBitmap) {
    throw fail(
      "this is not a browser (no OffscreenCanvas); in Deno or Node use loadImageFolder",
    );
  }
  const ctx = new scope.OffscreenCanvas(width, height).getContext("2d", {
    willReadFrequently: true,
  });
  if (!ctx) throw fail("the browser gives no 2-D canvas context");
  const list = [...sources];
  const area = height * width;
  const images = new Float32Array(list.length * channels * area);
  const names: string[] = [];
  for (const [n, source] of list.entries()) {
    const name = typeof source === "string" || source instanceof URL
      ? String(source)
      : (source as { name?: string }).name ?? `image #${n}`;
    let blob: Blob;
    if (typeof source === "string" || source instanceof URL) {
      const response = await fetch(source).catch((e: Error) => {
        throw fail(`fetching ${quote(name)} failed: ${e.message}`);
      });
      if (!response.ok) throw fail(`${quote(name)} answered ${response.status}`);
      blob = await response.blob();
    } else blob = source;
    const bitmap = await scope.createImageBitmap(blob).catch(() => {
      throw fail(`${quote(name)} is not an image this browser can decode`);
    });
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const out = images.subarray(n * channels * area, (n + 1) * channels * area);
    for (let p = 0; p < area; p++) {
      const [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
      if (channels === 1) out[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
      else [out[p], out[area + p], out[2 * area + p]] = [r / 255, g / 255, b / 255];
    }
    names.push(name);
  }
  return { images, count: list.length, shape: [channels, height, width], names };
}
