/// <reference lib="dom" />
/**
 * Measures the example page in headless Chromium (`deno task measure:web`): the time
 * until it is interactive (the first reconstruction of a test digit shown), and the
 * throughput of training in the page on the wasm provider (samples/s of the dense and
 * the convolutional model, read from the page's training log), with the thread count
 * the page reports, and the longest gap between ticks of a 50 ms timer on the page's
 * thread while the conv model trains (from the click on Train to the end). Each round
 * opens a fresh browser; the figures are medians.
 *
 * It builds `dist/web/` first and serves the page with `serve.ts` on a free port, from
 * the embedded MNIST subset unless `--data DIR` names a folder.
 *
 * Usage: deno task measure:web [--rounds N] [--samples N] [--epochs N] [--batch N] [--data DIR]
 *        [--query "threads=1"] (added to the page's address) [--no-training] (time to interactive only)
 *
 * @module
 */

import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseScriptArgs } from "../../src/cli/command.ts";
import { buildWeb, launchChromium } from "./harness.ts";
import { serve } from "./serve.ts";

const SUBSET = fileURLToPath(new URL("../../src/data/mnist_subset", import.meta.url));

/** One round's figures. */
interface Round {
  interactive: number;
  threads: string;
  dense: number;
  conv: number;
  /** Longest gap (ms) between ticks of a 50 ms timer on the page's thread while conv trains. */
  convGap: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** Trains one model in the page on wasm; returns the median samples/s of its epochs and the longest timer gap. */
async function trainThroughput(
  page: import("playwright-core").Page,
  model: string,
  settings: { samples: number; epochs: number; batch: number },
): Promise<{ rate: number; gap: number }> {
  await page.waitForSelector("#train-status:is([data-state=ready], [data-state=done])", {
    timeout: 120_000,
  });
  await page.selectOption("#train-model", model);
  await page.selectOption("#train-provider", "wasm");
  await page.fill("#train-samples", String(settings.samples));
  await page.fill("#train-batch", String(settings.batch));
  await page.fill("#train-epochs", String(settings.epochs));
  await page.fill("#train-validation", "100");
  await page.evaluate(() => {
    const w = globalThis as unknown as {
      longest: number;
      last: number;
      timer?: ReturnType<typeof setInterval>;
    };
    clearInterval(w.timer);
    [w.longest, w.last] = [0, performance.now()];
    w.timer = setInterval(() => {
      const now = performance.now();
      w.longest = Math.max(w.longest, now - w.last);
      w.last = now;
    }, 50);
  });
  await page.click("#train-button");
  await page.waitForSelector("#train-status:is([data-state=done], [data-state=error])", {
    timeout: 600_000,
  });
  const gap = await page.evaluate(() => (globalThis as unknown as { longest: number }).longest);
  const state = await page.getAttribute("#train-status", "data-state");
  if (state !== "done") {
    throw new Error(`Training failed: ${await page.textContent("#train-status")}`);
  }
  const log = (await page.textContent("#train-log")) ?? "";
  const rates = [...log.matchAll(/(\d+) samples\/s/g)].map((m) => Number(m[1]));
  if (rates.length === 0) throw new Error(`No samples/s in the training log: ${log}`);
  return { rate: median(rates), gap };
}

async function measure(
  url: string,
  settings: { samples: number; epochs: number; batch: number; training: boolean },
) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const start = performance.now();
    await page.goto(url);
    await page.waitForSelector("#pretrained-status[data-state=done]", { timeout: 120_000 });
    const interactive = (performance.now() - start) / 1000;
    const threads = await page.evaluate(() =>
      document.getElementById("threads")?.dataset.threads ?? "1 (not shown)"
    );
    if (!settings.training) {
      return { interactive, threads, dense: NaN, conv: NaN, convGap: NaN } satisfies Round;
    }
    const dense = (await trainThroughput(page, "undercomplete", settings)).rate;
    const conv = await trainThroughput(page, "conv", settings);
    return { interactive, threads, dense, conv: conv.rate, convGap: conv.gap } satisfies Round;
  } finally {
    await browser.close();
  }
}

const USAGE = `Measure the example page in headless Chromium: time to interactive, training
throughput on wasm, the longest timer gap while the conv model trains (medians).

Usage: deno task measure:web [options]

  --rounds N       fresh browsers to measure in (default 3)
  --samples N      training digits (default 1024)
  --epochs N       epochs per model (default 2)
  --batch N        batch size (default 64)
  --data DIR       MNIST folder the page is served from (default: the embedded subset)
  --query Q        added to the page's address, e.g. "threads=1"
  --no-training    time to interactive only
  -h, --help       show this help`;

if (import.meta.main) {
  const { values } = parseScriptArgs(USAGE, {
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "3" },
      samples: { type: "string", default: "1024" },
      epochs: { type: "string", default: "2" },
      batch: { type: "string", default: "64" },
      data: { type: "string" },
      query: { type: "string", default: "" },
      "no-training": { type: "boolean", default: false },
    },
  });
  const settings = {
    samples: Number(values.samples),
    epochs: Number(values.epochs),
    batch: Number(values.batch),
    training: !values["no-training"],
  };
  await buildWeb();
  const server = serve({ port: 0, dataDir: values.data ?? SUBSET });
  const url = `http://localhost:${server.addr.port}/${values.query ? `?${values.query}` : ""}`;
  const rounds: Round[] = [];
  try {
    for (let i = 0; i < Number(values.rounds); i++) {
      const round = await measure(url, settings);
      console.log(`round ${i + 1}: ${JSON.stringify(round)}`);
      rounds.push(round);
    }
  } finally {
    await server.shutdown();
  }
  const cpu = cpus()[0]?.model;
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${
      cpu ?? "unknown CPU"
    }, ${navigator.hardwareConcurrency} cores; ` +
      `${settings.samples} samples, batch ${settings.batch}, ${settings.epochs} epochs, medians of ${rounds.length} rounds${
        values.query ? `, ?${values.query}` : ""
      }\n`,
  );
  const m = (key: keyof Round) => median(rounds.map((r) => r[key] as number));
  console.log(
    "| time to interactive | threads | dense (samples/s) | conv (samples/s) | longest timer gap, conv |",
  );
  console.log("| --- | --- | --- | --- | --- |");
  console.log(
    `| ${m("interactive").toFixed(1)} s | ${rounds[0].threads} | ${Math.round(m("dense"))} | ${
      Math.round(m("conv"))
    } | ${Math.round(m("convGap"))} ms |`,
  );
}
