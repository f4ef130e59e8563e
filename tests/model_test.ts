import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import {
  type Autoencoder,
  AutoencoderError,
  ConvAutoencoder,
  UndercompleteAutoencoder,
} from "../mod.ts";
import { decodeModel } from "../src/onnx/model.ts";
import { mnistData } from "./helpers.ts";

const subset = async (n: number) => (await mnistData()).train.images.subarray(0, n * 784);

Deno.test("the undercomplete autoencoder learns real MNIST: loss falls, validation follows", async () => {
  const { test } = await mnistData();
  const model = new UndercompleteAutoencoder({ seed: 1 });
  const valData = test.images.subarray(0, 2000 * 784);
  const before = await model.evaluate(valData);
  const x = await subset(6000);
  // 18000 samples: 3 epochs of 6000 digits, or 6 of the embedded subset's 3000.
  const epochs = 18000 / (x.length / 784);
  const history = await model.fit(x, { epochs, batchSize: 128, validationData: valData });
  assert.equal(history.loss.length, epochs);
  assert.ok(before > 0.6, `untrained loss ${before}`); // ~ln 2 for a random sigmoid output
  assert.ok(history.loss.at(-1)! < history.loss[0], `loss ${history.loss}`);
  assert.ok(history.valLoss.at(-1)! < 0.25, `val_loss ${history.valLoss}`);
  // The evaluation session computes what fit reports as validation loss.
  assert.ok(Math.abs((await model.evaluate(valData)) - history.valLoss.at(-1)!) < 1e-6);
  await model.dispose();
});

Deno.test("fit uses every sample: a last batch smaller than the others", async () => {
  const model = new UndercompleteAutoencoder({ seed: 2 });
  const x = await subset(300); // 256 + 44
  const history = await model.fit(x, { epochs: 1, batchSize: 256, shuffle: false });
  assert.equal(history.loss.length, 1);
  assert.ok(Number.isFinite(history.loss[0]));
  // Same data, shuffled or not, as one batch of 300: the first-step loss of a fresh
  // model is the mean over all 300 samples, which the sample-weighted epoch mean reproduces.
  const fresh = new UndercompleteAutoencoder({ seed: 2 });
  const initial = await fresh.evaluate(x);
  const oneBatch = await fresh.fit(x, { epochs: 1, batchSize: 300 });
  assert.ok(Math.abs(oneBatch.loss[0] - initial) < 1e-5, `${oneBatch.loss[0]} vs ${initial}`);
});

Deno.test("the same seed gives bit-identical losses and weights", async () => {
  const x = await subset(1000);
  const run = async (make: () => Autoencoder, n: number) => {
    const model = make();
    const h = await model.fit(x.subarray(0, n * 784), { epochs: 2, batchSize: 100 });
    await model.dispose();
    return { loss: h.loss, params: model.params };
  };
  const dense = () => new UndercompleteAutoencoder({ seed: 7, threads: 1 });
  const a = await run(dense, 1000), b = await run(dense, 1000);
  assert.deepEqual(a.loss, b.loss);
  assert.deepEqual(a.params, b.params); // every weight, bit for bit
  const other = new UndercompleteAutoencoder({ seed: 8 });
  assert.notDeepEqual(other.params.get("encoder.0.kernel"), a.params.get("encoder.0.kernel"));
  const conv = () => new ConvAutoencoder({ seed: 7, threads: 1 });
  assert.deepEqual(await run(conv, 200), await run(conv, 200));
});

Deno.test("glorot-uniform kernels within the Keras limit, zero biases", () => {
  const model = new UndercompleteAutoencoder({ seed: 0 });
  const kernel = model.params.get("encoder.0.kernel")!;
  const limit = Math.sqrt(6 / (784 + 32));
  assert.equal(kernel.length, 784 * 32);
  assert.ok(kernel.every((v) => Math.abs(v) <= limit));
  const mean = kernel.reduce((a, b) => a + b, 0) / kernel.length;
  const variance = kernel.reduce((a, b) => a + b * b, 0) / kernel.length;
  assert.ok(Math.abs(mean) < 0.002);
  assert.ok(Math.abs(variance - limit * limit / 3) < 0.1 * limit * limit / 3);
  assert.ok(model.params.get("decoder.0.bias")!.every((v) => v === 0));
});

