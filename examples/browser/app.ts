/// <reference lib="dom" />
/**
 * The example page's script (bundled into `dist/web/app.js` by `deno task build:web`):
 * pick or draw a digit and see what the five pretrained models make of it, move over
 * the latent plane of the pretrained VAE, score your own images with a one-class
 * model, then train a model in the page with a live loss curve.
 *
 * Elements the browser test reads: `#pretrained-status`, `#vae-status`, `#own-status`
 * and `#train-status` carry `data-state` (`loading`, `ready`, `busy`, `done`, `error`);
 * `#vae-output` carries `data-z` (the decoded point), the rows of `#own-results`
 * `data-score` and `data-anomalous`, `#own-status` `data-threshold`; the canvases hold
 * images at their real size (28×28 for digits), one gray level per pixel.
 *
 * @module
 */

import {
  type Autoencoder,
  ConvAutoencoder,
  corruptAll,
  gaussianNoise,
  hasWebGpu,
  type ImageSet,
  loadImages,
  loadMnistFromUrl,
  type Session,
  UndercompleteAutoencoder,
  webRuntime,
} from "../../src/web.ts";
import { normalQuantile } from "../../src/viz/quantile.ts";

const DATA_URL = "data/mnist/";
const MODELS_URL = "models/";
const SIDE = 28, PIXELS = SIDE * SIDE;

/** The pretrained models: their folder under `models/` and one sample's input shape. */
const PRETRAINED = [
  { name: "undercomplete", input: [784] },
  { name: "sparse", input: [784] },
  { name: "deep", input: [784] },
  { name: "conv", input: [1, 28, 28] },
  { name: "denoising", input: [1, 28, 28] },
] as const;

type ModelName = (typeof PRETRAINED)[number]["name"];

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page lacks an element with id "${id}"`);
  return element as T;
}

function setState(element: HTMLElement, state: string, text?: string): void {
  element.dataset.state = state;
  if (text !== undefined) element.textContent = text;
}

// ---------------------------------------------------------------------------------------
// Drawing images on canvases

/** Draws a gray image (values in [0, 1], clipped) on a canvas of exactly its size. */
function drawGray(canvas: HTMLCanvasElement, values: Float32Array, width = SIDE, height = SIDE) {
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
function drawCode(canvas: HTMLCanvasElement, code: Float32Array, dims: readonly number[]) {
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
function digitCanvas(values: Float32Array, className = "digit"): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.className = className;
  drawGray(canvas, values);
  return canvas;
}

// ---------------------------------------------------------------------------------------
// Noise, as the denoising model was trained with: clip(x + 0.5 · N(0, 1), 0, 1)

const NOISE = gaussianNoise(0.5);

function addNoise(x: Float32Array, seed: number): Float32Array {
  return corruptAll(NOISE, x, seed);
}

// ---------------------------------------------------------------------------------------
// Pretrained models: pick or draw a digit, see each model's reconstruction and code

interface Pretrained {
  name: ModelName;
  input: readonly number[];
  encoder: Session;
  decoder: Session;
}

async function openPretrained(
  name: ModelName,
  input: readonly number[],
): Promise<Pretrained | string> {
  const fetchModel = async (part: string) => {
    const response = await fetch(`${MODELS_URL}${name}/${part}.onnx`);
    if (!response.ok) throw new Error(`${MODELS_URL}${name}/${part}.onnx: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  try {
    const [encoderBytes, decoderBytes] = await Promise.all([
      fetchModel("encoder"),
      fetchModel("decoder"),
    ]);
    const [encoder, decoder] = await Promise.all([
      webRuntime.createSession(encoderBytes, { provider: "wasm" }),
      webRuntime.createSession(decoderBytes, { provider: "wasm" }),
    ]);
    return { name, input, encoder, decoder };
  } catch (e) {
    return (e as Error).message;
  }
}

