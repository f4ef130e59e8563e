/**
 * The conv and denoising training graphs on ORT's WebGPU provider (onnxruntime-node),
 * here on SwiftShader's Vulkan (Debian's chromium package ships it; libvulkan1 is the
 * loader): the same losses and weights as on the CPU provider for a few steps.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ConvAutoencoder, DenoisingAutoencoder } from "../mod.ts";
import type { Autoencoder, ModelOptions } from "../src/autoencoder.ts";
import { mnistData } from "./helpers.ts";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";

function useSwiftShader(): void {
  assert.ok(
    existsSync(SWIFTSHADER),
    `WebGPU tests need SwiftShader's Vulkan driver at ${SWIFTSHADER}: apt-get install chromium libvulkan1 (.ci/setup does)`,
  );
  if (!Deno.env.get("VK_ICD_FILENAMES")) Deno.env.set("VK_ICD_FILENAMES", SWIFTSHADER);
  if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync());
}

const MODELS: [string, (o: ModelOptions) => Autoencoder][] = [
  ["conv", (o) => new ConvAutoencoder(o)],
  ["denoising", (o) => new DenoisingAutoencoder(o)],
];

for (const [name, make] of MODELS) {
  Deno.test(`${name}: training on WebGPU gives the CPU provider's losses and weights`, async () => {
    useSwiftShader();
    const x = (await mnistData()).train.images.subarray(0, 48 * 784);
    const run = async (provider: "cpu" | "webgpu") => {
      const model = make({ seed: 5, provider });
      const history = await model.fit(x, { epochs: 1, batchSize: 16, shuffle: false });
      const out = { loss: history.loss[0], params: model.params };
      await model.dispose();
      return out;
    };
    const cpu = await run("cpu"), gpu = await run("webgpu");
    assert.ok(Math.abs(gpu.loss - cpu.loss) <= 1e-4 * cpu.loss, `loss ${gpu.loss} vs ${cpu.loss}`);
    // Three Adam steps move a weight by up to 3 · lr = 3e-3, and Adam's normalised step
    // magnifies float32 differences in small gradients (sums in another order) to a
    // few 1e-5; a wrong gradient would move weights by about lr = 1e-3 per step.
    for (const [param, expected] of cpu.params) {
      const actual = gpu.params.get(param)!;
      const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
      assert.ok(worst <= 3e-4, `${param}: differs by ${worst}`);
    }
  });
}
