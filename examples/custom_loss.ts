/**
 * A loss the library does not ship, written in a few lines: mean squared error plus
 * an L2 penalty on the code (`weight · mean(h²)`, in training only, as Keras treats
 * activity regularizers), on a 784 → 64 → 784 network. Any scalar built from the
 * output, the target or any layer's activation can be a term.
 *
 * Run: `deno task example:custom-loss [--epochs N] [--limit N] [--data DIR] [--out DIR]`
 *
 * @module
 */

import { Autoencoder, Dense, type LossTerm, meanSquaredErrorLoss } from "../mod.ts";
import { renderGrid } from "../src/viz/grid.ts";
import { epochLines, setUp, writeFigure } from "./common.ts";

const { epochs, out, train, test } = await setUp("custom_loss", 20);

// The user's own term: it reads the code and returns a scalar.
const codeEnergy = (weight: number): LossTerm => ({
  name: "l2(code)",
  regularizer: true,
  emit: ({ b, activations }) => {
    const h = activations.get("code")!;
    return b.mul(b.scalar(weight), b.reduceMean(b.mul(h, h), [...h.shape.keys()], false));
  },
});

const model = new Autoencoder({
  name: "mse_l2",
  inputShape: [784],
  encoder: [new Dense(64, "relu")],
  decoder: [new Dense(784, "sigmoid")],
  loss: [meanSquaredErrorLoss(), codeEnergy(1e-3)],
}, { seed: 0 });

console.log(`${epochs} epochs, batch 256: mean squared error + 1e-3 · mean(code²)`);
const history = await model.fit(train, {
  epochs,
  batchSize: 256,
  validationData: test,
  onEpochEnd: epochLines(epochs),
});
// The validation loss is the MSE alone; the penalty is reported apart.
console.log(
  `test MSE ${history.valLoss.at(-1)!.toFixed(5)}, code penalty ${
    history.penalty.at(-1)!.toFixed(5)
  }, mean code ${(await model.meanCodeActivation(test)).toFixed(3)}`,
);

const digits = test.images.subarray(0, 10 * 784);
await writeFigure(
  out,
  "reconstructions.png",
  await renderGrid([digits, await model.predict(digits)]),
  "Test digits over their reconstructions",
);
await model.dispose();
