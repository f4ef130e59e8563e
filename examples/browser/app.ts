/// <reference lib="dom" />
/**
 * The example page's script (bundled into `dist/web/app.js` by `deno task build:web`):
 * pick, draw or bring a digit and see what the pretrained models (and the model
 * trained in the page) make of it, move over the latent plane of the pretrained VAE,
 * score your own images with a one-class model, and train a model in a Web Worker.
 *
 * The provider is the library's `"auto"` unless the page's menu (`?provider=`) says
 * otherwise; ORT-web runs one thread per core where the page is cross-origin isolated.
 *
 * Elements the tests read: `#pretrained-status`, `#vae-status`, `#own-status` and
 * `#train-status` carry `data-state` (`loading`, `ready`, `busy`, `training`,
 * `stopping`, `done`, `stopped`, `error`), and `#train-status` `data-worker="ready"` once the
 * trainer's worker has loaded ORT-web; `#threads` `data-threads` (asked for) and
 * `data-ort-threads` (what ORT-web runs with, once loaded), `#provider-info`
 * `data-provider`; `#vae-output` `data-z`; the rows of `#own-results` `data-score` and
 * `data-anomalous`; the canvases hold images at their real size (28×28 for digits).
 *
 * @module
 */

import {
  chooseProvider,
  configureWebRuntime,
  loadMnistFromUrl,
  ortWebThreads,
  type ProviderChoice,
  webRuntime,
  webThreads,
} from "../../src/web.ts";
import { $, setState, whenVisible } from "./canvas.ts";
import { prefetchPretrained } from "./models.ts";
import { setUpOwnImages } from "./own.ts";
import { setUpReconstructions } from "./pretrained.ts";
import { setUpTraining } from "./train.ts";
import { setUpVae } from "./vae.ts";

const CHOICES: ProviderChoice[] = ["auto", "wasm", "webgpu"];

/** The provider menu's choice (from `?provider=`), resolved as the library resolves it. */
async function pickProvider() {
  const asked = new URLSearchParams(location.search).get("provider") ?? "auto";
  const choice = CHOICES.includes(asked as ProviderChoice) ? asked as ProviderChoice : "auto";
  const menu = $<HTMLSelectElement>("provider");
  menu.value = choice;
  menu.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("provider", menu.value);
    location.assign(url);
  });
  $<HTMLSelectElement>("train-provider").value = choice;
  const chosen = await chooseProvider(webRuntime, choice);
  const info = $("provider-info");
  info.dataset.provider = chosen.provider;
  info.textContent = chosen.summary;
  return chosen.provider;
}

/** ORT-web's threads: `webThreads()`, or fewer where `?threads=N` asks (for measuring). */
function pickThreads() {
  const { threads, reason } = webThreads();
  const asked = Number(new URLSearchParams(location.search).get("threads"));
  return Number.isInteger(asked) && asked >= 1 && asked < threads
    ? { threads: asked, reason: `?threads=${asked} in the address (${reason})` }
    : { threads, reason };
}

async function main(): Promise<void> {
  const { threads, reason } = pickThreads();
  configureWebRuntime({ numThreads: threads });
  const shown = $("threads");
  shown.dataset.threads = String(threads);
  shown.textContent = `${threads} (${reason})`;
  $("runtime").textContent = webRuntime.name;
  const status = $("pretrained-status");
  setState(status, "loading", "Loading the test digits…");
  try {
    prefetchPretrained();
    const [provider, { test }] = await Promise.all([
      pickProvider(),
      loadMnistFromUrl("data/mnist/", { trainLimit: 0, testLimit: 1000 }),
    ]);
    const table = setUpReconstructions(test, provider);
    table.first.then(() => { // what ORT-web really runs with, now that it has loaded
      shown.dataset.ortThreads = String(ortWebThreads());
      if (ortWebThreads() !== threads) shown.textContent += `; ORT-web runs ${ortWebThreads()}`;
    });
    setUpOwnImages(provider, table);
    whenVisible(
      $("vae"),
      () =>
        setUpVae(provider).catch((e) =>
          setState($("vae-status"), "error", `Error: ${(e as Error).message}`)
        ),
    );
    await setUpTraining(test, provider, table, threads);
  } catch (e) {
    for (const id of ["pretrained-status", "train-status"]) {
      setState($(id), "error", `Error: ${(e as Error).message}`);
    }
    throw e;
  }
}

// ORT-web loads this script again as its WebAssembly threads' workers: there is no page there.
if (globalThis.document) await main();
