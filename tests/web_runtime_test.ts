/**
 * The onnxruntime-web adapter's settings, here in Deno (its Node build): what
 * `configureWebRuntime`'s `wasmPaths` accepts (a folder, or either binary of
 * {@link ORT_WASM_FILES}, meaning its folder) and refuses, the thread count
 * `ortWebThreads` reports before and after the first session, and the refusal to
 * configure once a session has opened. The two builds in a browser are tested in
 * Chromium (browser_test.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { AutoencoderError } from "../src/errors.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { Builder } from "../src/ops/builder.ts";
import {
  configureWebRuntime,
  ORT_WASM_FILES,
  ortWebThreads,
  webRuntime,
} from "../src/runtime/web.ts";

Deno.test("configureWebRuntime: wasmPaths, threads, and no change after a session", async () => {
  assert.deepEqual(ORT_WASM_FILES, {
    wasm: "ort-wasm-simd-threaded.wasm",
    webgpu: "ort-wasm-simd-threaded.jsep.wasm",
  });
  // A folder, with or without its slash, or either binary: accepted.
  for (
    const wasmPaths of [
      "https://cdn.example/ort/",
      "https://cdn.example/ort",
      new URL("https://cdn.example/ort/"),
    ]
  ) {
    configureWebRuntime({ wasmPaths });
  }
  for (const file of Object.values(ORT_WASM_FILES)) {
    configureWebRuntime({ wasmPaths: `https://cdn.example/ort/${file}` });
  }
  // Another file: which build it serves cannot be told.
  assert.throws(
    () => configureWebRuntime({ wasmPaths: "https://cdn.example/ort/ort-7f3a.wasm" }),
    (e: Error) =>
      e instanceof AutoencoderError &&
      /wasmPaths "https:\/\/cdn\.example\/ort\/ort-7f3a\.wasm" names the file "ort-7f3a\.wasm", which is neither of ORT-web's binaries \(ort-wasm-simd-threaded\.wasm, ort-wasm-simd-threaded\.jsep\.wasm\); pass the URL of the folder/
        .test(e.message),
  );
  assert.throws(() => configureWebRuntime({ wasmPaths: "http://[" }), /is not a URL/);
  assert.throws(() => configureWebRuntime({ numThreads: 0 }), AutoencoderError);

  configureWebRuntime({ numThreads: 2 });
  assert.equal(ortWebThreads(), 2, "before a session: the configured count");
  const b = new Builder();
  b.graph.output("y", b.op1("Identity", [b.graph.input("x", "float32", [3])]));
  const model = encodeModel(b.graph, { name: "identity" });
  const session = await webRuntime.createSession(model, { provider: "wasm" });
  const { y } = await session.run({ x: webRuntime.tensor(Float32Array.of(1, 2, 3), [3]) });
  assert.deepEqual([...await webRuntime.read(y)], [1, 2, 3]);
  await session.release();
  assert.equal(ortWebThreads(), 2, "after: the count ORT-web's Node build runs");
  assert.throws(
    () => configureWebRuntime({ numThreads: 1 }),
    /a session has already opened and ORT-web reads its settings once/,
  );
});
