/**
 * The kinds of `AutoencoderError` a caller may branch on, each raised by one
 * representative case ("busy" is tested in hostile_test.ts, "interrupted" is the
 * command line's). Small generated data only: no MNIST folder, no network.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  Autoencoder,
  AutoencoderError,
  type AutoencoderErrorKind,
  Dense,
  loadMnist,
} from "../mod.ts";

function tiny(provider?: "wasm"): Autoencoder {
  return new Autoencoder({
    name: "tiny",
    inputShape: [16],
    encoder: [new Dense(4, "relu")],
    decoder: [new Dense(16, "sigmoid")],
  }, { threads: 1, provider });
}

async function kindOf(call: () => unknown): Promise<AutoencoderErrorKind | undefined> {
  try {
    await call();
  } catch (e) {
    assert.ok(e instanceof AutoencoderError, `not an AutoencoderError: ${e}`);
    return e.kind;
  }
  assert.fail("no error");
}

Deno.test('"bad-input": NaN in the data, a bad option, a layer that does not fit', async () => {
  const model = tiny();
  assert.equal(await kindOf(() => model.fit(new Float32Array(16).fill(NaN))), "bad-input");
  assert.equal(await kindOf(() => model.fit(new Float32Array(16), { epochs: 0 })), "bad-input");
  assert.equal(await kindOf(() => model.encode(new Float32Array(15))), "bad-input");
  const mismatched = () =>
    new Autoencoder({
      name: "bad",
      inputShape: [16],
      encoder: [new Dense(4, "relu")],
      decoder: [new Dense(15, "sigmoid")],
    });
  assert.equal(await kindOf(mismatched), "bad-input");
  await model.dispose();
});

Deno.test('"provider-unavailable": a provider this runtime does not have', async () => {
  const model = tiny("wasm");
  assert.equal(await kindOf(() => model.resolveProvider()), "provider-unavailable");
  assert.equal(await kindOf(() => model.predict(new Float32Array(16))), "provider-unavailable");
});

Deno.test('"io": a file that is missing, a file that is corrupt', async () => {
  const model = tiny();
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await kindOf(() => model.load(`${dir}/missing.onnx`)), "io");
    assert.equal(await kindOf(() => model.loadOnnx(new Uint8Array([1, 2, 3, 255]))), "io");
    assert.equal(await kindOf(() => model.restore(model.toOnnx())), "io");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('"diverged": a weight that is not finite makes the first loss NaN', async () => {
  const model = tiny();
  model.params.set("encoder.0.kernel", new Float32Array(64).fill(NaN));
  assert.equal(await kindOf(() => model.fit(new Float32Array(32).fill(0.5))), "diverged");
  await model.dispose();
});

Deno.test('"data-unavailable": MNIST nowhere on disk and no download allowed', async () => {
  const cacheDir = await Deno.makeTempDir();
  const dataDir = Deno.env.get("AUTOENCODERS_DATA_DIR"); // where CI keeps the full set
  Deno.env.delete("AUTOENCODERS_DATA_DIR");
  try {
    const load = () => loadMnist({ cacheDir, download: false });
    assert.equal(await kindOf(load), "data-unavailable");
  } finally {
    if (dataDir !== undefined) Deno.env.set("AUTOENCODERS_DATA_DIR", dataDir);
    await Deno.remove(cacheDir, { recursive: true });
  }
});
