/**
 * `deno task bench:browser`: the five models trained in headless Chromium side by side:
 * ours on onnxruntime-web (wasm with threads in a cross-origin-isolated page, WebGPU),
 * TF.js (wasm, WebGL, WebGPU) and jax-js (wasm, WebGPU). Every run gets a fresh page and
 * the same images and batch size; runs alternate (each framework and backend in turn, per
 * model and round), and the table gives medians over rounds. WebGPU here is whatever
 * adapter Chromium finds; on a machine without a GPU that is SwiftShader, marked "software".
 *
 * @module
 */

import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScriptArgs, refuseOption } from "../../src/cli/command.ts";
import type { Browser } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../../tests/helpers.ts";
import { BLOG_BATCH, readMnist } from "../data.ts";
import { isConvModel, PEER_MODELS, type PeerModel } from "../peer_models.ts";
import type { BenchRequest, BenchResult } from "./page.ts";
import { serveBench } from "./serve.ts";
import { WASM_FILES } from "../../examples/browser/build.ts";
import { type BrowserRow, browserTables, foldRuns, ratioRows } from "./report.ts";
import { handoffNs, handoffWarnings } from "../handoff.ts";

// The peers' wasm backends also at 1 thread: on a busy 2-core machine that is their faster
// setting (bench/NOTES.md, "Issue 16, part 9: the JavaScript peers' threads").
const DEFAULT_RUNS = "ours:wasm,ours:webgpu,tfjs:wasm,tfjs:wasm@1,tfjs:webgl,tfjs:webgpu," +
  "jaxjs:wasm,jaxjs:wasm@1,jaxjs:webgpu";

const HELP = `Train the five models in headless Chromium: ours (onnxruntime-web), TF.js and jax-js.

Usage: deno task bench:browser [options]

Options:
  --models LIST       comma-separated subset of ${PEER_MODELS.join(",")} (default all)
  --runs LIST         framework:backend pairs (default ${DEFAULT_RUNS});
                      framework:backend@N runs it with N threads (tfjs:wasm@1,tfjs:wasm@2); a ratio
                      takes a peer's fastest row
  --rounds N          runs of each pair per model, alternating (default 1)
  --epochs N          timed epochs per run, after the warm-up (default 4)
  --warmup S          untimed epochs first, until S seconds have passed (default 2; at least
                      one); the table's "first epoch" column is the first one's samples/s, what a
                      page gets cold
  --steps-dense N     steps per epoch, dense models, batch 256 (default 128: 512 updates in
                      4 epochs, as the CLI bench, so ours chains its steps as a long fit does)
  --steps-conv N      steps per epoch, conv models, batch 128 (default 2)
  --threads N         WebAssembly threads of every framework (default 2)
  --latency           also time reconstructing 256 images (2 calls after 3 warm-up ones)
  --timeout S         seconds one run may take before it counts as failed (default 180)
  --data DIR          folder with the MNIST IDX files (default $AUTOENCODERS_DATA_DIR, else the
                      library's 3000-digit subset)
  --json              one JSON object per row instead of tables
  -h, --help          show this help
`;

const { values } = parseScriptArgs(HELP, {
  args: Deno.args,
  options: {
    models: { type: "string", default: PEER_MODELS.join(",") },
    runs: {
      type: "string",
      default: DEFAULT_RUNS,
    },
    rounds: { type: "string", default: "1" },
    epochs: { type: "string", default: "4" },
    warmup: { type: "string", default: "2" },
    "steps-dense": { type: "string", default: "128" },
    "steps-conv": { type: "string", default: "2" },
    threads: { type: "string", default: "2" },
    latency: { type: "boolean", default: false },
    timeout: { type: "string", default: "180" },
    data: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "dist", "bench");
const BACKENDS: Record<string, string[]> = {
  ours: ["wasm", "webgpu"],
  tfjs: ["wasm", "webgl", "webgpu"],
  jaxjs: ["wasm", "webgpu"],
};
const models = values.models.split(",") as PeerModel[];
for (const m of models) {
  if (!PEER_MODELS.includes(m)) {
    refuseOption(`Cannot bench model "${m}": choose from ${PEER_MODELS}`);
  }
}
const runs = values.runs.split(",").map((spec) => {
  const [pair, threads] = spec.split("@");
  const [framework, backend] = pair.split(":");
  if (
    !BACKENDS[framework]?.includes(backend) || (threads !== undefined && !(Number(threads) > 0))
  ) {
    refuseOption(
      `Cannot run "${spec}": use framework:backend[@threads] with ${
        Object.entries(BACKENDS).map(([f, bs]) => `${f}: ${bs.join("/")}`).join(", ")
      }`,
    );
  }
  return {
    framework,
    backend,
    threads: Number(threads ?? values.threads),
  } as Pick<BenchRequest, "framework" | "backend" | "threads">;
});
const say = (line: string) => console.error(line);

/** Bundles the page and copies the WebAssembly binaries it loads beside it. */
async function build(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--code-splitting", // ORT-web's JSEP build (WebGPU) in a chunk, loaded on demand
      "--outdir",
      OUT,
      "bench/browser/page.ts",
    ],
    cwd: ROOT,
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`Cannot bundle bench/browser/page.ts:\n${new TextDecoder().decode(stderr)}`);
  }
  const tfWasm = join(ROOT, "node_modules/@tensorflow/tfjs-backend-wasm/dist");
  const files = [
    [join(ROOT, "bench/browser/index.html"), "index.html"],
    ...WASM_FILES.map((f) => [join(ROOT, "node_modules/onnxruntime-web/dist", f), ""]),
    ...["", "-simd", "-threaded-simd"].map((v) => [join(tfWasm, `tfjs-backend-wasm${v}.wasm`), ""]),
  ];
  for (const [from, name] of files) {
    await copyFile(from, join(OUT, name || from.split("/").at(-1)!)).catch((cause) => {
      throw new Error(`Cannot copy "${from}": run \`deno install\` first`, { cause });
    });
  }
}

