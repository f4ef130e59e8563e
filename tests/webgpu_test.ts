/**
 * Providers and WebGPU, without a GPU: ORT's WebGPU provider runs on SwiftShader's
 * Vulkan (Debian's chromium package ships it; libvulkan1 is the loader), in
 * onnxruntime-node and in headless Chromium.
 *
 * - every training graph runs wholly on WebGPU (CPU fallback disabled);
 * - "auto" passes over the software adapter, a provider that is not here is an
 *   error saying how to get it;
 * - training on WebGPU keeps parameters, optimizer state and losses on the device,
 *   frees what it replaces, and stops with the last good weights on a diverging run;
 * - a few training steps of each of the five models give the same losses on the CPU
 *   provider, on WebGPU (onnxruntime-node), on wasm (onnxruntime-web, here in Deno)
 *   and on WebGPU in Chromium; on WebGPU the weights too.
 *
 * SwiftShader is set up when this module loads: ORT's WebGPU provider looks for an
 * adapter once per process, so it must find one the first time.
 *
 * Needs: /usr/lib/chromium/vk_swiftshader_icd.json and /usr/bin/chromium (.ci/setup
 * installs chromium and libvulkan1); --allow-net (the page's server), --allow-run
 * (the browser build, the browser).
 */

/// <reference lib="dom" />
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import {
  AutoencoderError,
  ConvAutoencoder,
  DeepAutoencoder,
  DenoisingAutoencoder,
  nodeRuntime,
  SparseAutoencoder,
  UndercompleteAutoencoder,
} from "../mod.ts";
import type { Autoencoder, ModelOptions } from "../src/autoencoder.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { chooseProvider } from "../src/runtime/providers.ts";
import type { Runtime, RuntimeTensor, Session } from "../src/runtime/types.ts";
import { webRuntime } from "../src/runtime/web.ts";
import { buildEvalStep, buildTrainStep } from "../training/train_step.ts";
import { adam, OPTIMIZERS } from "../training/optimizers.ts";
import { serve } from "../examples/browser/serve.ts";
import { CHROMIUM, CHROMIUM_ARGS, DATA_DIR, mnistData } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";

assert.ok(
  existsSync(SWIFTSHADER),
  `WebGPU tests need SwiftShader's Vulkan driver at ${SWIFTSHADER}: apt-get install chromium libvulkan1 (.ci/setup does)`,
);
if (!Deno.env.get("VK_ICD_FILENAMES")) Deno.env.set("VK_ICD_FILENAMES", SWIFTSHADER);
if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync());

type Make = (o: ModelOptions) => Autoencoder;

/** The five models, with the few samples each trains on here (SwiftShader is slow on convs). */
const MODELS: { name: string; make: Make; samples: number }[] = [
  { name: "undercomplete", make: (o) => new UndercompleteAutoencoder(o), samples: 32 },
  { name: "sparse", make: (o) => new SparseAutoencoder(o), samples: 32 },
  { name: "deep", make: (o) => new DeepAutoencoder(o), samples: 32 },
  { name: "conv", make: (o) => new ConvAutoencoder(o), samples: 4 },
  { name: "denoising", make: (o) => new DenoisingAutoencoder(o), samples: 4 },
];
const CLASSES: Record<string, string> = {
  undercomplete: "UndercompleteAutoencoder",
  sparse: "SparseAutoencoder",
  deep: "DeepAutoencoder",
  conv: "ConvAutoencoder",
  denoising: "DenoisingAutoencoder",
};
const STEPS = 3;
const SEED = 5;

/**
 * Losses of the same steps on two providers agree to this relative difference: float32
 * sums in another order differ by ~1e-7 relative, and three Adam steps magnify that
 * in small gradients; a wrong gradient changes the second step's loss by ~1e-3.
 */
const LOSS_TOLERANCE = 2e-5;
/**
 * Weights after three Adam steps: each step moves a weight by up to lr = 1e-3, and
 * Adam's normalised step magnifies float32 differences in small gradients to a few
 * 1e-5; a wrong gradient would move weights by about 1e-3 per step.
 */
