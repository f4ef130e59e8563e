/**
 * Chained train steps (`buildTrainStep`'s `steps`, run by `StepRunner` on the CPU for
 * models without convolutions): several updates per session call must give bit for
 * bit what as many single steps give, in the graph and through `fit`.
 */

import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { SparseAutoencoder, UndercompleteAutoencoder, VariationalAutoencoder } from "../mod.ts";
import { webRuntime } from "../src/runtime/web.ts";
import { nextName } from "../training/state.ts";
import type { TrainingProgram } from "../training/program.ts";
import { mnistData } from "./helpers.ts";

const images = async (n: number) => (await mnistData()).train.images.subarray(0, n * 784);

type Feeds = Record<string, ort.Tensor>;

/** The program's carried tensors at their initial values (the model's weights), and `lr`. */
function startFeeds(program: TrainingProgram, params: ReadonlyMap<string, Float32Array>): Feeds {
  const feeds: Feeds = {};
  for (const s of program.states) {
    if (!program.carried.includes(s.name)) continue;
    const value = (params.get(s.name) ?? s.initial() as Float32Array).slice();
    feeds[s.name] = new ort.Tensor("float32", value, [...s.shape]);
  }
  feeds.lr = new ort.Tensor("float32", new Float32Array([program.optimizer.learningRate]), []);
  return feeds;
}

/** Runs `batches` one step per call, or `steps` per call; returns the losses and the state. */
async function train(program: TrainingProgram, feeds: Feeds, batches: Feeds[], steps: number) {
  const session = await ort.InferenceSession.create(program.onnx("train", "cpu", steps), {
    intraOpNumThreads: 2,
    graphOptimizationLevel: "extended", // as the library opens it
  });
  const losses: number[] = [];
  for (let first = 0; first < batches.length; first += steps) {
    const run: Feeds = { ...feeds, step: new ort.Tensor("float32", [first + 1], []) };
    for (let k = 0; k < steps; k++) {
      for (const [name, t] of Object.entries(batches[first + k])) {
        run[steps === 1 ? name : `${name}.${k}`] = t;
      }
    }
    const out = await session.run(run);
    for (let k = 0; k < steps; k++) {
      losses.push((out[steps === 1 ? "loss" : `loss.${k}`].data as Float32Array)[0]);
    }
    for (const name of program.carried) feeds[name] = out[nextName(name)];
  }
  await session.release();
  return { losses, feeds };
}

Deno.test("four chained train steps equal four single steps, bit for bit", async () => {
  const x = await images(8 * 32);
  const models = [
    new UndercompleteAutoencoder({ seed: 1 }), // Adam
    new SparseAutoencoder({ seed: 2 }), // a penalty output
    new VariationalAutoencoder({ seed: 3 }), // noise inputs, RMSprop
  ];
  for (const model of models) {
    const program = model.program();
    const batches = Array.from({ length: 8 }, (_, i): Feeds => {
      const batch: Feeds = {
        input: new ort.Tensor("float32", x.subarray(i * 32 * 784, (i + 1) * 32 * 784), [32, 784]),
      };
      for (const { name, shape } of program.noise) {
        const size = 32 * shape.reduce((a, d) => a * d, 1);
        const draws = Float32Array.from({ length: size }, (_, j) => Math.sin(i * 7919 + j));
        batch[name] = new ort.Tensor("float32", draws, [32, ...shape]);
      }
      return batch;
    });
    const single = await train(program, startFeeds(program, model.params), batches, 1);
    const chained = await train(program, startFeeds(program, model.params), batches, 4);
    assert.deepEqual(chained.losses, single.losses, model.config.name);
    for (const name of program.carried) {
      assert.deepEqual(chained.feeds[name].data, single.feeds[name].data, name);
    }
    await model.dispose();
  }
});

/**
 * A fit of 394 images in 49 batches of 8 and one of 2 per epoch, 11 epochs: 539
 * full-size updates, enough to chain; the samples seen each time losses were read.
 */
async function fitLong(model: UndercompleteAutoencoder, x: Float32Array) {
  const progress: number[] = [];
  const history = await model.fit(x, {
    epochs: 11,
    batchSize: 8,
    shuffle: false,
    onBatchEnd: (logs) => {
      progress.push(logs.samples);
    },
  });
  return { progress, history };
}

/**
 * When {@link fitLong}'s losses are read if its batches are chained: after each of an
 * epoch's twelve chained runs of four, and at its end (the 49th batch held and run
 * alone when the smaller one comes, then the smaller one).
 */
const CHAINED_READS = Array.from(
  { length: 11 },
  () => [...Array.from({ length: 12 }, (_, i) => 32 * (i + 1)), 394],
).flat();

Deno.test("fit with chained steps trains as a plain step-by-step loop does", async () => {
  const x = await images(394);
  const model = new UndercompleteAutoencoder({ seed: 4, threads: 2 });
  const program = model.program();
  const feeds = startFeeds(program, model.params);
  const { progress, history } = await fitLong(model, x);
  assert.deepEqual(progress, CHAINED_READS);

  const batches: Feeds[] = [];
  for (let first = 0; first < 394; first += 8) {
    const n = Math.min(8, 394 - first);
    const rows = x.subarray(first * 784, (first + n) * 784);
    batches.push({ input: new ort.Tensor("float32", rows, [n, 784]) });
  }
  const epochs = Array.from({ length: 11 }, () => batches).flat();
  const { losses, feeds: after } = await train(program, feeds, epochs, 1);
  const epochLoss = (from: number) => {
    let sum = 0;
    batches.forEach((b, i) => (sum += losses[from + i] * b.input.dims[0]));
    return sum / 394;
  };
  assert.deepEqual(history.loss, Array.from({ length: 11 }, (_, e) => epochLoss(50 * e)));
  for (const [name, value] of model.params) assert.deepEqual(value, after[name].data, name);
  await model.dispose();
});

Deno.test("onnxruntime-web's wasm chains a long run too, with the same losses as the CPU", async () => {
  // ORT-web's kernels are the CPU provider's compiled to WebAssembly, so the losses
  // match onnxruntime-node's to float32 rounding.
  const x = await images(394);
  const web = new UndercompleteAutoencoder({ seed: 4, runtime: webRuntime, provider: "wasm" });
  const cpu = new UndercompleteAutoencoder({ seed: 4, threads: 2 });
  const [onWeb, onCpu] = [await fitLong(web, x), await fitLong(cpu, x)];
  await Promise.all([web.dispose(), cpu.dispose()]);
  assert.deepEqual(onWeb.progress, CHAINED_READS);
  onWeb.history.loss.forEach((l, i) => {
    const want = onCpu.history.loss[i];
    assert.ok(Math.abs(l - want) <= 1e-5 * want, `epoch ${i + 1}: ${l} against ${want}`);
  });
});

Deno.test("a short run is not chained: losses are read after every batch", async () => {
  const model = new UndercompleteAutoencoder({ seed: 5 });
  const progress: number[] = [];
  // 3 epochs of 12 full batches: 36 updates, too few to pay for opening a chained session.
  await model.fit(await images(12 * 64), {
    epochs: 3,
    batchSize: 64,
    onBatchEnd: (logs) => {
      progress.push(logs.samples);
    },
  });
  assert.equal(progress.length, 36);
  await model.dispose();
});