/** One run in a fresh page, closed after `timeoutS` seconds; a failure becomes the row's error. */
async function runOnce(browser: Browser, url: string, request: BenchRequest, timeoutS: number) {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    page.close().catch(() => {});
  }, timeoutS * 1000);
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.title === "ready", null, { timeout: 60_000 });
    return await page.evaluate(
      (r) => (globalThis as unknown as { benchRun(r: unknown): Promise<BenchResult> }).benchRun(r),
      request,
    );
  } catch (e) {
    const message = timedOut ? `took over ${timeoutS} s` : (e as Error).message.split("\n")[0];
    return { error: [message, ...errors].join("; ") };
  } finally {
    clearTimeout(timer);
    await page.close().catch(() => {});
  }
}

/** The CPU's model name, as `lscpu` gives it (Deno lets only --allow-all read /proc/cpuinfo). */
function cpuModel(): string {
  try {
    const out = new TextDecoder().decode(new Deno.Command("lscpu").outputSync().stdout);
    return /^Model name:\s*(.+)$/m.exec(out)?.[1].trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

/** Batches per epoch of a model. */
const stepsOf = (m: PeerModel) => Number(values[isConvModel(m) ? "steps-conv" : "steps-dense"]);

/** The fastest core hand-off measured so far in this bench, ns. */
let fastestHandoff = Infinity;

/**
 * Every run of one model, alternating, `--rounds` times, with the cores' hand-off measured
 * around each (bench/handoff.ts); one row per framework and backend.
 */
async function benchModel(browser: Browser, url: string, model: PeerModel): Promise<BrowserRow[]> {
  const results = runs.map(() => [] as (BenchResult | { error: string })[]);
  const handoffs = runs.map(() => [] as number[][]);
  const slowest: [string, number][] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [i, run] of runs.entries()) {
      const request: BenchRequest = {
        ...run,
        model,
        batchSize: BLOG_BATCH[model],
        limit: stepsOf(model) * BLOG_BATCH[model],
        epochs: Number(values.epochs),
        warmupSeconds: Number(values.warmup),
        seed: 0,
        latency: values.latency,
      };
      const ns = [await handoffNs()];
      const result = await runOnce(browser, url, request, Number(values.timeout));
      ns.push(await handoffNs());
      fastestHandoff = Math.min(fastestHandoff, ...ns);
      results[i].push(result);
      handoffs[i].push(ns);
      const what = `${run.framework}:${run.backend}@${run.threads} round ${round + 1}`;
      slowest.push([what, Math.max(...ns)]);
      say(
        `  ${model} ${what}: ${
          "error" in result
            ? `failed: ${result.error}`
            : `${Math.round(result.samples_per_sec)} samples/s`
        } (core hand-off ${ns.map(Math.round).join("/")} ns)`,
      );
    }
  }
  for (const warning of handoffWarnings(model, slowest, fastestHandoff)) say(warning);
  return runs.map((run, i) =>
    foldRuns(
      {
        ...run,
        model,
        batch_size: BLOG_BATCH[model],
        train_samples: stepsOf(model) * BLOG_BATCH[model],
      },
      results[i],
      handoffs[i],
    )
  );
}

async function main() {
  await build();
  const maxLimit = Math.max(256, ...models.map((m) => BLOG_BATCH[m] * stepsOf(m)));
  const { server, url } = serveBench(OUT, readMnist(maxLimit, values.data));
  if (!Deno.env.get("__IS_WSL_TEST__")) Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const started = new Date(), version = browser.version();
  say(`bench:browser: Chromium ${version}; ${cpuModel()}; load ${Deno.loadavg()[0]}`);
  const rows: BrowserRow[] = [];
  try {
    for (const model of models) rows.push(...await benchModel(browser, url, model));
  } finally {
    await browser.close();
    await server.shutdown();
  }
  const ratios = ratioRows(rows, models);
  if (values.json) {
    for (const r of [...rows, ...ratios]) console.log(JSON.stringify(r));
    return;
  }
  console.log(
    `\n${started.toISOString()}  Chromium ${version}  ${cpuModel()}  (${navigator.hardwareConcurrency} cores)  load average now ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
    }  rounds ${values.rounds}  epochs ${values.epochs} after ${values.warmup} s of warm-up\n`,
  );
  console.log(browserTables(rows, ratios));
}

await main();