const WEIGHT_TOLERANCE = 3e-4;

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => {
    const scale = Math.abs(expected[i]);
    assert.ok(
      Math.abs(v - expected[i]) <= LOSS_TOLERANCE * scale,
      `${what}, step ${i + 1}: ${v} vs ${expected[i]} (relative ${
        Math.abs(v - expected[i]) / scale
      })`,
    );
  });
}

/** Graphs lowered for WebGPU (src/lower). */
const WEBGPU = { provider: "webgpu" } as const;

Deno.test("no op of any training graph falls back to the CPU on WebGPU", async () => {
  const graphs: [string, Uint8Array][] = [];
  for (const { name, make } of MODELS) {
    const { config } = make({});
    const separateTarget = name === "denoising";
    const optimizers = name === "undercomplete"
      ? Object.values(OPTIMIZERS).map((make) => make())
      : [adam()];
    for (const optimizer of optimizers) {
      const step = buildTrainStep(config, optimizer, { separateTarget }).graph;
      graphs.push([`${name} train step (${optimizer.name})`, encodeModel(step, WEBGPU)]);
    }
    graphs.push([
      `${name} evaluation`,
      encodeModel(buildEvalStep(config, { separateTarget }).graph, WEBGPU),
    ]);
  }
  for (const [what, bytes] of graphs) {
    // ORT's session.disable_cpu_ep_fallback: the session does not open if any node
    // would run on the CPU provider.
    const session = await nodeRuntime.createSession(bytes, {
      provider: "webgpu",
      noCpuFallback: true,
    }).catch((e) => {
      throw new Error(`${what}: a node runs on the CPU: ${e.message}`);
    });
    await session.release();
  }
});

Deno.test("provider choice: auto passes over SwiftShader, a missing provider says how to get it", async () => {
  const infos = await nodeRuntime.providers();
  assert.deepEqual(infos.map((p) => p.provider), ["cuda", "webgpu", "cpu"]);
  const [cuda, webgpu, cpu] = infos;
  assert.equal(Deno.env.get("VK_ICD_FILENAMES"), SWIFTSHADER, "this test expects SwiftShader");
  assert.deepEqual(webgpu, {
    provider: "webgpu",
    available: true,
    device: "SwiftShader Device (Subzero)",
    software: true,
  });
  const { nchwcBlock, ...plainCpu } = cpu; // the block: tests/nchwc_test.ts
  assert.deepEqual(plainCpu, { provider: "cpu", available: true });
  assert.ok([undefined, 8, 16].includes(nchwcBlock), `NCHWc block ${nchwcBlock}`);

  const model = new UndercompleteAutoencoder({ provider: "auto" });
  assert.equal(model.backend, "onnxruntime-node 1.30.0 (auto)");
  const chosen = await model.resolveProvider();
  assert.equal(chosen.provider, cuda.available ? "cuda" : "cpu");
  assert.equal(model.backend, `onnxruntime-node 1.30.0 (${chosen.provider}, picked by "auto")`);
  if (!cuda.available) {
    assert.equal(
      chosen.summary,
      'cpu, picked by "auto" (cuda is not available; webgpu runs on a software adapter (SwiftShader Device (Subzero)), slower than cpu)',
    );
    // Asked for by name, a provider that is not here is an error saying how to get it.
    await assert.rejects(
      new ConvAutoencoder({ provider: "cuda" }).fit(new Float32Array(784)),
      (e: Error) =>
        e instanceof AutoencoderError &&
        e.message.startsWith(
          'Cannot use provider "cuda" of onnxruntime-node 1.30.0: it is not available here; ',
        ) &&
        e.message.includes("npm install onnxruntime-node --onnxruntime-node-install=cuda12") &&
        e.message.includes("deno install --allow-scripts=npm:onnxruntime-node") &&
        e.message.includes("CUDA 12 driver"),
    );
  }
  // A software adapter is used when asked for by name.
  assert.equal((await chooseProvider(nodeRuntime, "webgpu")).provider, "webgpu");
  await assert.rejects(
    new UndercompleteAutoencoder({ provider: "wasm" }).encode(new Float32Array(784)),
    /^AutoencoderError: Cannot use provider "wasm": onnxruntime-node 1\.30\.0 has no such provider; choose one of "auto", "cuda", "webgpu", "cpu"$/,
  );
  // onnxruntime-web in Deno: its Node build, wasm only.
  const web = await webRuntime.providers();
  assert.deepEqual(web.map((p) => [p.provider, p.available]), [["webgpu", false], ["wasm", true]]);
  assert.equal((await chooseProvider(webRuntime, "auto")).provider, "wasm");
  assert.equal((await chooseProvider(webRuntime, "cpu")).provider, "wasm");
  await assert.rejects(chooseProvider(webRuntime, "webgpu"), /has no WebGPU; use onnxruntime-node/);
  await assert.rejects(chooseProvider(webRuntime, "cuda"), /has no such provider/);
});

