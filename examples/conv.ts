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

import { ConvAutoencoder } from "../mod.ts";
import { renderCodes, renderGrid } from "../src/viz/grid.ts";
import { epochLines, setUp, writeFigure } from "./common.ts";

// "To train it, we will use the original MNIST digits with shape (samples, 28, 28, 1)":
// here channels first, [N, 1, 28, 28]; the 784 floats of a digit are the same either way.
const { epochs, out, train, test } = await setUp("conv", 50);

// Conv(16) -> MaxPool -> Conv(8) -> MaxPool -> Conv(8) -> MaxPool:
// "at this point the representation is (4, 4, 8) i.e. 128-dimensional";
// then Conv(8) -> Up -> Conv(8) -> Up -> Conv(16, valid) -> Up -> Conv(1, sigmoid).
const autoencoder = new ConvAutoencoder({ seed: 0 });
console.log(autoencoder.summary());

// autoencoder.fit(x_train, x_train, epochs=50, batch_size=128, shuffle=True,
//                 validation_data=(x_test, x_test))
console.log(`\n${epochs} epochs, batch 128, binary cross-entropy`);
await autoencoder.fit(train, {
  epochs,
  batchSize: 128,
  shuffle: true,
  validationData: test,
  onEpochEnd: epochLines(epochs),
});
// "The model converges to a loss of 0.094, significantly better than our previous
// models (this is in large part due to the higher entropic capacity of the encoded
// representation, 128 dimensions vs. 32 previously)."

// decoded_imgs = autoencoder.predict(x_test)
const digits = test.images.subarray(0, 10 * 784);
const png = await renderGrid([digits, await autoencoder.predict(digits)]);
await writeFigure(out, "reconstructions.png", png, "Test digits over their reconstructions");

// "We can also have a look at the 128-dimensional encoded representations":
// one row per channel (8), one column per test digit, each code map 4×4.
const [channels, height, width] = autoencoder.codeShape; // [8, 4, 4]
const codes = await renderCodes(await autoencoder.encode(digits), channels, height, width);
await writeFigure(out, "codes.png", codes, "Their codes, one row per channel");
await autoencoder.dispose();