/** Encodes then decodes one digit; returns the code and the reconstruction. */
async function reconstruct(model: Pretrained, x: Float32Array) {
  const input = webRuntime.tensor(x, [1, ...model.input]);
  const { output: code } = await model.encoder.run({ input }, ["output"]);
  const { output } = await model.decoder.run({ input: code }, ["output"]);
  return {
    code: await webRuntime.read(code),
    codeDims: code.dims.slice(1),
    output: await webRuntime.read(output),
  };
}

async function setUpPretrained(test: ImageSet): Promise<void> {
  const status = $("pretrained-status");
  const models = await Promise.all(
    PRETRAINED.map(({ name, input }) => openPretrained(name, input)),
  );
  const ready: Pretrained[] = [];
  models.forEach((model, i) => {
    const row = document.querySelector<HTMLElement>(`tr[data-model="${PRETRAINED[i].name}"]`)!;
    if (typeof model === "string") {
      setState(row, "missing");
      row.querySelector(".note")!.textContent = `not available (${model})`;
    } else {
      setState(row, "ready");
      ready.push(model);
    }
  });

  let busy = Promise.resolve();
  const show = (x: Float32Array, label: string) => {
    busy = busy.catch(() => {}).then(async () => { // one at a time, after errors too
      setState(status, "busy", `Reconstructing ${label}…`);
      drawGray($<HTMLCanvasElement>("input"), x);
      try {
        for (const model of ready) {
          const source = model.name === "denoising" ? addNoise(x, 1) : x;
          if (model.name === "denoising") drawGray($<HTMLCanvasElement>("noisy-denoising"), source);
          const { code, codeDims, output } = await reconstruct(model, source);
          drawGray($<HTMLCanvasElement>(`recon-${model.name}`), output);
          drawCode($<HTMLCanvasElement>(`code-${model.name}`), code, codeDims);
        }
        status.dataset.digit = label;
        setState(status, "done", `Showing ${label} (${webRuntime.name}, wasm)`);
      } catch (e) {
        setState(status, "error", `Error: ${(e as Error).message}`);
        throw e;
      }
    });
    return busy;
  };

  // The first 20 test digits to pick from, and a random one.
  const picker = $("digits");
  const pick = (index: number) =>
    show(test.images.slice(index * PIXELS, (index + 1) * PIXELS), `test digit #${index}`);
  for (let i = 0; i < 20; i++) {
    const button = document.createElement("button");
    button.className = "pick";
    button.dataset.index = String(i);
    button.title = `Test digit #${i} (a ${test.labels[i]})`;
    button.append(digitCanvas(test.images.subarray(i * PIXELS, (i + 1) * PIXELS)));
    button.addEventListener("click", () => pick(i));
    picker.append(button);
  }
  $("random-digit").addEventListener("click", () => pick(Math.floor(Math.random() * test.count)));
  setUpDrawing((x) => show(x, "your drawing"));
  setState(status, "ready", `${ready.length} of ${PRETRAINED.length} models loaded`);
  await pick(0);
}

/** Strokes on a 280×280 canvas, brought to MNIST's form: a 20×20 box centred by mass in 28×28. */
function setUpDrawing(onDigit: (x: Float32Array) => void): void {
  const canvas = $<HTMLCanvasElement>("draw");
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let last: [number, number] | undefined;
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [
      (e.clientX - r.left) * canvas.width / r.width,
      (e.clientY - r.top) * canvas.height / r.height,
    ];
  };
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!last) return;
    const next = at(e);
    ctx.strokeStyle = "white";
    ctx.lineWidth = 20;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...next);
    ctx.stroke();
    last = next;
  });
  const end = () => {
    if (!last) return;
    last = undefined;
    const x = toMnist(canvas);
    if (x) onDigit(x);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  $("clear-drawing").addEventListener("click", clear);
}