/** A runtime that records runs, reads and disposals of device tensors. */
function spy(runtime: Runtime) {
  const events: string[] = [];
  const onDevice = (t: RuntimeTensor) => (t as { location?: string }).location === "gpu-buffer";
  const live = new Set<RuntimeTensor>(); // device tensors the train step made, not yet freed
  const carriedLocations: string[][] = [];
  const spied: Runtime = {
    ...runtime,
    async createSession(model, options): Promise<Session> {
      const session = await runtime.createSession(model, options);
      return {
        onDevice: session.onDevice,
        release: () => session.release(),
        async run(feeds, outputs) {
          const training = "step" in feeds;
          if (training) {
            events.push("run");
            carriedLocations.push(
              Object.entries(feeds).filter(([name]) => name.includes("."))
                .map(([, t]) => onDevice(t) ? "device" : "host"),
            );
          }
          const out = await session.run(feeds, outputs);
          if (training) { for (const t of Object.values(out)) if (onDevice(t)) live.add(t); }
          return out;
        },
      };
    },
    read(t) {
      if (onDevice(t)) events.push("read");
      return runtime.read(t);
    },
    dispose(t) {
      live.delete(t);
      runtime.dispose(t);
    },
  };
  return { runtime: spied, events, live, carriedLocations };
}

Deno.test("training on WebGPU keeps weights, optimizer state and losses on the device", async (t) => {
  const x = (await mnistData()).train.images.subarray(0, 64 * 784);
  const cpu = new UndercompleteAutoencoder({ seed: SEED });
  const expected = await cpu.fit(x, { epochs: 2, batchSize: 8, shuffle: false });

  await t.step("fed back without a round trip, read once per epoch, freed", async () => {
    const { runtime, events, live, carriedLocations } = spy(nodeRuntime);
    const model = new UndercompleteAutoencoder({ seed: SEED, runtime, provider: "webgpu" });
    const history = await model.fit(x, { epochs: 2, batchSize: 8, shuffle: false });
    assertClose(history.loss, expected.loss, "epoch loss");
    assert.equal(carriedLocations.length, 16);
    // The first step gets the weights from the host; every later one, the last outputs.
    assert.ok(carriedLocations[0].every((l) => l === "host"));
    for (const [i, locations] of carriedLocations.slice(1).entries()) {
      if (i === 7) continue; // the second epoch starts from the same device tensors
      assert.ok(locations.every((l) => l === "device"), `step ${i + 2}: ${locations}`);
    }
    assert.ok(carriedLocations[8].every((l) => l === "device"), "epoch 2 re-uploaded weights");
    // Nothing is read back during an epoch: 8 runs, then the losses and the weights.
    const groups: [string, number][] = [];
    for (const e of events) {
      if (groups.at(-1)?.[0] === e) groups.at(-1)![1]++;
      else groups.push([e, 1]);
    }
    const weights = carriedLocations[0].length; // parameters and optimizer state
    assert.deepEqual(groups, [["run", 8], ["read", 8 + weights], ["run", 8], [
      "read",
      8 + weights,
    ]]);
    assert.equal(live.size, 0, "device tensors left behind");
    for (const [name, w] of cpu.params) {
      const worst = Math.max(...model.params.get(name)!.map((v, i) => Math.abs(v - w[i])));
      assert.ok(worst <= WEIGHT_TOLERANCE, `${name}: differs by ${worst}`);
    }
  });

  await t.step("a diverging run stops with the last good weights", async () => {
    const model = new UndercompleteAutoencoder({ seed: SEED, provider: "webgpu" });
    await assert.rejects(
      model.fit(x, { epochs: 1, batchSize: 8, learningRate: 1e30 }),
      /loss became (NaN|Infinity).*lower the learning rate/,
    );
    for (const [name, w] of model.params) assert.ok(w.every(Number.isFinite), `${name}`);
  });
});

