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

import { parseArgs } from "node:util";
import { join } from "node:path";
import { loadMnist, nodeRuntime, UndercompleteAutoencoder } from "../mod.ts";
import { renderGrid } from "../src/viz/grid.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    epochs: { type: "string", default: "50" },
    data: {
      type: "string",
      default: Deno.env.get("AUTOENCODERS_DATA_DIR") ?? "../shared/data/mnist",
    },
    out: { type: "string", default: "out/undercomplete" },
  },
});
const epochs = Number(values.epochs);

// x_train and x_test: 60000 and 10000 digits, 784 floats each in [0, 1].
const { train, test } = await loadMnist({ dir: values.data });

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
    onEpochEnd: ({ epoch, loss, valLoss }) =>
      console.log(
        `Epoch ${epoch + 1}/${epochs} - loss: ${loss.toFixed(4)} - val_loss: ${
          valLoss?.toFixed(4)
        }`,
      ),
  });

  // encoded_imgs = encoder.predict(x_test); decoded_imgs = decoder.predict(encoded_imgs)
  const digits = test.images.subarray(0, 10 * 784);
  const encoded = await autoencoder.encode(digits);
  const decoded = await autoencoder.decode(encoded);
  const figure = join(values.out, `reconstructions-${optimizer}.png`);
  await nodeRuntime.writeFile(figure, await renderGrid([digits, decoded]));
  console.log(`Test digits over their reconstructions: ${figure}`);
  await autoencoder.dispose();
}