function toMnist(source: HTMLCanvasElement): Float32Array | undefined {
  const { width, height } = source;
  const pixels = source.getContext("2d")!.getImageData(0, 0, width, height).data;
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[4 * (y * width + x)] > 0) {
        [left, top] = [Math.min(left, x), Math.min(top, y)];
        [right, bottom] = [Math.max(right, x), Math.max(bottom, y)];
      }
    }
  }
  if (right < 0) return undefined;
  const [w, h] = [right - left + 1, bottom - top + 1];
  const scale = 20 / Math.max(w, h);
  const small = document.createElement("canvas");
  small.width = small.height = SIDE;
  const ctx = small.getContext("2d", { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = "high";
  const render = (dx: number, dy: number) => {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, SIDE, SIDE);
    ctx.drawImage(source, left, top, w, h, dx, dy, w * scale, h * scale);
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
  return render(dx + 13.5 - mx / mass, dy + 13.5 - my / mass);
}

// ---------------------------------------------------------------------------------------
// The variational autoencoder: a latent pad over the manifold grid

/** The grid's side, and the latent coordinate of a pad position u in [0, 1] (either axis). */
const GRID = 15;
const latent = (u: number) => normalQuantile(0.05 + 0.9 * Math.min(1, Math.max(0, u)));

async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function setUpVae(): Promise<void> {
  const status = $("vae-status");
  const decoder = await webRuntime.createSession(
    await fetchBytes(`${MODELS_URL}vae/decoder.onnx`),
    { provider: "wasm" },
  );
  const decode = async (z: Float32Array) => {
    const { output } = await decoder.run(
      { input: webRuntime.tensor(z, [z.length / 2, 2]) },
      ["output"],
    );
    return await webRuntime.read(output);
  };

  // The manifold, drawn once: row i has z₁ = grid[i], column j has z₀ = grid[j] (the blog's).
  setState(status, "busy", "Decoding the 15 × 15 manifold…");
  const grid = Array.from({ length: GRID }, (_, i) => latent(i / (GRID - 1)));
  const codes = new Float32Array(GRID * GRID * 2);
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) codes.set([grid[j], grid[i]], 2 * (i * GRID + j));
  }
  const images = await decode(codes);
  const figure = new Float32Array(GRID * SIDE * GRID * SIDE);
  const across = GRID * SIDE;
  for (let k = 0; k < GRID * GRID; k++) {
    const [i, j] = [Math.floor(k / GRID), k % GRID];
    for (let y = 0; y < SIDE; y++) {
      figure.set(
        images.subarray(k * PIXELS + y * SIDE, k * PIXELS + (y + 1) * SIDE),
        (i * SIDE + y) * across + j * SIDE,
      );
    }
  }
  const manifold = $<HTMLCanvasElement>("vae-manifold");
  drawGray(manifold, figure, across, across);
  manifold.dataset.drawn = "true";

  // The pad: the pointer's place on the grid, as fractions of the grid cells' centres
  // (the first and last cells' centres are the quantiles 0.05 and 0.95).
  const pad = $("vae-pad"), marker = $("vae-marker"), output = $<HTMLCanvasElement>("vae-output");
  let pending: [number, number] | undefined, running = false;
  const run = async () => {
    running = true;
    try {
      while (pending) {
        const [z0, z1] = pending;
        pending = undefined;
        drawGray(output, await decode(new Float32Array([z0, z1])));
        output.dataset.z = `${z0.toFixed(3)},${z1.toFixed(3)}`;
        $("vae-z").textContent = `z = (${z0.toFixed(2)}, ${z1.toFixed(2)})`;
        setState(status, "done", `Decoded z = (${z0.toFixed(2)}, ${z1.toFixed(2)})`);
      }
    } catch (e) {
      setState(status, "error", `Error: ${(e as Error).message}`);
    } finally {
      running = false;
    }
  };
  const moveTo = (x: number, y: number) => { // pixels within the pad
    const cell = pad.clientWidth / GRID;
    const u = (x - cell / 2) / (pad.clientWidth - cell),
      v = (y - cell / 2) / (pad.clientHeight - cell);
    pending = [latent(u), latent(v)];
    marker.hidden = false;
    marker.style.left = `${x}px`;
    marker.style.top = `${y}px`;
    if (!running) run();
  };
  pad.addEventListener("pointermove", (e) => {
    const r = pad.getBoundingClientRect();
    moveTo(e.clientX - r.left, e.clientY - r.top);
  });
  moveTo(pad.clientWidth / 2, pad.clientHeight / 2); // z = (0, 0)
}