Deno.test("encode, decode and predict agree and have the right sizes", async () => {
  const model = new UndercompleteAutoencoder({ seed: 3 });
  await model.fit(await subset(1000), { epochs: 1 });
  const x = await subset(5);
  const codes = await model.encode(x);
  assert.equal(codes.length, 5 * 32);
  assert.ok(codes.every((v) => v >= 0)); // relu code
  const decoded = await model.decode(codes);
  const predicted = await model.predict(x);
  assert.equal(predicted.length, 5 * 784);
  assert.deepEqual(decoded, predicted);
  assert.ok(predicted.every((v) => v > 0 && v < 1));
  await model.dispose();
});

Deno.test("save and load round-trip through an ONNX file that plain ONNX Runtime runs", async () => {
  const dir = await Deno.makeTempDir();
  const model = new UndercompleteAutoencoder({ seed: 4 });
  await model.fit(await subset(1000), { epochs: 1 });
  const path = `${dir}/model.onnx`;
  await model.save(path);
  const x = await subset(3);
  const expected = await model.predict(x);

  // Any ONNX runtime can run it: plain onnxruntime-node, no library code.
  const session = await ort.InferenceSession.create(path);
  const out = await session.run({ input: new ort.Tensor("float32", x, [3, 784]) });
  assert.deepEqual(out.output.dims, [3, 784]);
  assert.deepEqual(out.code.dims, [3, 32]);
  const plain = out.output.data as Float32Array;
  assert.ok(plain.every((v, i) => Math.abs(v - expected[i]) < 1e-6));
  await session.release();

  const loaded = new UndercompleteAutoencoder({ seed: 99 });
  await loaded.load(path);
  assert.deepEqual(await loaded.predict(x), expected);
  const info = decodeModel(await Deno.readFile(path));
  assert.equal(info.metadata["autoencoders.model"], "undercomplete");
  assert.deepEqual(info.inputs.map((i) => [i.name, i.shape]), [["input", ["N", 784]]]);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["model.onnx"]); // no temp files left
  await model.dispose();
  await loaded.dispose();
});

Deno.test("a conv model's predictions follow its weights: after fit, after a change in place", async () => {
  // On the CPU its inference sessions hold the weights as constants (src/sessions.ts):
  // each prediction must equal plain ONNX Runtime on the model exported at that moment.
  const model = new ConvAutoencoder({ seed: 8 });
  const x = await subset(4);
  const plain = async () => {
    const session = await ort.InferenceSession.create(model.toOnnx());
    const out = await session.run({ input: new ort.Tensor("float32", x, [4, 1, 28, 28]) });
    await session.release();
    return out.output.data as Float32Array;
  };
  const first = await model.predict(x);
  assert.deepEqual(first, await plain());
  await model.fit(await subset(256), { epochs: 1 });
  const trained = await model.predict(x);
  assert.notDeepEqual(trained, first);
  assert.deepEqual(trained, await plain());
  model.params.get("decoder.6.bias")![0] += 1; // the output layer's bias, changed in place
  const moved = await model.predict(x);
  assert.ok(moved.every((v, i) => v > trained[i]), "a larger output bias raises every pixel");
  assert.deepEqual(moved, await plain());
  assert.deepEqual(await Promise.all([model.predict(x), model.predict(x)]), [moved, moved]);
  await model.dispose();
});