/** Losses of `STEPS` steps (one batch, one step per epoch), and the weights after them. */
async function steps(make: Make, x: Float32Array, options: ModelOptions) {
  const model = make({ seed: SEED, ...options });
  const history = await model.fit(x, { epochs: STEPS, batchSize: x.length / 784, shuffle: false });
  await model.dispose();
  return { loss: history.loss, params: model.params, backend: model.backend };
}

/** Playwright, imported when needed (see tests/browser_test.ts for __IS_WSL_TEST__). */
async function chromium() {
  if (!Deno.env.get("__IS_WSL_TEST__")) Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
}

/** The same steps in the page, with the library's browser bundle. */
async function stepsInPage(page: Page, name: string, x: Float32Array) {
  return await page.evaluate(async ({ cls, data, seed, epochs }) => {
    const path = "/dist/web/autoencoders.js";
    const lib = await import(path);
    const model = new lib[cls]({ seed, provider: "webgpu" });
    const images = new Float32Array(data);
    const history = await model.fit(images, {
      epochs,
      batchSize: images.length / 784,
      shuffle: false,
    });
    const providers = await lib.webRuntime.providers();
    return { loss: history.loss as number[], backend: model.backend as string, providers };
  }, { cls: CLASSES[name], data: Array.from(x), seed: SEED, epochs: STEPS });
}

Deno.test({
  name: "five models, a few steps: the same losses on CPU, WebGPU, wasm and WebGPU in Chromium",
  sanitizeOps: false, // the browser's pipes and the server outlive single steps
  sanitizeResources: false,
  async fn(t) {
    assert.ok(existsSync(CHROMIUM), `This test needs ${CHROMIUM}: apt-get install chromium`);
    const build = await new Deno.Command(Deno.execPath(), {
      args: ["task", "build:web"],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
    const images = (await mnistData()).train.images;
    const server = serve({ port: 0, dataDir: DATA_DIR });
    const browser = await chromium();
    try {
      const page = await browser.newPage();
      // Any page of the server: the bundle is imported from there (localhost: a secure context).
      await page.goto(`http://localhost:${server.addr.port}/dist/web/autoencoders.js`);
      for (const { name, make, samples } of MODELS) {
        await t.step(name, async () => {
          const x = images.subarray(0, samples * 784);
          const cpu = await steps(make, x, { provider: "cpu" });
          const gpu = await steps(make, x, { provider: "webgpu" });
          const wasm = await steps(make, x, { provider: "wasm", runtime: webRuntime });
          const chrome = await stepsInPage(page, name, x);
          console.log(
            `${name}: cpu ${cpu.loss.map((l) => l.toFixed(7))}; ` +
              [["webgpu", gpu.loss], ["wasm", wasm.loss], ["chromium webgpu", chrome.loss]]
                .map(([what, loss]) =>
                  `${what} ${
                    (loss as number[]).map((l, i) =>
                      ((l - cpu.loss[i]) / cpu.loss[i]).toExponential(1)
                    )
                  }`
                ).join("; "),
          );
          assert.equal(gpu.backend, "onnxruntime-node 1.30.0 (webgpu)");
          assert.equal(wasm.backend, "onnxruntime-web 1.30.0 (wasm)");
          assert.equal(chrome.backend, "onnxruntime-web 1.30.0 (webgpu)");
          assert.equal(chrome.providers[0].software, true, JSON.stringify(chrome.providers));
          assertClose(gpu.loss, cpu.loss, `${name} on WebGPU`);
          assertClose(wasm.loss, cpu.loss, `${name} on wasm`);
          assertClose(chrome.loss, cpu.loss, `${name} on WebGPU in Chromium`);
          for (const [param, expected] of cpu.params) {
            const actual = gpu.params.get(param)!;
            const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
            assert.ok(worst <= WEIGHT_TOLERANCE, `${name} ${param}: differs by ${worst}`);
          }
        });
      }
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
