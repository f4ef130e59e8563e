/// <reference lib="dom" />
/**
 * Your own images: dropped or chosen files, brought to MNIST's form (strokes scaled
 * to 20 × 20, centred by mass in 28 × 28), reconstructed by every model in the table
 * above and scored by a one-class model trained on the digit 0 (opened on first use).
 *
 * @module
 */

import { ConvAutoencoder, type Provider } from "../../src/web.ts";
import { $, digitCanvas, PIXELS, setState, toMnist } from "./canvas.ts";
import { fetchBytes, MODELS_URL } from "./models.ts";
import type { Reconstructions } from "./pretrained.ts";

/** Decodes an image file and brings it to MNIST's form. */
async function prepare(file: File): Promise<Float32Array> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (cause) {
    throw new Error(`"${file.name}" is not an image this browser can decode`, { cause });
  }
  const x = toMnist(bitmap, bitmap.width, bitmap.height);
  bitmap.close();
  if (!x) throw new Error(`"${file.name}" is blank: it holds no strokes to centre`);
  return x;
}

/** The one-class model and its threshold. */
async function openOneClass(provider: Provider) {
  const model = new ConvAutoencoder({ provider });
  model.loadOnnx(
    await fetchBytes(`${MODELS_URL}oneclass-mnist-0/model.onnx`),
    "oneclass-mnist-0/model.onnx",
  );
  const threshold = model.anomaly.threshold;
  if (!threshold) throw new Error("oneclass-mnist-0/model.onnx has no threshold in its metadata");
  return { model, threshold };
}

type OneClass = Awaited<ReturnType<typeof openOneClass>>;

/**
 * Wires the drop zone and the file input.
 *
 * @param provider The provider of the one-class model.
 * @param table The reconstruction table, which shows the first image.
 */
export function setUpOwnImages(provider: Provider, table: Reconstructions): void {
  const status = $("own-status");
  let oneClass: Promise<OneClass> | undefined;
  let busy = Promise.resolve();
  const check = (files: File[]) => {
    busy = busy.catch(() => {}).then(async () => { // one batch of files at a time
      if (files.length === 0) return;
      setState(status, "busy", `Scoring ${files.length} image(s)…`);
      try {
        oneClass ??= openOneClass(provider);
        await score(files, await oneClass, table);
      } catch (e) {
        setState(status, "error", `Error: ${(e as Error).message}`);
      }
    });
  };
  const input = $<HTMLInputElement>("own-files");
  input.addEventListener("change", () => check([...(input.files ?? [])]));
  const drop = $("own");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    $("own-drop").classList.add("over");
  });
  drop.addEventListener("dragleave", () => $("own-drop").classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    $("own-drop").classList.remove("over");
    check([...(e.dataTransfer?.files ?? [])]);
  });
  setState(status, "ready", "Choose or drop images of digits.");
}

/** Scores the files with the one-class model: a row each, the first shown in the table. */
async function score(files: File[], { model, threshold }: OneClass, table: Reconstructions) {
  const status = $("own-status");
  status.dataset.threshold = String(threshold.threshold);
  const prepared = await Promise.all(files.map(prepare));
  const images = new Float32Array(prepared.length * PIXELS);
  prepared.forEach((x, i) => images.set(x, i * PIXELS));
  const { scores, anomalous } = await model.detect(images);
  const reconstructions = await model.predict(images);
  $("own-results").querySelector("tbody")!.replaceChildren(
    ...files.map((file, i) =>
      resultRow(file.name, prepared[i], reconstructions.subarray(i * PIXELS, (i + 1) * PIXELS), {
        score: scores[i],
        anomalous: anomalous[i],
        showAbove: () => table.show(prepared[i], `"${file.name}"`),
      })
    ),
  );
  setState(
    status,
    "done",
    `${files.length} image(s) scored, ${anomalous.filter(Boolean).length} above the ` +
      `threshold ${threshold.threshold.toFixed(4)} (${model.anomaly.score}, percentile ` +
      `${threshold.value} of the training zeros' scores). The first is shown above.`,
  );
  await table.show(prepared[0], `"${files[0].name}"`);
}

/** One image's row: name, image, reconstruction, score, verdict, a button to show it above. */
function resultRow(
  name: string,
  image: Float32Array,
  reconstruction: Float32Array,
  { score, anomalous, showAbove }: { score: number; anomalous: boolean; showAbove: () => void },
): HTMLTableRowElement {
  const row = document.createElement("tr");
  row.dataset.score = String(score);
  row.dataset.anomalous = String(anomalous);
  if (anomalous) row.className = "anomalous";
  const cell = (...content: (Node | string)[]) => {
    const td = document.createElement("td");
    td.append(...content);
    row.append(td);
    return td;
  };
  const button = Object.assign(document.createElement("button"), {
    type: "button",
    textContent: "Show above",
    title: "Reconstruct it with every model in the table above",
  });
  button.addEventListener("click", showAbove);
  cell(name);
  cell(digitCanvas(image, "digit big"));
  cell(digitCanvas(reconstruction, "digit big"));
  cell(score.toFixed(4));
  cell(anomalous ? "anomalous (above the threshold)" : "normal").className = "verdict";
  cell(button);
  return row;
}
