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
  WorkerTrainer,
  type WorkerTrainRequest,
} from "../../src/web.ts";
import { $, PIXELS, setState, whenVisible } from "./canvas.ts";
import { INPUT_SHAPES, PageModel } from "./models.ts";
import type { Reconstructions } from "./pretrained.ts";
import { loadModel, type SavedModel, saveModel } from "./store.ts";
import { RunView } from "./train_view.ts";

const DATA_URL = "data/mnist/";
/** Test digits reconstructed after each epoch. */
const SHOWN = 8;

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

/** The form's inputs and what it keeps between runs. */
interface Form {
  /** The test digits (validation and the reconstructions shown). */
  test: ImageSet;
  /** The first test digits, reconstructed after each epoch. */
  originals: Float32Array;
  provider: Provider;
  table: Reconstructions;
  threads: number;
  /** The worker, started when the section comes near the viewport or on Train. */
  trainer?: WorkerTrainer;
  /** The model last trained, or loaded from this browser: what Save keeps. */
  latest?: SavedModel;
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
  const form: Form = {
    test,
    originals: test.images.slice(0, SHOWN * PIXELS),
    provider,
    table,
    threads,
  };
  await restoreSaved(form);
  $("save-button").addEventListener("click", () => save(form));
  // The worker starts (and compiles ORT-web) once the section comes near the viewport.
  whenVisible($("train"), () => startWorker(form));
  const button = $<HTMLButtonElement>("train-button");
  setState($("train-status"), "ready", "Ready.");
  button.disabled = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await train(form);
    } catch (e) {
      setState($("train-status"), "error", `Error: ${(e as Error).message}`);
      console.error(e);
    } finally {
      $<HTMLButtonElement>("stop-button").disabled = true;
      button.disabled = false;
    }
  });
}

/** Shows the model saved in this browser, if there is one. */
async function restoreSaved(form: Form): Promise<void> {
  const saved = await loadModel().catch(() => undefined);
  if (!saved) return;
  form.latest = saved;
  $("saved-status").textContent = `Loaded the ${saved.kind} model saved in this browser on ${
    new Date(saved.savedAt).toLocaleString()
  }.`;
  await useModel(saved, form.provider, form.table);
}

/** Keeps the latest model in this browser (the Save button). */
async function save(form: Form): Promise<void> {
  if (!form.latest) return;
  try {
    await saveModel({ ...form.latest, savedAt: new Date().toISOString() });
    $("saved-status").textContent = "Saved in this browser: it loads on your next visit.";
  } catch (e) {
    $("saved-status").textContent = `Cannot save: ${(e as Error).message}`;
  }
}

/** Starts the worker once. */
function startWorker(form: Form): WorkerTrainer {
  if (!form.trainer) {
    form.trainer = new WorkerTrainer({ numThreads: form.threads });
    form.trainer.ready.then(() => ($("train-status").dataset.worker = "ready"), () => {});
  }
  return form.trainer;
}

/** The run the form asks for. */
function request(form: Form, data: ImageSet): WorkerTrainRequest {
  const value = (id: string) => $<HTMLInputElement>(id).value;
  const validation = Math.min(form.test.count, Number(value("train-validation")));
  return {
    model: value("train-model") as BlogModelName,
    seed: 0,
    provider: value("train-provider") as ProviderChoice,
    data,
    validationData: form.test.images.subarray(0, validation * PIXELS),
    preview: form.originals,
    epochs: Number(value("train-epochs")),
    batchSize: Number(value("train-batch")),
    spinning: new URLSearchParams(location.search).get("spinning") !== "false",
  };
}

/** One run: fetches the digits, trains in the worker (Stop ends it), then uses the model. */
async function train(form: Form): Promise<void> {
  const status = $("train-status"), stopButton = $<HTMLButtonElement>("stop-button");
  const samples = Number($<HTMLInputElement>("train-samples").value);
  setState(status, "loading", `Fetching ${samples} training digits…`);
  const data = await trainingSet(samples);
  const asked = request(form, data);
  const view = new RunView(asked.model, asked.epochs!, form.originals);
  const trainer = startWorker(form);
  setState(status, "training", "Starting the worker…");
  const run = trainer.train(asked, {
    onStart: (start) => view.start(start, data.count),
    onBatchEnd: (logs) => view.batch(logs),
    onEpochEnd: (report) => view.epoch(report),
  });
  stopButton.disabled = false;
  stopButton.onclick = () => {
    stopButton.disabled = true;
    setState(status, "stopping", "Stopping at the next step…");
    run.stop();
  };
  const { stopped, onnx } = await run.result;
  form.latest = { kind: asked.model, savedAt: new Date().toISOString(), losses: view.losses, onnx };
  $("saved-status").textContent = "";
  view.end(stopped);
  await useModel(form.latest, form.provider, form.table);
}
