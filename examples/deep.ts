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

import { parseArgs } from "node:util";
import { join } from "node:path";
import { DeepAutoencoder, type ImageSet, loadMnist, nodeRuntime } from "../mod.ts";
import { renderGrid } from "../src/viz/grid.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    epochs: { type: "string", default: "100" },
    limit: { type: "string" },
    data: {
      type: "string",
      default: Deno.env.get("AUTOENCODERS_DATA_DIR") ?? "../shared/data/mnist",
    },
    out: { type: "string", default: "out/deep" },
  },
});
const epochs = Number(values.epochs);
const limit = values.limit === undefined ? Infinity : Number(values.limit);
if (!(limit >= 1)) throw new Error(`Cannot use --limit "${values.limit}": expected a count >= 1`);

/** The first `limit` images of a set (all of them by default). */
const first = (set: ImageSet) => {
  const count = Math.min(set.count, Math.floor(limit));
  return { images: set.images.subarray(0, count * 784), count };
};

// x_train and x_test: 60000 and 10000 digits, 784 floats each in [0, 1].
const data = await loadMnist({ dir: values.data });
const train = first(data.train), test = first(data.test);

// encoded = Dense(128, relu) -> Dense(64, relu) -> Dense(32, relu)
// decoded = Dense(64, relu) -> Dense(128, relu) -> Dense(784, sigmoid)
const autoencoder = new DeepAutoencoder({ seed: 0 });
console.log(autoencoder.summary());

// autoencoder.fit(x_train, x_train, epochs=100, batch_size=256, shuffle=True,
//                 validation_data=(x_test, x_test))
console.log(`\n${epochs} epochs, batch 256, binary cross-entropy`);
const history = await autoencoder.fit(train, {
  epochs,
  batchSize: 256,
  shuffle: true,
  validationData: test,
  onEpochEnd: ({ epoch, loss, valLoss }) =>
    console.log(
      `Epoch ${epoch + 1}/${epochs} - loss: ${loss.toFixed(4)} - val_loss: ${valLoss?.toFixed(4)}`,
    ),
});
// "After 100 epochs, it reaches a train and validation loss of ~0.08, a bit better
// than our previous models."
console.log(
  `Final loss: ${history.loss.at(-1)!.toFixed(4)} - val_loss: ${
    history.valLoss.at(-1)!.toFixed(4)
  }`,
);

// "Our reconstructed digits look a bit better too."
const digits = test.images.subarray(0, 10 * 784);
const figure = join(values.out, "reconstructions.png");
await nodeRuntime.writeFile(figure, await renderGrid([digits, await autoencoder.predict(digits)]));
console.log(`Test digits over their reconstructions: ${figure}`);
await autoencoder.dispose();
