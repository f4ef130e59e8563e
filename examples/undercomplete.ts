/**
 * The blog's first section, "Let's build the simplest possible autoencoder":
 * a 32-float code for 784-pixel digits, trained 50 epochs with Adam and then
 * with Adadelta (learning rate 1.0, as Keras 1 had it), each followed by the
 * blog's figure of test digits over their reconstructions.
 *
 * Run: `deno task example:undercomplete [--epochs N] [--data DIR] [--out DIR]`
 *
 * @module
 */

import { UndercompleteAutoencoder } from "../mod.ts";
import { renderGrid } from "../src/viz/grid.ts";
import { epochLines, setUp, writeFigure } from "./common.ts";

const { epochs, out, train, test } = await setUp("undercomplete", 50);

for (const optimizer of ["adam", "adadelta"] as const) {
  // encoding_dim = 32; input -> Dense(32, relu) -> Dense(784, sigmoid)
  const autoencoder = new UndercompleteAutoencoder({ codeSize: 32, seed: 0 });
  console.log(`\n${optimizer}: ${epochs} epochs, batch 256, binary cross-entropy`);
  await autoencoder.fit(train, {
    epochs,
    batchSize: 256,
    shuffle: true,
    optimizer,
    validationData: test,
    onEpochEnd: epochLines(epochs),
  });

  // encoded_imgs = encoder.predict(x_test); decoded_imgs = decoder.predict(encoded_imgs)
  const digits = test.images.subarray(0, 10 * 784);
  const decoded = await autoencoder.decode(await autoencoder.encode(digits));
  const png = await renderGrid([digits, decoded]);
  await writeFigure(
    out,
    `reconstructions-${optimizer}.png`,
    png,
    "Test digits over their reconstructions",
  );
  await autoencoder.dispose();
}
