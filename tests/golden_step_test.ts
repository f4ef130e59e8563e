/**
 * Golden one-step tests: the conv and denoising models' first training step on fixed
 * MNIST digits against numbers computed independently (PyTorch in float64, Keras
 * semantics; `tests/golden/one_step.json` says how). Every bias starts at 0.05, so
 * blank regions give a positive tie in every pooling window, as after training: a
 * MaxPool gradient that mishandles ties fails here.
 *
 * The gradient is read from one SGD step with learning rate 1 (`g = w - w'`), since an
 * Adam step only sees each gradient's sign in its first step; the Adam step is
 * checked as well.
 */

import assert from "node:assert/strict";
import {
  type Autoencoder,
  ConvAutoencoder,
  DenoisingAutoencoder,
  loadMnistSubset,
} from "../mod.ts";

interface Golden {
  loss: number;
  params: Record<string, { at: number[]; grad: number[]; gradSum: number; adam: number[] }>;
}

const GOLDEN: Record<string, Golden> = JSON.parse(
  await Deno.readTextFile(new URL("./golden/one_step.json", import.meta.url)),
).models;

const SAMPLES = 8;

function make(name: string): Autoencoder {
  const model = name === "conv"
    ? new ConvAutoencoder({ seed: 0 })
    : new DenoisingAutoencoder({ seed: 0, noise: "fixed" });
  for (const [k, v] of model.params) if (k.endsWith(".bias")) v.fill(0.05);
  return model;
}

/** One step on the first digits of the subset; the parameters before and after it. */
async function step(name: string, optimizer: "sgd" | "adam", learningRate: number) {
  const x = (await loadMnistSubset()).train.images.slice(0, SAMPLES * 784);
  const model = make(name);
  const before = new Map([...model.params].map(([k, v]) => [k, v.slice()]));
  const history = await model.fit(x, {
    epochs: 1,
    batchSize: SAMPLES,
    shuffle: false,
    optimizer,
    learningRate,
  });
  await model.dispose();
  return { loss: history.loss[0], before, after: model.params };
}

for (const name of Object.keys(GOLDEN)) {
  Deno.test(`golden one step, ${name}: loss, gradients and Adam update match PyTorch`, async () => {
    const golden = GOLDEN[name];
    const sgd = await step(name, "sgd", 1);
    assert.ok(Math.abs(sgd.loss - golden.loss) < 1e-5, `loss ${sgd.loss} vs ${golden.loss}`);
    for (const [k, p] of Object.entries(golden.params)) {
      const w0 = sgd.before.get(k)!, w1 = sgd.after.get(k)!;
      const g = w0.map((v, i) => v - w1[i]);
      const scale = Math.max(...p.grad.map(Math.abs), 1e-6);
      p.at.forEach((i, j) => {
        const err = Math.abs(g[i] - p.grad[j]);
        assert.ok(err <= 2e-4 * scale + 1e-6, `${k}[${i}]: gradient ${g[i]} vs ${p.grad[j]}`);
      });
      const sum = g.reduce((s, v) => s + v, 0);
      const tol = 1e-3 * Math.abs(p.gradSum) + 1e-4 * scale * Math.sqrt(g.length);
      assert.ok(Math.abs(sum - p.gradSum) <= tol, `${k}: gradient sum ${sum} vs ${p.gradSum}`);
    }
    const adam = await step(name, "adam", 1e-3);
    for (const [k, p] of Object.entries(golden.params)) {
      const w = adam.after.get(k)!;
      p.at.forEach((i, j) => {
        assert.ok(Math.abs(w[i] - p.adam[j]) < 2e-6, `${k}[${i}]: Adam ${w[i]} vs ${p.adam[j]}`);
      });
    }
  });
}
