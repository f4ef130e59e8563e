/**
 * The blog's fourth section, "Convolutional autoencoder": "The encoder will consist
 * in a stack of Conv2D and MaxPooling2D layers (max pooling being used for spatial
 * down-sampling), while the decoder will consist in a stack of Conv2D and
 * UpSampling2D layers." Trained 50 epochs with batches of 128, then the figure of
 * test digits over their reconstructions and the figure of their 8×4×4 codes.
 *
 * Run: `deno task example:conv [--epochs N] [--limit N] [--data DIR] [--out DIR]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { ConvAutoencoder, type ImageSet, loadMnist, nodeRuntime } from "../mod.ts";
import { renderCodes, renderGrid } from "../src/viz/grid.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    epochs: { type: "string", default: "50" },
    limit: { type: "string" },
    data: {
      type: "string",
      default: Deno.env.get("AUTOENCODERS_DATA_DIR") ?? "../shared/data/mnist",
    },
    out: { type: "string", default: "out/conv" },
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

// "To train it, we will use the original MNIST digits with shape (samples, 28, 28, 1)":
// here channels first, [N, 1, 28, 28]; the 784 floats of a digit are the same either way.
const data = await loadMnist({ dir: values.data });
const train = first(data.train), test = first(data.test);

// Conv(16) -> MaxPool -> Conv(8) -> MaxPool -> Conv(8) -> MaxPool:
// "at this point the representation is (4, 4, 8) i.e. 128-dimensional";
// then Conv(8) -> Up -> Conv(8) -> Up -> Conv(16, valid) -> Up -> Conv(1, sigmoid).
const autoencoder = new ConvAutoencoder({ seed: 0 });
console.log(autoencoder.summary());

// autoencoder.fit(x_train, x_train, epochs=50, batch_size=128, shuffle=True,
//                 validation_data=(x_test, x_test))
console.log(`\n${epochs} epochs, batch 128, binary cross-entropy`);
const history = await autoencoder.fit(train, {
  epochs,
  batchSize: 128,
  shuffle: true,
  validationData: test,
  onEpochEnd: ({ epoch, loss, valLoss, seconds }) =>
    console.log(
      `Epoch ${epoch + 1}/${epochs} - ${seconds.toFixed(1)}s - loss: ${
        loss.toFixed(4)
      } - val_loss: ${valLoss?.toFixed(4)}`,
    ),
});
// "The model converges to a loss of 0.094, significantly better than our previous
// models (this is in large part due to the higher entropic capacity of the encoded
// representation, 128 dimensions vs. 32 previously)."
console.log(
  `Final loss: ${history.loss.at(-1)!.toFixed(4)} - val_loss: ${
    history.valLoss.at(-1)!.toFixed(4)
  }`,
);

// decoded_imgs = autoencoder.predict(x_test)
const digits = test.images.subarray(0, 10 * 784);
const reconstructions = join(values.out, "reconstructions.png");
await nodeRuntime.writeFile(
  reconstructions,
  await renderGrid([digits, await autoencoder.predict(digits)]),
);
console.log(`Test digits over their reconstructions: ${reconstructions}`);

// "We can also have a look at the 128-dimensional encoded representations":
// one row per channel (8), one column per test digit, each code map 4×4.
const [channels, height, width] = autoencoder.codeShape; // [8, 4, 4]
const codes = join(values.out, "codes.png");
await nodeRuntime.writeFile(
  codes,
  await renderCodes(await autoencoder.encode(digits), channels, height, width),
);
console.log(`Their codes, one row per channel: ${codes}`);
await autoencoder.dispose();
