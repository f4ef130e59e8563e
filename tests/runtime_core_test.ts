/**
 * The ONNX Runtime core (src/runtime/core.ts) on a fake ORT: how options map onto
 * ORT's, which provider a session opens on, how often providers are probed, and the
 * errors, without opening a real session.
 */

import assert from "node:assert/strict";
import { AutoencoderError } from "../src/errors.ts";
import {
  createRuntime,
  type Ort,
  type OrtSessionOptions,
  type OrtTensor,
  type RuntimeAdapter,
} from "../src/runtime/core.ts";
import type { Provider, ProviderInfo } from "../src/runtime/types.ts";

/** A runtime on a fake ORT, recording the options of the sessions it opens and the probes. */
function fake(overrides: Partial<RuntimeAdapter> = {}) {
  const opened: OrtSessionOptions[] = [];
  const probes: Provider[] = [];
  const probe = (info: ProviderInfo) => () => {
    probes.push(info.provider);
    return Promise.resolve(info);
  };
  const tensor = (location: string, data: unknown): OrtTensor => ({
    dims: [1],
    location,
    data,
    dispose() {},
  });
  const ort: Ort = {
    InferenceSession: {
      create(_model, options) {
        opened.push(options);
        if (options.executionProviders?.[0] === "cuda") throw new Error("no wasm binary");
        return Promise.resolve({
          run: (feeds: Record<string, OrtTensor>) =>
            "bad" in feeds ? Promise.reject(new Error("shape mismatch")) : Promise.resolve(feeds),
          release: () => Promise.resolve(),
        });
      },
    },
    Tensor: class {
      constructor(_type: "float32", data: Float32Array, dims: readonly number[]) {
        return { ...tensor("cpu", data), dims };
      }
    } as unknown as Ort["Tensor"],
  };
  const runtime = createRuntime({
    name: "fake-ort 1.0",
    ort,
    defaultProvider: "cpu",
    probes: {
      cuda: probe({ provider: "cuda", available: true }),
      webgpu: probe({ provider: "webgpu", available: true, device: "llvmpipe", software: true }),
      cpu: probe({ provider: "cpu", available: true }),
    },
    lacks: { wasm: 'fake-ort has none; use provider "cpu"' },
    sessionOptions: (options) => ({
      logSeverityLevel: 3,
      extra: { session: { spin: options.spinning === false ? "0" : "1" } },
    }),
    openHint: (detail) => detail.includes("wasm") ? "; serve the binary" : "",
    download: (t) =>
      t.data === "lost"
        ? Promise.reject(new Error("device lost"))
        : Promise.resolve(new Float32Array([7])),
    writeFile: () => Promise.resolve(),
    readFile: () => Promise.resolve(new Uint8Array()),
    ...overrides,
  });
  return { runtime, opened, probes, tensor };
}

const MODEL = new Uint8Array([8, 8]);

Deno.test("the core maps session options onto ORT's, the adapter's own first", async () => {
  const { runtime, opened } = fake();
  await runtime.createSession(MODEL);
  await runtime.createSession(MODEL, {
    provider: "webgpu",
    deviceOutputs: ["w"],
    noCpuFallback: true,
    spinning: false,
    layoutTransforms: false,
  });
  const onHost = await runtime.createSession(MODEL, { provider: "cpu", deviceOutputs: ["w"] });
  assert.deepEqual(opened, [
    {
      logSeverityLevel: 3,
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      extra: { session: { spin: "1" } },
    },
    {
      logSeverityLevel: 3,
      executionProviders: ["webgpu"],
      graphOptimizationLevel: "extended",
      preferredOutputLocation: { w: "gpu-buffer" },
      extra: { session: { spin: "0", disable_cpu_ep_fallback: "1" } },
    },
    {
      logSeverityLevel: 3,
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      extra: { session: { spin: "1" } },
    },
  ]);
  assert.equal(onHost.onDevice, false, "only WebGPU keeps outputs on the device");
});

Deno.test('the core resolves "auto" past a software adapter, and probes each provider once, only those asked', async () => {
  const { runtime, opened } = fake({
    probes: {
      webgpu: () => Promise.resolve({ provider: "webgpu", available: true, software: true }),
      cpu: () => Promise.resolve({ provider: "cpu", available: true }),
    },
  });
  await runtime.createSession(MODEL, { provider: "auto" });
  assert.deepEqual(
    opened.map((o) => o.executionProviders),
    [["cpu"]],
    "a software adapter is passed over",
  );

  const counted = fake();
  await counted.runtime.providers("cpu");
  await counted.runtime.createSession(MODEL, { provider: "cpu" });
  assert.deepEqual(counted.probes, ["cpu"]);
  await counted.runtime.providers();
  await counted.runtime.providers();
  assert.deepEqual(counted.probes, ["cpu", "cuda", "webgpu"]);
});

Deno.test("the core refuses a provider that is missing or not available before opening anything", async () => {
  const { runtime, opened } = fake({
    probes: {
      cuda: () => Promise.resolve({ provider: "cuda", available: false, reason: "install CUDA" }),
      cpu: () => Promise.resolve({ provider: "cpu", available: true }),
    },
  });
  await assert.rejects(
    runtime.createSession(MODEL, { provider: "wasm" }),
    new AutoencoderError(
      'Cannot open ONNX Runtime session on provider "wasm": fake-ort has none; use provider "cpu"',
      { kind: "provider-unavailable" },
    ),
  );
  await assert.rejects(
    runtime.createSession(MODEL, { provider: "cuda" }),
    new AutoencoderError(
      'Cannot use provider "cuda" of fake-ort 1.0: it is not available here; install CUDA',
      { kind: "provider-unavailable" },
    ),
  );
  await assert.rejects(
    runtime.createSession(MODEL, { provider: "tpu" as Provider }),
    /^AutoencoderError: Cannot use provider "tpu": fake-ort 1\.0 has no such provider; choose one of "auto", "cuda", "cpu"$/,
  );
  await assert.rejects(
    runtime.createSession(MODEL, { threads: 0 }),
    /^AutoencoderError: Cannot open ONNX Runtime session: threads must be an integer from 1 to/,
  );
  assert.deepEqual(opened, []);
});

Deno.test("the core wraps ORT's failures in one voice and downloads only device tensors", async () => {
  const { runtime, tensor } = fake();
  await assert.rejects(
    runtime.createSession(MODEL, { provider: "cuda" }),
    new AutoencoderError(
      'Cannot open ONNX Runtime session on provider "cuda"; serve the binary: no wasm binary',
    ),
  );
  const session = await runtime.createSession(MODEL);
  await assert.rejects(
    session.run({ bad: runtime.tensor(new Float32Array(1), [1]) }),
    new AutoencoderError("Cannot run ONNX model: ONNX Runtime failed: shape mismatch"),
  );
  const host = new Float32Array([1]);
  assert.equal(await runtime.read(runtime.tensor(host, [1])), host);
  assert.deepEqual(await runtime.read(tensor("gpu-buffer", "kept")), new Float32Array([7]));
  await assert.rejects(
    runtime.read(tensor("gpu-buffer", "lost")),
    new AutoencoderError(
      "Cannot read a tensor back from the GPU: ONNX Runtime failed: device lost",
    ),
  );
});
