/// <reference lib="dom" />
/**
 * The reconstruction table: pick a test digit, draw one or bring an image, and see
 * what each pretrained model, and the model trained in the page, makes of it.
 *
 * @module
 */

import type { ImageSet, Provider } from "../../src/web.ts";
import { $, digitCanvas, drawCode, drawGray, PIXELS, setState, toMnist } from "./canvas.ts";
import { addNoise, type PageModel, PRETRAINED, pretrained } from "./models.ts";

/** The table: show a digit, and take or drop the model trained in the page. */
export interface Reconstructions {
  /** Shows a digit's reconstruction by every model (one at a time, in order). */
  show(x: Float32Array, label: string): Promise<void>;
  /** Adds (or replaces) the model trained in the page, shown in the row "yours". */
  setYours(model: PageModel, note: string): Promise<void>;
  /** Settles once the first digit is shown (the models' sessions have opened). */
  first: Promise<void>;
}

/**
 * Wires the table, the digit picker and the drawing canvas.
 *
 * @param test The test digits to pick from.
 * @param provider The provider the models' sessions open on.
 * @returns The table's controls.
 */
export function setUpReconstructions(test: ImageSet, provider: Provider): Reconstructions {
  const status = $("pretrained-status");
  const models: PageModel[] = PRETRAINED.map(({ name, input }) =>
    pretrained(name, input, provider)
  );
  let yours: PageModel | undefined;
  let current: { x: Float32Array; label: string } | undefined;
  let busy = Promise.resolve();

  const show = (x: Float32Array, label: string) => {
    current = { x, label };
    busy = busy.catch(() => {}).then(async () => { // one at a time, after errors too
      setState(status, "busy", `Reconstructing ${label}…`);
      drawGray($<HTMLCanvasElement>("input"), x);
      const all = yours ? [...models, yours] : models;
      for (const model of all) model.open().catch(() => {}); // all at once; errors shown per row
      for (const model of all) await showRow(model, x);
      status.dataset.digit = label;
      setState(status, "done", `Showing ${label}`);
    });
    return busy;
  };

  // The first 20 test digits to pick from, and a random one; the picked one is highlighted.
  const picker = $("digits");
  const pick = (index: number) => {
    for (const b of picker.querySelectorAll("button")) {
      b.setAttribute("aria-pressed", String(b.dataset.index === String(index)));
    }
    return show(test.images.slice(index * PIXELS, (index + 1) * PIXELS), `test digit #${index}`);
  };
  for (let i = 0; i < Math.min(20, test.count); i++) picker.append(pickButton(test, i, pick));
  $("random-digit").addEventListener("click", () => pick(Math.floor(Math.random() * test.count)));
  setUpDrawing((x) => {
    for (const b of picker.querySelectorAll("button")) b.setAttribute("aria-pressed", "false");
    show(x, "your drawing");
  });
  const first = pick(0);

  return {
    first,
    show: (x, label) => {
      for (const b of picker.querySelectorAll("button")) b.setAttribute("aria-pressed", "false");
      return show(x, label);
    },
    async setYours(model, note) {
      await yours?.close();
      yours = model;
      const row = document.querySelector<HTMLElement>(`tr[data-model="yours"]`)!;
      row.hidden = false;
      row.querySelector(".note")!.textContent = note;
      if (current) await show(current.x, current.label);
    },
  };
}

/** Shows a model's code and reconstruction of a digit in its row (the noisy input too, for the denoiser). */
async function showRow(model: PageModel, x: Float32Array): Promise<void> {
  const row = document.querySelector<HTMLElement>(`tr[data-model="${model.name}"]`)!;
  try {
    const source = model.name === "denoising" ? addNoise(x, 1) : x;
    if (model.name === "denoising") drawGray($<HTMLCanvasElement>("noisy-denoising"), source);
    const { code, codeDims, output } = await model.reconstruct(source);
    drawGray($<HTMLCanvasElement>(`recon-${model.name}`), output);
    drawCode($<HTMLCanvasElement>(`code-${model.name}`), code, codeDims);
    setState(row, "ready");
  } catch (e) {
    setState(row, "missing");
    row.querySelector(".note")!.textContent = `not available (${(e as Error).message})`;
  }
}

/** The picker's button for test digit `i`. */
function pickButton(test: ImageSet, i: number, pick: (i: number) => void): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "pick";
  button.dataset.index = String(i);
  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-label", `Test digit #${i}, a ${test.labels[i]}`);
  button.title = `Test digit #${i} (a ${test.labels[i]})`;
  button.append(digitCanvas(test.images.subarray(i * PIXELS, (i + 1) * PIXELS)));
  button.addEventListener("click", () => pick(i));
  return button;
}

/** Strokes on the 280×280 drawing canvas, brought to MNIST's form when the pointer lifts. */
function setUpDrawing(onDigit: (x: Float32Array) => void): void {
  const canvas = $<HTMLCanvasElement>("draw");
  const hint = $("draw-hint");
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    hint.hidden = false;
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
    hint.hidden = true;
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
    const x = toMnist(canvas, canvas.width, canvas.height);
    if (x) onDigit(x);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  $("clear-drawing").addEventListener("click", clear);
}
