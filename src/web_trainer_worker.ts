/**
 * The worker side of {@link WorkerTrainer} (bundled as `dist/web/trainer-worker.js`):
 * it owns the onnxruntime-web sessions of one training run at a time, reports every
 * batch and epoch, and yields to its message queue between steps so that a stop
 * arrives at the next step.
 *
 * ORT-web starts its WebAssembly threads by loading this same script as workers
 * named `em-pthread`; there the script leaves the messages to ORT-web.
 *
 * @module
 */

import { blogModel } from "../models/registry.ts";
import { UndercompleteAutoencoder } from "../models/undercomplete.ts";
import type { Autoencoder } from "./autoencoder.ts";
import { chooseProvider } from "./runtime/providers.ts";
import { configureWebRuntime, ortWebThreads, webRuntime } from "./web.ts";
import type { FromTrainerWorker, ToTrainerWorker, WorkerTrainRequest } from "./web_trainer.ts";

/** What this module needs of the worker's global scope. */
interface WorkerScope {
  name: string;
  onmessage: ((event: MessageEvent<ToTrainerWorker>) => void) | null;
  postMessage(message: FromTrainerWorker): void;
}

const scope = globalThis as unknown as WorkerScope;
/** Progress messages at most this often (ms); the worker reads its messages as often. */
const EVERY_MS = 100;

let stop: AbortController | undefined;

/** A macrotask: lets the worker read the messages that arrived (a stop). */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function train(request: WorkerTrainRequest): Promise<void> {
  const chosen = await chooseProvider(webRuntime, request.provider ?? "auto");
  const entry = blogModel(request.model, "train");
  const model: Autoencoder = entry.create({
    seed: request.seed ?? 0,
    provider: chosen.provider,
    spinning: request.spinning,
  });
  const preview = async () =>
    request.preview?.length ? await model.predict(request.preview) : undefined;
  stop = new AbortController();
  try {
    scope.postMessage({
      type: "start",
      start: { backend: model.backend, provider: chosen.summary, threads: ortWebThreads() },
    });
    const valLoss = request.validationData && await model.evaluate(request.validationData);
    scope.postMessage({
      type: "epoch",
      report: { epochs: 0, valLoss, reconstructions: await preview() },
    });
    let last = performance.now();
    const history = await model.fit(request.data, {
      epochs: request.epochs ?? 1,
      batchSize: request.batchSize ?? entry.batchSize,
      validationData: request.validationData,
      signal: stop.signal,
      onBatchEnd: async (logs) => {
        const now = performance.now();
        if (now - last < EVERY_MS && logs.samples < logs.total) return;
        last = now;
        scope.postMessage({ type: "batch", logs });
        await yieldToMessages();
      },
      onEpochEnd: async (logs) => {
        const report = { epochs: logs.epoch + 1, logs, valLoss: logs.valLoss };
        scope.postMessage({
          type: "epoch",
          report: { ...report, reconstructions: await preview() },
        });
      },
    });
    const onnx = {
      autoencoder: model.toOnnx("autoencoder"),
      encoder: model.toOnnx("encoder"),
      decoder: model.toOnnx("decoder"),
    };
    scope.postMessage({ type: "done", result: { history, stopped: stop.signal.aborted, onnx } });
  } finally {
    stop = undefined;
    await model.dispose();
  }
}

/** Loads ORT-web now (its WebAssembly compiled, its threads started): opens and closes a small session. */
async function warmUp(): Promise<void> {
  const bytes = new UndercompleteAutoencoder({ provider: "wasm" }).toOnnx("encoder");
  const session = await webRuntime.createSession(bytes, { provider: "wasm" });
  await session.release();
}

function onMessage({ data }: MessageEvent<ToTrainerWorker>): void {
  if (data.type === "configure") {
    configureWebRuntime({ numThreads: data.numThreads, wasmPaths: data.wasmPaths });
    warmUp().then(
      () => scope.postMessage({ type: "ready" }),
      (e) => scope.postMessage({ type: "ready", error: (e as Error).message ?? String(e) }),
    );
  } else if (data.type === "stop") {
    stop?.abort();
  } else {
    train(data.request).catch((e) =>
      scope.postMessage({ type: "error", message: (e as Error).message ?? String(e) })
    );
  }
}

if (!scope.name?.startsWith("em-pthread")) scope.onmessage = onMessage;
