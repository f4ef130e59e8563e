/**
 * The blog's fifth section, "Application to image denoising": "we will train the
 * autoencoder to map noisy digits images to clean digits images." The noise is
 * Gaussian with a factor of 0.5, clipped to [0, 1]; the model is a convolutional
 * autoencoder "with more filters per layer", trained 100 epochs with batches of
 * 128. Figures: the noisy test digits (before training), then the noisy digits
 * over the network's cleaned ones.
 *
 * `--noise fresh` (default) draws new noise for every sample in every epoch;
 * `--noise fixed` draws it once, as the blog's `x_train_noisy`.
 *
 * Run: `deno task example:denoising [--epochs N] [--noise fresh|fixed] [--limit N] [--data DIR] [--out DIR]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { DenoisingAutoencoder, type ImageSet, loadMnist, nodeRuntime } from "../mod.ts";
import { renderGrid } from "../src/viz/grid.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    epochs: { type: "string", default: "100" },
    noise: { type: "string", default: "fresh" },
    limit: { type: "string" },
    data: {
      type: "string",
      default: Deno.env.get("AUTOENCODERS_DATA_DIR") ?? "../shared/data/mnist",
    },
    out: { type: "string", default: "out/denoising" },
  },
});
const epochs = Number(values.epochs);
const noise = values.noise;
if (noise !== "fresh" && noise !== "fixed") {
  throw new Error(`Cannot use --noise "${noise}": choose fresh or fixed`);
}
const limit = values.limit === undefined ? Infinity : Number(values.limit);
if (!(limit >= 1)) throw new Error(`Cannot use --limit "${values.limit}": expected a count >= 1`);

/** The first `limit` images of a set (all of them by default). */
const first = (set: ImageSet) => {
  const count = Math.min(set.count, Math.floor(limit));
  return { images: set.images.subarray(0, count * 784), count };
};

// x_train and x_test: clean digits, [N, 1, 28, 28] in [0, 1].
const data = await loadMnist({ dir: values.data });
const train = first(data.train), test = first(data.test);

// noise_factor = 0.5
// x_noisy = np.clip(x + noise_factor * np.random.normal(0.0, 1.0, size=x.shape), 0., 1.)
// Conv(32) -> MaxPool -> Conv(32) -> MaxPool, code (7, 7, 32);
// Conv(32) -> Up -> Conv(32) -> Up -> Conv(1, sigmoid).
const autoencoder = new DenoisingAutoencoder({ noiseFactor: 0.5, noise, seed: 0 });
console.log(autoencoder.summary());

// "Here's what the noisy digits look like: [...] If you squint you can still
// recognize them, but barely. Can our autoencoder learn to recover the original
// digits? Let's find out."
const digits = test.images.subarray(0, 10 * 784);
const noisyDigits = autoencoder.addNoise(digits, 1);
const noisyFigure = join(values.out, "noisy.png");
await nodeRuntime.writeFile(noisyFigure, await renderGrid([noisyDigits]));
console.log(`Noisy test digits: ${noisyFigure}`);

// autoencoder.fit(x_train_noisy, x_train, epochs=100, batch_size=128, shuffle=True,
//                 validation_data=(x_test_noisy, x_test))
console.log(`\n${epochs} epochs, batch 128, ${noise} noise, binary cross-entropy`);
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
console.log(
  `Final loss: ${history.loss.at(-1)!.toFixed(4)} - val_loss (cleaned noisy test digits ` +
    `against the clean ones): ${history.valLoss.at(-1)!.toFixed(4)}`,
);

// "Top, the noisy digits fed to the network, and bottom, the digits are
// reconstructed by the network. It seems to work pretty well."
const denoisedFigure = join(values.out, "denoised.png");
await nodeRuntime.writeFile(
  denoisedFigure,
  await renderGrid([noisyDigits, await autoencoder.denoise(noisyDigits)]),
);
console.log(`Noisy test digits over the cleaned ones: ${denoisedFigure}`);
await autoencoder.dispose();
