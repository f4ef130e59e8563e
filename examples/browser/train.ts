/// <reference lib="dom" />
/**
 * Training in the page, in a Web Worker (the library's `WorkerTrainer`): progress
 * within each epoch, a Stop button, the loss curve and reconstructions after every
 * epoch; then the trained model joins the reconstruction table, and can be
 * downloaded as ONNX or kept in this browser.
 *
 * @module
 */

import {
  type BlogModelName,
  type ImageSet,
  loadMnistFromUrl,
  type Provider,
  type ProviderChoice,
  type WorkerEpoch,
  WorkerTrainer,
  type WorkerTrainResult,
} from "../../src/web.ts";
import { $, digitCanvas, PIXELS, setState, whenVisible } from "./canvas.ts";
import { drawChart } from "./chart.ts";
import { INPUT_SHAPES, PageModel } from "./models.ts";
import type { Reconstructions } from "./pretrained.ts";
import { loadModel, type SavedModel, saveModel } from "./store.ts";

const DATA_URL = "data/mnist/";
/** Test digits reconstructed after each epoch. */
const SHOWN = 8;
/** Rows of epochs kept under the originals and the untrained row. */
const EPOCH_ROWS = 4;

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

/** A row of digits with a label. */
function digitRow(label: string, images: Float32Array, epoch?: number): HTMLElement {
  const row = document.createElement("div");
  row.className = "recon-row";
  if (epoch !== undefined) row.dataset.epoch = String(epoch);
  row.append(Object.assign(document.createElement("span"), { textContent: label }));
  for (let i = 0; i < images.length / PIXELS; i++) {
    row.append(digitCanvas(images.subarray(i * PIXELS, (i + 1) * PIXELS)));
  }
  return row;
}

/** Offers the trained model's parts as downloads and in the table. */
async function useModel(saved: SavedModel, provider: Provider, table: Reconstructions) {
  for (const part of ["autoencoder", "encoder", "decoder"] as const) {
    const link = $<HTMLAnchorElement>(`download-${part}`);
    if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(
      new Blob([saved.onnx[part] as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }),
    );
    link.download = `${saved.kind}-${part === "autoencoder" ? "model" : part}.onnx`;
  }
  $("use-trained").hidden = false;
  const parts = () => Promise.resolve([saved.onnx.encoder, saved.onnx.decoder]);
  const model = new PageModel("yours", INPUT_SHAPES[saved.kind], parts as never, provider);
  await table.setYours(
    model,
    `${saved.kind}, trained in this page (${saved.losses.length} epochs, final loss ${
      saved.losses.at(-1)?.toFixed(4) ?? "?"
    })`,
  );
}

/**
 * Wires the training form.
 *
 * @param test The test digits (validation and the reconstructions shown).
 * @param provider The provider the page's own sessions use (for the trained model).
 * @param table The reconstruction table, which the trained model joins.
 * @param threads ORT-web's threads in the worker.
 */
