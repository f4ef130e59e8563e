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

import { DenoisingAutoencoder } from "../mod.ts";
import { renderGrid } from "../src/viz/grid.ts";
import { epochLines, setUp, writeFigure } from "./common.ts";

// x_train and x_test: clean digits, [N, 1, 28, 28] in [0, 1].
const { epochs, out, train, test, extra } = await setUp("denoising", 100, { noise: "fresh" });
const noise = extra.noise;
if (noise !== "fresh" && noise !== "fixed") {
  throw new Error(`Cannot use --noise "${noise}": choose fresh or fixed`);
}

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
await writeFigure(out, "noisy.png", await renderGrid([noisyDigits]), "Noisy test digits");

// autoencoder.fit(x_train_noisy, x_train, epochs=100, batch_size=128, shuffle=True,
//                 validation_data=(x_test_noisy, x_test))
console.log(`\n${epochs} epochs, batch 128, ${noise} noise, binary cross-entropy`);
console.log("(val_loss: the cleaned noisy test digits against the clean ones)");
await autoencoder.fit(train, {
  epochs,
  batchSize: 128,
  shuffle: true,
  validationData: test,
  onEpochEnd: epochLines(epochs),
});

// "Top, the noisy digits fed to the network, and bottom, the digits are
// reconstructed by the network. It seems to work pretty well."
const png = await renderGrid([noisyDigits, await autoencoder.denoise(noisyDigits)]);
await writeFigure(out, "denoised.png", png, "Noisy test digits over the cleaned ones");
await autoencoder.dispose();
