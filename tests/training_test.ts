/**
 * Checkpoints, resuming and callbacks: the training state survives a round trip
 * exactly, and the callbacks act on real training runs.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  AutoencoderError,
  type Callback,
  DenoisingAutoencoder,
  earlyStopping,
  historyLogger,
  modelCheckpoint,
  reduceLrOnPlateau,
  SparseAutoencoder,
  UndercompleteAutoencoder,
} from "../mod.ts";
import { decodeModel } from "../src/onnx/model.ts";
import { DATA_DIR, mnistData } from "./helpers.ts";

const images = async (n: number) => (await mnistData()).train.images.subarray(0, n * 784);
const root = fileURLToPath(new URL("..", import.meta.url));

Deno.test("a restored checkpoint continues training exactly as if never interrupted", async () => {
  const x = await images(1500);
  const fit = (m: UndercompleteAutoencoder | DenoisingAutoencoder, epochs: number) =>
    m.fit(x, { epochs, batchSize: 100 });
  for (
    const make of [
      () => new SparseAutoencoder({ seed: 3, threads: 1 }),
      () => new DenoisingAutoencoder({ seed: 3, threads: 1, noise: "fresh" }),
    ]
  ) {
    const straight = make();
    await fit(straight, 3);
    const first = make();
    await fit(first, 2);
    const resumed = make();
    const info = resumed.restore(first.checkpoint(), "ckpt.onnx");
    assert.equal(info.epoch, 2);
    assert.equal(resumed.epoch, 2);
    await fit(resumed, 1);
    const { epochSeconds: _, ...losses } = resumed.history;
    const { epochSeconds: __, ...expected } = straight.history;
    assert.deepEqual(losses, expected);
    assert.deepEqual(resumed.params, straight.params);
  }
});

Deno.test("a checkpoint is an ONNX model any runtime loads, with the optimizer state inside", () => {
  const model = new UndercompleteAutoencoder();
  const decoded = decodeModel(model.checkpoint());
  assert.deepEqual(decoded.outputs.map((o) => o.name), ["output", "code"]);
  assert.ok(decoded.metadata["autoencoders.checkpoint"]);
});

Deno.test("restoring a checkpoint of another architecture or a corrupt one fails and changes nothing", async () => {
  const model = new UndercompleteAutoencoder({ seed: 1 });
  await model.fit(await images(300), { epochs: 1 });
  const before = structuredClone(model.params);
  const other = new UndercompleteAutoencoder({ codeSize: 16 }).checkpoint();
  assert.throws(() => model.restore(other, "other.onnx"), /other\.onnx.*encoder\.0\.kernel/);
  const sparse = new SparseAutoencoder().checkpoint();
  assert.throws(() => model.restore(sparse, "sparse.onnx"), /holds a "sparse" model/);
  const plain = model.toOnnx();
  assert.throws(() => model.restore(plain, "model.onnx"), /holds weights but no training state/);
  const bytes = model.checkpoint();
  assert.throws(
    () => model.restore(bytes.subarray(0, bytes.length / 2), "cut.onnx"),
    AutoencoderError,
  );
  assert.deepEqual(model.params, before);
  assert.equal(model.epoch, 1);
});

Deno.test("early stopping stops after `patience` epochs without improvement and restores the best weights", async () => {
  const x = await images(500);
  const model = new UndercompleteAutoencoder({ seed: 2 });
  // With minDelta 1 no epoch after the first counts as an improvement.
  const history = await model.fit(x, {
    epochs: 30,
    callbacks: [
      earlyStopping({ monitor: "loss", patience: 2, minDelta: 1, restoreBestWeights: true }),
    ],
  });
  assert.equal(history.loss.length, 3);
  assert.equal(model.epoch, 3);
  const twin = new UndercompleteAutoencoder({ seed: 2 });
  await twin.fit(x, { epochs: 1 });
  assert.deepEqual(model.params, twin.params); // the weights of epoch 1, the best
});

Deno.test("learning-rate reduction on plateau lowers the rate fit runs with", async () => {
  const model = new UndercompleteAutoencoder({ seed: 4 });
  const rates: number[] = [];
  await model.fit(await images(300), {
    epochs: 4,
    learningRate: 0.01,
    callbacks: [
      // patience 1 with a monitor that never improves: every epoch reduces the rate.
      { onEpochEnd: (logs) => void rates.push(logs.learningRate) },
      reduceLrOnPlateau({ monitor: "loss", patience: 1, factor: 0.5, minLr: 0.002 }),
    ],
  });
  assert.equal(rates[0], 0.01);
  assert.ok(rates.every((r, i) => i === 0 || r <= rates[i - 1]), `${rates}`);
  assert.ok(rates.at(-1)! >= 0.002);
});

Deno.test("checkpoint and history-logger callbacks write their files atomically", async () => {
  const dir = await Deno.makeTempDir();
  const model = new UndercompleteAutoencoder({ seed: 5 });
  const { test } = await mnistData();
  await model.fit(await images(500), {
    epochs: 3,
    validationData: test.images.subarray(0, 200 * 784),
    callbacks: [modelCheckpoint({ dir }), historyLogger({ path: `${dir}/log.csv` })],
  });
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(names, ["checkpoint-best.onnx", "checkpoint-last.onnx", "log.csv"]);
  const csv = (await Deno.readTextFile(`${dir}/log.csv`)).trim().split("\n");
  assert.equal(csv[0], "epoch,loss,val_loss,penalty,learning_rate,seconds");
  assert.equal(csv.length, 4);
  const restored = new UndercompleteAutoencoder();
  restored.restore(await Deno.readFile(`${dir}/checkpoint-last.onnx`));
  assert.deepEqual(restored.params, model.params);
});

Deno.test("train --resume finishes with the same weights and losses as one uninterrupted run", async () => {
  const dir = await Deno.makeTempDir();
  const train = async (epochs: number, out: string, ...extra: string[]) => {
    const args = ["task", "-q", "train", "--model", "conv", "--limit", "300", "--threads", "1"];
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        ...args,
        "--data",
        DATA_DIR,
        "--epochs",
        String(epochs),
        "--out",
        out,
        "--json",
        ...extra,
      ],
      cwd: root,
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    return JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
  };
  const straight = await train(3, `${dir}/a`);
  await train(2, `${dir}/b`);
  const resumed = await train(3, `${dir}/b`, "--resume");
  assert.equal(resumed.epochs, 3);
  assert.equal(resumed.loss, straight.loss);
  assert.equal(resumed.val_loss, straight.val_loss);
  assert.deepEqual(
    await Deno.readFile(`${dir}/b/model.onnx`),
    await Deno.readFile(`${dir}/a/model.onnx`),
  );
  const history = JSON.parse(await Deno.readTextFile(`${dir}/b/history.json`)).history;
  assert.equal(history.loss.length, 3);
});

Deno.test("an aborted signal stops fit at the next step and keeps the weights", async () => {
  const x = await images(640);
  const model = new UndercompleteAutoencoder({ seed: 5, threads: 1 });
  const before = new Float32Array(model.params.get("encoder.0.kernel")!);
  const stop = new AbortController();
  const batches: number[] = [];
  const history = await model.fit(x, {
    epochs: 3,
    batchSize: 64,
    validationData: x.subarray(0, 64 * 784),
    signal: stop.signal,
    onBatchEnd: async ({ samples }) => {
      batches.push(samples);
      if (samples === 192) stop.abort();
      await new Promise((resolve) => setTimeout(resolve, 0)); // the loop waits for it
    },
  });
  assert.deepEqual(batches, [64, 128, 192], "training went on after the stop");
  assert.equal(history.loss.length, 1);
  assert.equal(history.valLoss.length, 1, "the cut epoch is validated");
  assert.equal(model.epoch, 1);
  const after = model.params.get("encoder.0.kernel")!;
  assert.ok(after.some((v, i) => v !== before[i]), "the three steps' weights were not kept");
  // Already aborted: nothing trains.
  const again = await model.fit(x, { epochs: 2, batchSize: 64, signal: stop.signal });
  assert.equal(again.loss.length, 0);
  assert.equal(model.epoch, 1);
});

Deno.test("fit waits for a promise a callback's onBatchEnd returns", async () => {
  const x = await images(640);
  const model = new UndercompleteAutoencoder({ seed: 5, threads: 1 });
  const stop = new AbortController();
  const batches: number[] = [];
  // The stop comes only after the timer: had fit not waited, later batches would have run.
  const slowStop: Callback = {
    async onBatchEnd({ samples }) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      batches.push(samples);
      if (samples === 192) stop.abort();
    },
  };
  const history = await model.fit(x, {
    epochs: 3,
    batchSize: 64,
    signal: stop.signal,
    callbacks: [slowStop],
  });
  assert.deepEqual(batches, [64, 128, 192], "fit went on without waiting for the callback");
  assert.equal(history.loss.length, 1);
  await model.dispose();
});
