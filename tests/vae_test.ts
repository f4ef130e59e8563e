/**
 * The variational autoencoder: its loss parts against a plain TypeScript
 * computation, exact resume with the ε generator, reproducible sampling, the code
 * distribution's shapes, and the exported generator (ONNX checker; the same images
 * in onnxruntime-web on wasm as in onnxruntime-node). No full data needed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type FitOptions,
  Flatten,
  loadMnistSubset,
  nodeRuntime,
  Reshape,
  VariationalAutoencoder,
} from "../mod.ts";
import { webRuntime } from "../src/runtime/web.ts";
import type { Runtime } from "../src/runtime/types.ts";
import { validationNoise } from "../training/inputs.ts";
import { checkWithOnnx } from "./helpers.ts";

const { train, test } = await loadMnistSubset();

/** `x @ W + b` of `n` rows. */
function affine(x: Float64Array, n: number, w: Float32Array, b: Float32Array): Float64Array {
  const inputs = x.length / n, units = b.length, y = new Float64Array(n * units);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < units; j++) {
      let s = b[j];
      for (let k = 0; k < inputs; k++) s += x[i * inputs + k] * w[k * units + j];
      y[i * units + j] = s;
    }
  }
  return y;
}

/** The largest difference between two arrays of the same length. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
  return worst;
}

Deno.test("vae: the reconstruction and KL parts match a plain computation", async () => {
  const model = new VariationalAutoencoder({ inputSize: 6, hiddenUnits: 3, latentDim: 2, seed: 4 });
  const n = 5, x = Float32Array.from({ length: n * 6 }, (_, i) => ((i * 7) % 11) / 10);
  const terms = await model.evaluateTerms(x);
  const p = (name: string) => model.params.get(name)!;
  const relu = (v: Float64Array) => v.map((a) => Math.max(a, 0));
  const h = relu(affine(Float64Array.from(x), n, p("encoder.0.kernel"), p("encoder.0.bias")));
  const mean = affine(h, n, p("encoder.1.mean.kernel"), p("encoder.1.mean.bias"));
  const logVar = affine(h, n, p("encoder.1.log_var.kernel"), p("encoder.1.log_var.bias"));
  const eps = validationNoise(model.program().noise, n).get("noise.encoder.1")!;
  const z = mean.map((m, i) => m + Math.exp(0.5 * logVar[i]) * eps[i]);
  const logits = affine(
    relu(affine(z, n, p("decoder.0.kernel"), p("decoder.0.bias"))),
    n,
    p("decoder.1.kernel"),
    p("decoder.1.bias"),
  );
  let bce = 0, kl = 0;
  logits.forEach((l, i) => {
    const q = 1 / (1 + Math.exp(-l));
    bce -= x[i] * Math.log(q) + (1 - x[i]) * Math.log(1 - q);
  });
  mean.forEach((m, i) => (kl += -0.5 * (1 + logVar[i] - m * m - Math.exp(logVar[i]))));
  const close = (a: number, b: number, what: string) =>
    assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  close(terms["bce(sum)"], bce / n, "reconstruction");
  close(terms["kl(code)"], kl / n, "KL");
  close(terms.loss, (bce + kl) / n, "negative ELBO");
  const elbo = await model.evaluateElbo(x);
  assert.equal(elbo.negativeElbo, terms.loss);
  await model.dispose();
});

Deno.test("vae: a resumed run draws the same ε and gives the same losses and weights", async () => {
  const x = train.images.subarray(0, 300 * 784);
  const options = { batchSize: 50, validationData: test.images.subarray(0, 100 * 784) };
  const straight = new VariationalAutoencoder({ seed: 3 });
  await straight.fit(x, { ...options, epochs: 2 });
  await assertResumesExactly(() => new VariationalAutoencoder({ seed: 3 }), x, options, straight);
  // Without the ε generator's state the second epoch would differ: the draws move on.
  assert.notEqual(straight.history.loss[0], straight.history.loss[1]);
  await straight.dispose();
});

Deno.test("vae: sample is reproducible by seed; encodeDistribution gives the code's shapes", async () => {
  const model = new VariationalAutoencoder({ latentDim: 3, seed: 1 });
  const [a, b, c] = [
    await model.sample(4, { seed: 9 }),
    await model.sample(4, { seed: 9 }),
    await model.sample(4, { seed: 10 }),
  ];
  assert.equal(a.length, 4 * 784);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const x = test.images.subarray(0, 5 * 784);
  const { mean, logVar } = await model.encodeDistribution(x);
  assert.equal(mean.length, 5 * 3);
  assert.equal(logVar.length, 5 * 3);
  assert.deepEqual(await model.encode(x), mean);
  const line = await model.interpolate(mean.subarray(0, 3), mean.subarray(3, 6), 4);
  assert.equal(line.length, 4 * 784);
  assert.ok(maxDiff(line.subarray(0, 784), await model.decode(mean.subarray(0, 3))) < 1e-6);
  assert.throws(() => model.sample(0), /Cannot sample from model "vae": the count must be/);
  await model.dispose();
});

Deno.test("vae: the exported generator passes the ONNX checker and runs alike on node and wasm", async () => {
  const model = new VariationalAutoencoder({ seed: 2 });
  await model.fit(train.images.subarray(0, 200 * 784), { epochs: 1, batchSize: 100 });
  const dir = await Deno.makeTempDir();
  try {
    const decoder = model.toOnnx("decoder"), encoder = model.toOnnx("encoder");
    const paths = [join(dir, "decoder.onnx"), join(dir, "encoder.onnx")];
    await Deno.writeFile(paths[0], decoder);
    await Deno.writeFile(paths[1], encoder);
    const checked = await checkWithOnnx(paths);
    for (const path of paths) assert.equal(checked[path], "ok", `${path}: ${checked[path]}`);
    const z = Float32Array.from({ length: 8 * 2 }, (_, i) => Math.sin(i) * 2);
    const generate = async (runtime: Runtime, provider: "cpu" | "wasm") => {
      const session = await runtime.createSession(decoder, { provider });
      const out = await session.run({ input: runtime.tensor(z, [8, 2]) });
      const images = (await runtime.read(out.output)).slice();
      await session.release();
      return images;
    };
    const node = await generate(nodeRuntime, "cpu");
    const web = await generate(webRuntime, "wasm");
    assert.ok(maxDiff(node, await model.decode(z)) < 1e-6);
    const worst = maxDiff(node, web);
    assert.ok(worst < 1e-5, `node and wasm images differ by ${worst}`);
    const session = await nodeRuntime.createSession(encoder, { provider: "cpu" });
    const x = test.images.subarray(0, 3 * 784);
    const out = await session.run({ input: nodeRuntime.tensor(x, [3, 784]) });
    const { mean, logVar } = await model.encodeDistribution(x);
    assert.ok(maxDiff(await nodeRuntime.read(out.mean), mean) < 1e-6);
    assert.ok(maxDiff(await nodeRuntime.read(out.log_var), logVar) < 1e-6);
    await session.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
    await model.dispose();
  }
});

Deno.test("vae conv: trains on 500 digits with falling loss, resumes bit-exact, exports a generator", async () => {
  const x = train.images.subarray(0, 500 * 784);
  const options = { batchSize: 100, validationData: test.images.subarray(0, 100 * 784) };
  const straight = new VariationalAutoencoder({ conv: true, seed: 5 });
  assert.match(straight.summary(), /Flatten/);
  const before = (await straight.evaluateElbo(options.validationData)).negativeElbo;
  await straight.fit(x, { ...options, epochs: 2 });
  const [one, two] = straight.history.valLoss;
  assert.ok(one < before && two < one, `val -ELBO ${before} -> ${one} -> ${two}`);
  assert.ok(straight.history.loss[1] < straight.history.loss[0]);
  const conv = () => new VariationalAutoencoder({ conv: true, seed: 5 });
  await assertResumesExactly(conv, x, options, straight);
  const decoder = straight.toOnnx("decoder");
  const session = await nodeRuntime.createSession(decoder, { provider: "cpu" });
  const z = Float32Array.from({ length: 3 * 2 }, (_, i) => Math.cos(i));
  const out = await session.run({ input: nodeRuntime.tensor(z, [3, 2]) });
  assert.deepEqual([...out.output.dims], [3, 1, 28, 28]);
  const images = (await nodeRuntime.read(out.output)).slice();
  assert.ok(maxDiff(images, await straight.decode(z)) < 1e-6);
  assert.ok(images.every((v) => v > 0 && v < 1));
  assert.equal((await straight.sample(2, { seed: 1 })).length, 2 * 784);
  await session.release();
  await straight.dispose();
});

Deno.test("vae conv: Flatten and Reshape check their shapes", () => {
  assert.throws(() => new Flatten().outputShape([784], "encoder.6"), /expects images/);
  assert.throws(() => new Reshape([8, 4, 4]).outputShape([100], "decoder.1"), /128 features/);
  assert.throws(() => new Reshape([8, 0, 4]), /positive integer/);
  assert.throws(
    () => new VariationalAutoencoder({ conv: true, inputSize: 100 }),
    /takes 28x28 images/,
  );
});

/** One epoch, a checkpoint, a restore and one more epoch give `straight`'s two epochs exactly. */
async function assertResumesExactly(
  make: () => VariationalAutoencoder,
  x: Float32Array,
  options: FitOptions,
  straight: VariationalAutoencoder,
): Promise<void> {
  const first = make();
  await first.fit(x, { ...options, epochs: 1 });
  const resumed = make();
  resumed.restore(first.checkpoint());
  await resumed.fit(x, { ...options, epochs: 1 });
  assert.deepEqual(resumed.history.loss, straight.history.loss);
  assert.deepEqual(resumed.history.valLoss, straight.history.valLoss);
  for (const [name, value] of straight.params) {
    assert.deepEqual(resumed.params.get(name), value, name);
  }
  await Promise.all([first, resumed].map((m) => m.dispose()));
}
