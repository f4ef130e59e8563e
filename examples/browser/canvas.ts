/// <reference lib="dom" />
/**
 * Images on canvases: gray images and codes drawn at their real size (CSS scales
 * them up), and any picture brought to MNIST's form.
 *
 * @module
 */

/** A digit's side and its pixels. */
export const SIDE = 28, PIXELS: number = SIDE * SIDE;

/** The element with this id (the page's markup has it). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page lacks an element with id "${id}"`);
  return element as T;
}

/** Sets an element's `data-state` (the tests read it) and, if given, its text. */
export function setState(element: HTMLElement, state: string, text?: string): void {
  element.dataset.state = state;
  if (text !== undefined) element.textContent = text;
}

/** Runs `work` once `element` comes near the viewport (models open when first used). */
export function whenVisible(element: HTMLElement, work: () => void): void {
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    observer.disconnect();
    work();
  }, { rootMargin: "200px" });
  observer.observe(element);
}

/** Draws a gray image (values in [0, 1], clipped) on a canvas of exactly its size. */
export function drawGray(
  canvas: HTMLCanvasElement,
  values: Float32Array,
  width = SIDE,
  height = SIDE,
): void {
  canvas.width = width;
  canvas.height = height;
  const image = new ImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const level = Math.round(255 * Math.min(1, Math.max(0, values[i])));
    image.data.set([level, level, level, 255], 4 * i);
  }
  canvas.getContext("2d")!.putImageData(image, 0, 0);
}

/**
 * Draws a code: a vector as rows of 8 cells, a `[channels, h, w]` map as one tile per
 * channel (4 or 8 per row, 1-pixel gaps); scaled so that the largest value is white.
 */
export function drawCode(canvas: HTMLCanvasElement, code: Float32Array, dims: readonly number[]) {
  const max = Math.max(1e-6, ...code);
  const [channels, h, w] = dims.length === 3 ? dims : [code.length, 1, 1];
  const across = channels <= 8 ? Math.min(4, channels) : 8, down = Math.ceil(channels / across);
  const width = across * (w + 1) - 1, height = down * (h + 1) - 1;
  const values = new Float32Array(width * height).fill(0.15);
  for (let c = 0; c < channels; c++) {
    const x0 = (c % across) * (w + 1), y0 = Math.floor(c / across) * (h + 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        values[(y0 + y) * width + x0 + x] = code[c * h * w + y * w + x] / max;
      }
    }
  }
  drawGray(canvas, values, width, height);
}

/** A small canvas showing a digit, scaled up by CSS. */
export function digitCanvas(values: Float32Array, className = "digit"): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.className = className;
  drawGray(canvas, values);
  return canvas;
}

/** Gray levels in [0, 1] of a canvas region's red, green and blue, light strokes on dark. */
function grayLevels(source: CanvasImageSource, width: number, height: number): Float32Array {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  ctx.drawImage(source, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  const gray = Float32Array.from(
    { length: width * height },
    (_, i) => (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255,
  );
  // Dark strokes on light paper (most photos and scans): turn them into MNIST's light on dark.
  const mean = gray.reduce((a, v) => a + v, 0) / gray.length;
  return mean > 0.5 ? gray.map((v) => 1 - v) : gray;
}

/**
 * Brings a picture of a digit to MNIST's form: light strokes on black, the strokes'
 * bounding box scaled to fit 20 × 20, then moved by whole pixels so that their centre
 * of mass is at pixel (14, 14) of the 28 × 28 image, as in MNIST. Dark-on-light pictures are inverted first.
 *
 * @param source A canvas or decoded image.
 * @param width Its width in pixels.
 * @param height Its height.
 * @returns 784 gray levels, or `undefined` if it holds no strokes.
 */
export function toMnist(
  source: CanvasImageSource,
  width: number,
  height: number,
): Float32Array | undefined {
  const gray = grayLevels(source, width, height);
  const ink = 0.25 * Math.max(...gray);
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink > 0 && gray[y * width + x] > ink) {
        [left, top] = [Math.min(left, x), Math.min(top, y)];
        [right, bottom] = [Math.max(right, x), Math.max(bottom, y)];
      }
    }
  }
  if (right < 0) return undefined;
  const strokes = new OffscreenCanvas(width, height);
  const image = new ImageData(width, height);
  gray.forEach((v, i) => image.data.set([255 * v, 255 * v, 255 * v, 255], 4 * i));
  strokes.getContext("2d")!.putImageData(image, 0, 0);
  const [w, h] = [right - left + 1, bottom - top + 1];
  const scale = 20 / Math.max(w, h);
  const small = new OffscreenCanvas(SIDE, SIDE);
  const ctx = small.getContext("2d", { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = "high";
  const render = (dx: number, dy: number) => {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, SIDE, SIDE);
    ctx.drawImage(strokes, left, top, w, h, dx, dy, w * scale, h * scale);
    const data = ctx.getImageData(0, 0, SIDE, SIDE).data;
    return Float32Array.from({ length: PIXELS }, (_, i) => data[4 * i] / 255);
  };
  const [dx, dy] = [(SIDE - w * scale) / 2, (SIDE - h * scale) / 2];
  const centred = render(dx, dy);
  let [mass, mx, my] = [0, 0, 0];
  centred.forEach((v, i) => {
    mass += v;
    mx += v * (i % SIDE);
    my += v * Math.floor(i / SIDE);
  });
  // MNIST's digits have their centre of mass at pixel (14, 14), moved there by whole pixels:
  // a digit already in MNIST's form stays as it is.
  return render(Math.round(dx + 14 - mx / mass), Math.round(dy + 14 - my / mass));
}