// ---------------------------------------------------------------------------------------
// Your own images, scored by a one-class model (trained on the digit 0) and its threshold

async function setUpOwnImages(): Promise<void> {
  const status = $("own-status");
  const model = new ConvAutoencoder({ provider: "wasm" });
  model.loadOnnx(
    await fetchBytes(`${MODELS_URL}oneclass-mnist-0/model.onnx`),
    "oneclass-mnist-0/model.onnx",
  );
  const threshold = model.anomaly.threshold;
  if (!threshold) throw new Error("oneclass-mnist-0/model.onnx has no threshold in its metadata");
  status.dataset.threshold = String(threshold.threshold);
  const ready = `Threshold ${threshold.threshold.toFixed(4)} (${model.anomaly.score}, ` +
    `percentile ${threshold.value} of the training zeros' scores). Choose or drop images.`;
  setState(status, "ready", ready);

  const body = $("own-results").querySelector("tbody")!;
  let busy = Promise.resolve();
  const check = (files: File[]) => {
    busy = busy.catch(() => {}).then(async () => {
      if (files.length === 0) return;
      setState(status, "busy", `Scoring ${files.length} image(s)…`);
      try {
        const { images, count, names } = await loadImages(files, { size: [28, 28], channels: 1 });
        const { scores, anomalous } = await model.detect(images);
        const reconstructions = await model.predict(images);
        body.replaceChildren();
        for (let i = 0; i < count; i++) {
          const row = document.createElement("tr");
          row.dataset.score = String(scores[i]);
          row.dataset.anomalous = String(anomalous[i]);
          if (anomalous[i]) row.className = "anomalous";
          const cell = (...content: (Node | string)[]) => {
            const td = document.createElement("td");
            td.append(...content);
            row.append(td);
            return td;
          };
          cell(names[i]);
          cell(digitCanvas(images.subarray(i * PIXELS, (i + 1) * PIXELS), "digit big"));
          cell(digitCanvas(reconstructions.subarray(i * PIXELS, (i + 1) * PIXELS), "digit big"));
          cell(scores[i].toFixed(4));
          cell(anomalous[i] ? "anomalous (above the threshold)" : "normal").className = "verdict";
          body.append(row);
        }
        setState(
          status,
          "done",
          `${count} image(s) scored, ${anomalous.filter(Boolean).length} above the threshold ` +
            `${threshold.threshold.toFixed(4)}.`,
        );
      } catch (e) {
        setState(status, "error", `Error: ${(e as Error).message}`);
      }
    });
  };
  const input = $<HTMLInputElement>("own-files");
  input.addEventListener("change", () => check([...(input.files ?? [])]));
  const drop = $("own-drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    check([...(e.dataTransfer?.files ?? [])]);
  });
}

// ---------------------------------------------------------------------------------------
// Training in the page

const trainingSets = new Map<number, Promise<ImageSet>>();

function trainingSet(count: number): Promise<ImageSet> {
  let set = trainingSets.get(count);
  if (!set) {
    set = loadMnistFromUrl(DATA_URL, { trainLimit: count, testLimit: 0 }).then((d) => d.train);
    trainingSets.set(count, set);
    set.catch(() => trainingSets.delete(count));
  }
  return set;
}

