/**
 * A model's graphs are rewritten for the provider its sessions open on, as its
 * `ProviderResolver` resolves it (src/provider.ts): `"cpu"` and no provider mean
 * `"wasm"` in onnxruntime-web. A conv model trained and run there (its Node build in
 * Deno) must not get onnxruntime-node's CPU-only NCHWc rewrite, whose kernels ORT-web
 * lacks ("com.microsoft.nchwc:ReorderInput is not a registered function/op").
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConvAutoencoder } from "../mod.ts";
import { webRuntime } from "../src/runtime/web.ts";
import { mnistData } from "./helpers.ts";

Deno.test("a conv model trains and reconstructs on onnxruntime-web's cpu (wasm)", async () => {
  const { train } = await mnistData();
  const x = train.images.subarray(0, 64 * 784);
  for (const provider of [undefined, "cpu"] as const) {
    const model = new ConvAutoencoder({ runtime: webRuntime, provider, seed: 3 });
    const history = await model.fit(x, { epochs: 1, batchSize: 32 });
    assert.ok(Number.isFinite(history.loss[0]), String(history.loss[0]));
    assert.equal((await model.predict(x.subarray(0, 784))).length, 784);
    await model.dispose();
  }
});
