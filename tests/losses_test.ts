/**
 * Losses as values: the named reconstruction losses, a user's own term, and what
 * training and validation report for each.
 */

import assert from "node:assert/strict";
import {
  activityL1,
  Autoencoder,
  AutoencoderError,
  Dense,
  loadMnistSubset,
  type LossTerm,
  meanSquaredErrorLoss,
  UndercompleteAutoencoder,
} from "../mod.ts";

const digits = (await loadMnistSubset()).train.images.subarray(0, 512 * 784);

function meanSquaredError(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

Deno.test('loss "mse": evaluate gives the mean squared error of the reconstructions', async () => {
  const model = new UndercompleteAutoencoder({ seed: 0, loss: "mse" });
  await model.fit(digits, { epochs: 1, batchSize: 128 });
  const expected = meanSquaredError(await model.predict(digits), digits);
  const actual = await model.evaluate(digits);
  assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} vs ${expected}`);
  // The cross-entropy of the same reconstructions is several times larger.
  const bce = await new UndercompleteAutoencoder({ seed: 0 }).evaluate(digits);
  assert.ok(bce > 3 * actual);
  await model.dispose();
});

Deno.test("a user's loss term trains as a regularizer: reported apart, not in validation", async () => {
  const codeEnergy: LossTerm = {
    name: "l2(code)",
    regularizer: true,
    emit: ({ b, activations }) => {
      const h = activations.get("code")!;
      return b.mul(b.scalar(0.01), b.reduceMean(b.mul(h, h), [...h.shape.keys()], false));
    },
  };
  const make = (extra: LossTerm[]) =>
    new Autoencoder({
      name: "custom",
      inputShape: [784],
      encoder: [new Dense(16, "relu")],
      decoder: [new Dense(784, "sigmoid")],
      loss: [meanSquaredErrorLoss(), ...extra],
    }, { seed: 1 });
  const plain = make([]), penalized = make([codeEnergy]);
  const options = { epochs: 2, batchSize: 128, shuffle: false, validationData: digits };
  const [a, b] = [await plain.fit(digits, options), await penalized.fit(digits, options)];
  assert.equal(a.penalty.length, 0);
  assert.equal(b.penalty.length, 2);
  assert.ok(b.penalty.every((p) => p > 0));
  // Validation is the MSE alone, of the penalized model's own reconstructions.
  const mse = meanSquaredError(await penalized.predict(digits), digits);
  assert.ok(Math.abs(b.valLoss[1] - mse) < 1e-6);
  // The penalty shrinks the code.
  assert.ok(
    (await penalized.meanCodeActivation(digits)) < (await plain.meanCodeActivation(digits)),
  );
  await plain.dispose();
  await penalized.dispose();
});

Deno.test("loss errors say what to do", async () => {
  const linearEnd = () =>
    new Autoencoder({
      name: "linear",
      inputShape: [8],
      encoder: [new Dense(2, "relu")],
      decoder: [new Dense(8)],
    }).fit(new Float32Array(8), { epochs: 1 });
  await Promise.all([
    assert.rejects(linearEnd, (e: Error) =>
      e instanceof AutoencoderError &&
      e.message.includes('Cannot use loss "bce": it needs a last layer with a sigmoid') &&
      e.message.includes('use loss "mse"')),
    assert.rejects(
      () =>
        new Autoencoder({
          name: "penalty-only",
          inputShape: [8],
          encoder: [new Dense(2, "relu")],
          decoder: [new Dense(8, "sigmoid")],
          loss: [activityL1(1e-4)],
        }).fit(new Float32Array(8), { epochs: 1 }),
      /Cannot build the loss: it has only regularizers \(l1\(code\)\); add a reconstruction term/,
    ),
    assert.throws(
      () => new UndercompleteAutoencoder({ loss: "toString" as "mse" }),
      /Cannot use loss "toString": it is not one of bce, mse/,
    ),
    assert.throws(() => activityL1(-1), /the weight must be a finite number >= 0, got -1/),
  ]);
});