function drawCurve(canvas: HTMLCanvasElement, series: { values: number[]; color: string }[]) {
  const ctx = canvas.getContext("2d")!;
  const { width, height } = canvas;
  const pad = { left: 52, right: 12, top: 12, bottom: 28 };
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  if (all.length === 0) return;
  const epochs = Math.max(1, ...series.map((s) => s.values.length - 1));
  let [low, high] = [Math.min(...all), Math.max(...all)];
  if (high - low < 1e-6) [low, high] = [low - 0.01, high + 0.01];
  const x = (i: number) => pad.left + (width - pad.left - pad.right) * i / epochs;
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (high - v) / (high - low);
  ctx.strokeStyle = "#999";
  ctx.fillStyle = "#333";
  ctx.font = "11px sans-serif";
  ctx.beginPath();
  ctx.moveTo(pad.left, pad.top);
  ctx.lineTo(pad.left, height - pad.bottom);
  ctx.lineTo(width - pad.right, height - pad.bottom);
  ctx.stroke();
  for (const v of [low, (low + high) / 2, high]) ctx.fillText(v.toFixed(3), 4, y(v) + 4);
  ctx.fillText("epoch", width - pad.right - 32, height - 8);
  for (let i = 0; i <= epochs; i++) ctx.fillText(String(i), x(i) - 3, height - pad.bottom + 14);
  for (const { values, color } of series) {
    ctx.strokeStyle = ctx.fillStyle = color;
    ctx.lineWidth = 2;
    const points = values.flatMap((v, i) => (Number.isFinite(v) ? [[x(i), y(v)]] : []));
    ctx.beginPath();
    points.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.stroke();
    for (const [px, py] of points) ctx.fillRect(px - 2, py - 2, 4, 4);
  }
}

