/**
 * The blog's third section, "Deep autoencoder": "We do not have to limit ourselves
 * to a single layer as encoder or decoder, we could instead use a stack of layers"
 * — 784 → 128 → 64 → 32 → 64 → 128 → 784, trained 100 epochs, then the figure of
 * test digits over their reconstructions.
 *
 * Run: `deno task example:deep [--epochs N] [--limit N] [--data DIR] [--out DIR]`
 *
 * @module
 */

import { DeepAutoencoder } from "../mod.ts";
import { renderGrid } from "../src/viz/grid.ts";
import { epochLines, setUp, writeFigure } from "./common.ts";

const { epochs, out, train, test } = await setUp("deep", 100);

// encoded = Dense(128, relu) -> Dense(64, relu) -> Dense(32, relu)
// decoded = Dense(64, relu) -> Dense(128, relu) -> Dense(784, sigmoid)
const autoencoder = new DeepAutoencoder({ seed: 0 });
console.log(autoencoder.summary());

// autoencoder.fit(x_train, x_train, epochs=100, batch_size=256, shuffle=True,
//                 validation_data=(x_test, x_test))
console.log(`\n${epochs} epochs, batch 256, binary cross-entropy`);
await autoencoder.fit(train, {
  epochs,
  batchSize: 256,
  shuffle: true,
  validationData: test,
  onEpochEnd: epochLines(epochs),
});
// "After 100 epochs, it reaches a train and validation loss of ~0.08, a bit better
// than our previous models."

// "Our reconstructed digits look a bit better too."
const digits = test.images.subarray(0, 10 * 784);
const png = await renderGrid([digits, await autoencoder.predict(digits)]);
await writeFigure(out, "reconstructions.png", png, "Test digits over their reconstructions");
await autoencoder.dispose();