Deno.test("loading weights of another architecture fails and changes nothing", () => {
  const small = new UndercompleteAutoencoder({ codeSize: 16 });
  const model = new UndercompleteAutoencoder({ seed: 5 });
  const before = model.params.get("encoder.0.kernel")!;
  assert.throws(
    () => model.loadOnnx(small.toOnnx(), "small.onnx"),
    (e) =>
      e instanceof AutoencoderError &&
      /small\.onnx.*encoder\.0\.kernel.*\[784,32\].*\[784,16\]/.test(e.message),
  );
  assert.equal(model.params.get("encoder.0.kernel"), before);
  assert.throws(() => model.loadOnnx(new Uint8Array([8, 255, 255]), "junk.onnx"), AutoencoderError);
});

Deno.test("wrong input sizes and bad options give clear errors", async () => {
  const model = new UndercompleteAutoencoder();
  await assert.rejects(
    model.predict(new Float32Array(100)),
    /Cannot predict: expected samples of shape \[784\]/,
  );
  await assert.rejects(
    model.decode(new Float32Array(33)),
    /Cannot decode: expected samples of shape \[32\]/,
  );
  await assert.rejects(
    model.fit(await subset(10), { epochs: 0 }),
    /epochs must be a positive integer/,
  );
  await assert.rejects(
    model.fit(await subset(10), { batchSize: -1 }),
    /batch size must be a positive integer/,
  );
  await assert.rejects(
    model.fit(await subset(10), { optimizer: "adagrad" as "adam" }),
    /optimizer "adagrad".*adam, adadelta, sgd, rmsprop/,
  );
  // The check compares float bits: each side of 0 and 1, the infinities and -0 (accepted).
  const edges = [NaN, Infinity, -Infinity, -0.5, -1e-45, 1.0000001, 2].map(Math.fround);
  // Indices at the start, inside and at the end of the check's runs of eight values.
  for (const [bad, at] of edges.flatMap((v) => [800, 803, 2351].map((i) => [v, i]))) {
    const x = (await subset(3)).slice();
    x[5] = -0;
    x[at] = bad;
    await assert.rejects(
      model.fit(x, { epochs: 1 }),
      new RegExp(
        `Cannot fit: value ${bad} at index ${at} \\(sample ${
          Math.floor(at / 784)
        }\\) is outside \\[0, 1\\]`,
      ),
    );
  }
  // Samples of 13 values: the last run of eight is not whole.
  const table = new UndercompleteAutoencoder({ inputSize: 13, codeSize: 4, seed: 1 });
  await assert.rejects(
    table.predict(new Float32Array(13 * 3).fill(0.5).fill(-1, 38)),
    /Cannot predict: value -1 at index 38 \(sample 2\) is outside \[0, 1\]/,
  );
  await table.dispose();
  const edge = (await subset(3)).slice();
  edge.set([-0, 0, 1, Math.fround(1e-45)], 800);
  assert.equal((await model.predict(edge)).length, edge.length);
  await assert.rejects(
    model.decode(new Float32Array(32).fill(NaN)),
    /Cannot decode: value NaN at index 0 \(sample 0\) is not finite/,
  );
});

Deno.test("a diverging run stops with a clear error and keeps the last good weights", async () => {
  const model = new UndercompleteAutoencoder({ seed: 6 });
  await assert.rejects(
    model.fit(await subset(2000), { epochs: 3, learningRate: 1e30 }),
    /loss became (NaN|Infinity).*lower the learning rate/,
  );
  for (const [name, w] of model.params) {
    assert.ok(w.every(Number.isFinite), `${name} is not finite`);
  }
});

Deno.test("importing both entry points keeps the native runtime, in either order", async () => {
  for (const order of [["mod.ts", "src/web.ts"], ["src/web.ts", "mod.ts"]]) {
    const code = `${order.map((f) => `import "${new URL(`../${f}`, import.meta.url)}";`).join("")}
      import { defaultRuntime } from "${new URL("../src/runtime/default.ts", import.meta.url)}";
      console.log(defaultRuntime().name);`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      cwd: fileURLToPath(new URL("..", import.meta.url)), // the project's import map
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /^onnxruntime-node/, `imported ${order.join(", then ")}: ${text}`);
  }
});