async function setUpTraining(test: ImageSet): Promise<void> {
  const status = $("train-status");
  const button = $<HTMLButtonElement>("train-button");
  const gpu = await hasWebGpu();
  const auto = $<HTMLSelectElement>("train-provider").querySelector('option[value="auto"]')!;
  auto.textContent = `auto: ${gpu ? "WebGPU" : "wasm (this browser has no WebGPU)"}`;
  setState(
    status,
    "ready",
    `Ready. WebGPU is ${gpu ? "available" : "not available in this browser"}.`,
  );
  button.disabled = false;

  const shown = 8;
  const originals = test.images.subarray(0, shown * PIXELS);

  button.addEventListener("click", async () => {
    button.disabled = true;
    const log = $("train-log");
    log.textContent = "";
    const losses: number[] = [], valLosses: number[] = [], reconErrors: number[] = [];
    let model: Autoencoder | undefined;
    try {
      const kind = $<HTMLSelectElement>("train-model").value;
      const chosen = $<HTMLSelectElement>("train-provider").value;
      const provider = chosen === "auto" ? (gpu ? "webgpu" : "wasm") : chosen as "webgpu" | "wasm";
      const samples = Number($<HTMLInputElement>("train-samples").value);
      const batchSize = Number($<HTMLInputElement>("train-batch").value);
      const epochs = Number($<HTMLInputElement>("train-epochs").value);
      const validationCount = Number($<HTMLInputElement>("train-validation").value);
      const validation = test.images.subarray(0, Math.min(test.count, validationCount) * PIXELS);
      setState(status, "loading", `Fetching ${samples} training digits…`);
      const train = await trainingSet(samples);
      model = kind === "conv"
        ? new ConvAutoencoder({ seed: 0, provider })
        : new UndercompleteAutoencoder({ seed: 0, provider });
      status.dataset.provider = provider;
      $("train-backend").textContent = `Training the ${kind} model on ${
        provider === "webgpu" ? "WebGPU" : "wasm"
      }${provider === "wasm" && !gpu ? " (this browser has no WebGPU)" : ""}: ${model.backend}`;

      const grid = $("train-recon");
      grid.replaceChildren();
      const showReconstructions = async (epoch: number) => {
        const out = await model!.predict(originals);
        let error = 0;
        for (let i = 0; i < out.length; i++) error += (out[i] - originals[i]) ** 2;
        reconErrors.push(error / out.length);
        const row = document.createElement("div");
        row.className = "recon-row";
        row.dataset.epoch = String(epoch);
        const label = document.createElement("span");
        label.textContent = epoch === 0 ? "untrained" : `epoch ${epoch}`;
        row.append(label);
        for (let i = 0; i < shown; i++) {
          row.append(digitCanvas(out.subarray(i * PIXELS, (i + 1) * PIXELS)));
        }
        grid.append(row);
        if (grid.children.length > 6) grid.children[1].remove(); // keep originals, untrained, latest
      };
      const originalsRow = document.createElement("div");
      originalsRow.className = "recon-row";
      originalsRow.append(
        Object.assign(document.createElement("span"), { textContent: "originals" }),
      );
      for (let i = 0; i < shown; i++) {
        originalsRow.append(digitCanvas(originals.subarray(i * PIXELS, (i + 1) * PIXELS)));
      }
      grid.append(originalsRow);

      setState(status, "training", "Evaluating the untrained model…");
      valLosses.push(await model.evaluate(validation));
      await showReconstructions(0);
      const curve = $<HTMLCanvasElement>("loss-curve");
      const redraw = () =>
        drawCurve(curve, [
          { values: [NaN, ...losses], color: "#1f77b4" }, // training loss from epoch 1
          { values: valLosses, color: "#ff7f0e" }, // validation loss from epoch 0
        ]);
      redraw();
      setState(status, "training", `Training on ${train.count} digits…`);
      await model.fit(train, {
        epochs,
        batchSize,
        validationData: validation,
        onEpochEnd: async ({ epoch, loss, valLoss, seconds }) => {
          losses.push(loss);
          valLosses.push(valLoss!);
          status.dataset.losses = JSON.stringify(losses);
          status.dataset.valLosses = JSON.stringify(valLosses);
          const line = `epoch ${epoch + 1}/${epochs}: loss ${loss.toFixed(4)}, ` +
            `validation ${valLoss!.toFixed(4)} (${seconds.toFixed(1)} s, ${
              Math.round(train.count / seconds)
            } samples/s)\n`;
          log.textContent += line;
          redraw();
          await showReconstructions(epoch + 1);
          status.dataset.reconErrors = JSON.stringify(reconErrors);
        },
      });
      status.dataset.reconErrors = JSON.stringify(reconErrors);
      setState(
        status,
        "done",
        `Done: loss ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)} on ${provider}`,
      );
    } catch (e) {
      setState(status, "error", `Error: ${(e as Error).message}`);
      console.error(e);
    } finally {
      await model?.dispose();
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  $("runtime").textContent = webRuntime.name;
  const pretrained = $("pretrained-status");
  setState(pretrained, "loading", "Loading the test digits and the pretrained models…");
  // These two need no MNIST files: they start at once.
  const generator = setUpVae().catch((e) =>
    setState($("vae-status"), "error", `Error: ${(e as Error).message}`)
  );
  const own = setUpOwnImages().catch((e) =>
    setState($("own-status"), "error", `Error: ${(e as Error).message}`)
  );
  let test: ImageSet;
  try {
    test = (await loadMnistFromUrl(DATA_URL, { trainLimit: 0, testLimit: 1000 })).test;
  } catch (e) {
    setState(pretrained, "error", `Error: ${(e as Error).message}`);
    setState($("train-status"), "error", `Error: ${(e as Error).message}`);
    throw e;
  }
  await Promise.all([
    setUpPretrained(test).catch((e) => {
      setState(pretrained, "error", `Error: ${(e as Error).message}`);
      throw e;
    }),
    generator,
    own,
    setUpTraining(test),
  ]);
}

await main();