export async function setUpTraining(
  test: ImageSet,
  provider: Provider,
  table: Reconstructions,
  threads: number,
): Promise<void> {
  const status = $("train-status"), button = $<HTMLButtonElement>("train-button");
  const stopButton = $<HTMLButtonElement>("stop-button");
  const originals = test.images.slice(0, SHOWN * PIXELS);
  let trainer: WorkerTrainer | undefined;
  let latest: SavedModel | undefined;

  const saved = await loadModel().catch(() => undefined);
  if (saved) {
    latest = saved;
    $("saved-status").textContent = `Loaded the ${saved.kind} model saved in this browser on ${
      new Date(saved.savedAt).toLocaleString()
    }.`;
    await useModel(saved, provider, table);
  }
  $("save-button").addEventListener("click", async () => {
    if (!latest) return;
    try {
      await saveModel({ ...latest, savedAt: new Date().toISOString() });
      $("saved-status").textContent = "Saved in this browser: it loads on your next visit.";
    } catch (e) {
      $("saved-status").textContent = `Cannot save: ${(e as Error).message}`;
    }
  });
  // The worker starts (and compiles ORT-web) once the section comes near the viewport.
  const startWorker = () => {
    if (trainer) return;
    trainer = new WorkerTrainer({ numThreads: threads });
    trainer.ready.then(() => (status.dataset.worker = "ready"), () => {});
  };
  whenVisible($("train"), startWorker);
  setState(status, "ready", "Ready.");
  button.disabled = false;

  button.addEventListener("click", async () => {
    button.disabled = true;
    const log = $("train-log"), grid = $("train-recon");
    log.textContent = "";
    const losses: number[] = [], valLosses: number[] = [], reconErrors: number[] = [];
    const kind = $<HTMLSelectElement>("train-model").value as BlogModelName;
    const epochs = Number($<HTMLInputElement>("train-epochs").value);
    const redraw = () =>
      drawChart($<HTMLCanvasElement>("loss-curve"), [
        { values: [NaN, ...losses], color: "#1f77b4" }, // training loss from epoch 1
        { values: valLosses, color: "#ff7f0e" }, // validation loss from epoch 0
      ]);
    try {
      const samples = Number($<HTMLInputElement>("train-samples").value);
      const validationCount = Math.min(
        test.count,
        Number($<HTMLInputElement>("train-validation").value),
      );
      setState(status, "loading", `Fetching ${samples} training digits…`);
      const data = await trainingSet(samples);
      startWorker();
      grid.replaceChildren(digitRow("originals", originals));
      setState(status, "training", "Starting the worker…");
      const run = trainer!.train({
        model: kind,
        seed: 0,
        provider: $<HTMLSelectElement>("train-provider").value as ProviderChoice,
        data,
        validationData: test.images.subarray(0, validationCount * PIXELS),
        preview: originals,
        epochs,
        batchSize: Number($<HTMLInputElement>("train-batch").value),
        spinning: new URLSearchParams(location.search).get("spinning") !== "false",
      }, {
        onStart: ({ backend, provider: why, threads }) => {
          status.dataset.provider = backend.match(/\((\w+)/)?.[1] ?? "";
          $("train-backend").textContent = `Training the ${kind} model in a worker on ${why}, ` +
            `${threads} thread(s): ${backend}`;
          setState(status, "training", `Training on ${data.count} digits…`);
        },
        onBatchEnd: ({ epoch, samples: done, total, seconds }) => {
          const progress = $<HTMLProgressElement>("train-progress");
          progress.max = total * epochs;
          progress.value = (epoch % epochs) * total + done;
          $("train-rate").textContent = `epoch ${losses.length + 1}/${epochs}: ${done}/${total} ` +
            `digits, ${Math.round(done / seconds)} samples/s`;
        },
        onEpochEnd: onEpoch,
      });
      stopButton.disabled = false;
      stopButton.onclick = () => {
        stopButton.disabled = true;
        setState(status, "stopping", "Stopping at the next step…");
        run.stop();
      };
      const result = await run.result;
      await finish(result);
    } catch (e) {
      setState(status, "error", `Error: ${(e as Error).message}`);
      console.error(e);
    } finally {
      stopButton.disabled = true;
      button.disabled = false;
    }

    function onEpoch({ epochs: epoch, logs, valLoss, reconstructions }: WorkerEpoch) {
      const out = reconstructions!;
      let error = 0;
      for (let i = 0; i < out.length; i++) error += (out[i] - originals[i]) ** 2;
      reconErrors.push(error / out.length);
      if (logs) {
        losses.push(logs.loss);
        const rate = Math.round((logs.samples ?? 0) / logs.seconds);
        log.textContent += `epoch ${logs.epoch + 1}/${epochs}: loss ${logs.loss.toFixed(4)}, ` +
          `validation ${logs.valLoss!.toFixed(4)} (${
            logs.seconds.toFixed(1)
          } s, ${rate} samples/s` +
          `${logs.stopped ? `, stopped after ${logs.samples} digits` : ""})\n`;
      }
      valLosses.push(valLoss ?? NaN);
      status.dataset.losses = JSON.stringify(losses);
      status.dataset.valLosses = JSON.stringify(valLosses);
      status.dataset.reconErrors = JSON.stringify(reconErrors);
      grid.append(digitRow(epoch === 0 ? "untrained" : `epoch ${epoch}`, out, epoch));
      // Keep the originals, the untrained row and the latest epochs.
      while (grid.children.length > 2 + EPOCH_ROWS) grid.children[2].remove();
      redraw();
    }

    async function finish(result: WorkerTrainResult) {
      latest = { kind, savedAt: new Date().toISOString(), losses, onnx: result.onnx };
      $("saved-status").textContent = "";
      const how = result.stopped ? "Stopped" : "Done";
      setState(
        status,
        result.stopped ? "stopped" : "done",
        `${how}: loss ${losses[0]?.toFixed(4) ?? "?"} → ${losses.at(-1)?.toFixed(4) ?? "?"}. ` +
          "Your model now reconstructs in the table above.",
      );
      await useModel(latest, provider, table);
    }
  });
}
