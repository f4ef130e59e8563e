/**
 * Reliability (issue 7): bad input gets a clear error in the library's voice and
 * changes nothing; killed processes never leave a torn checkpoint or cache file and
 * `--resume` finishes as an uninterrupted run; the IDX and ONNX parsers survive
 * thousands of random mutations.
 *
 * Rows other tests already cover are not repeated here: bad IDX files and bad
 * mirrors (data_test.ts), wrong sizes to predict/decode, epochs 0, negative batch
 * sizes, an unknown optimizer, values outside [0, 1] and divergence (model_test.ts),
 * checkpoints of another architecture and truncated ones (training_test.ts),
 * non-ONNX bytes to decodeModel (onnx_test.ts).
 */

import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import {
  Autoencoder,
  AutoencoderError,
  ConvAutoencoder,
  DenoisingAutoencoder,
  Dense,
  loadMnist,
  UndercompleteAutoencoder,
} from "../mod.ts";
import { concatBytes } from "../src/bytes.ts";
import { decodeIdx } from "../src/data/idx.ts";
import { decodeModel, encodeModel } from "../src/onnx/model.ts";
import { ModelProto } from "../src/onnx/schema.ts";
import { Builder } from "../src/ops/builder.ts";
import { Random } from "../src/nn/random.ts";
import { paramSpecs } from "../src/nn/architecture.ts";
import { buildTrainStep } from "../training/train_step.ts";
import { adam } from "../training/optimizers.ts";
import { isTempOf, removeStaleTemps, writeFileAtomic } from "../src/runtime/files.ts";
import { main as train } from "../src/cli/train.ts";
import { DATA_DIR, mnistData, needsFullMnist } from "./helpers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const images = async (n: number) => (await mnistData()).train.images.subarray(0, n * 784);

/** The error `action` fails with; fails the test unless it is an AutoencoderError matching `message`. */
async function failure(action: () => unknown, message: RegExp): Promise<AutoencoderError> {
  let error: unknown;
  try {
    await action();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof AutoencoderError, `expected an AutoencoderError, got ${error}`);
  assert.match(error.message, message);
  // The project's voice: sentence case, no trailing period.
  assert.match(error.message, /^Cannot [a-z]/);
  assert.ok(!error.message.endsWith("."), error.message);
  return error;
}

/** Everything a failed call must leave as it was: weights, epoch, history. */
function snapshot(model: Autoencoder) {
  return {
    params: structuredClone(model.params),
    epoch: model.epoch,
    history: structuredClone(model.history),
  };
}

// ---------------------------------------------------------------------------
// Bad input to the models

Deno.test("bad input to fit, encode, decode, denoise and evaluate: a clear error, no state changed", async (t) => {
  const x = await images(20);
  const model = new UndercompleteAutoencoder({ seed: 1, threads: 1 });
  await model.fit(x, { epochs: 1, batchSize: 10 });
  const conv = new ConvAutoencoder({ seed: 1, threads: 1 });
  const denoising = new DenoisingAutoencoder({ seed: 1, threads: 1 });
  const rows: [string, Autoencoder, (m: Autoencoder) => unknown, RegExp][] = [
    [
      "fit on a partial sample",
      model,
      (m) => m.fit(x.subarray(0, 1000)),
      /^Cannot fit: expected samples of shape \[784\] \(784 values each\), got 1000 values; pass a whole number of samples$/,
    ],
    [
      "fit on an empty data set",
      model,
      (m) => m.fit(new Float32Array(0)),
      /^Cannot fit: the data set is empty; pass at least one sample of shape \[784\]$/,
    ],
    [
      "fit on an empty image set",
      model,
      (m) => m.fit({ images: new Float32Array(0), count: 0 }),
      /^Cannot fit: the data set is empty/,
    ],
    [
      "fit on a batch whose count disagrees with its images",
      model,
      (m) => m.fit({ images: x, count: 21 }),
      /^Cannot fit: the batch says it holds 21 samples but its images are 20 samples of shape \[784\]; make count match the images$/,
    ],
    [
      "fit on plain numbers",
      model,
      (m) => m.fit(Array.from(x) as unknown as Float32Array),
      /^Cannot fit: expected a Float32Array, got Array; convert the data with Float32Array.from$/,
    ],
    [
      "fit with validation data of the wrong shape",
      model,
      (m) => m.fit(x, { validationData: new Float32Array(100) }),
      /^Cannot use the validation data: expected samples of shape \[784\]/,
    ],
    [
      "fit with batch size 0",
      model,
      (m) => m.fit(x, { batchSize: 0 }),
      /batch size must be a positive integer, got 0; pass batchSize >= 1$/,
    ],
    [
      "fit with batch size 2.5",
      model,
      (m) => m.fit(x, { batchSize: 2.5 }),
      /batch size must be a positive integer, got 2.5; pass batchSize >= 1$/,
    ],
    [
      "fit with epochs NaN",
      model,
      (m) => m.fit(x, { epochs: NaN }),
      /epochs must be a positive integer, got NaN; pass epochs >= 1$/,
    ],
    ...[0, -1, NaN, Infinity].map((
      rate,
    ): [string, Autoencoder, (m: Autoencoder) => unknown, RegExp] => [
      `fit with learning rate ${rate}`,
      model,
      (m) => m.fit(x, { learningRate: rate }),
      new RegExp(
        `^Cannot fit: the learning rate must be a finite number > 0, got ${rate}; pass one such as 0.001$`,
      ),
    ]),
    [
      "conv fit on 32x32 images",
      conv,
      (m) => m.fit(new Float32Array(2 * 32 * 32)),
      /^Cannot fit: expected samples of shape \[1,28,28\] \(784 values each\), got 2048 values/,
    ],
    [
      "encode a partial sample",
      model,
      (m) => m.encode(new Float32Array(783)),
      /^Cannot encode: expected samples of shape \[784\]/,
    ],
    [
      "encode Infinity",
      model,
      (m) => m.encode(new Float32Array(784).fill(Infinity)),
      /^Cannot encode: value Infinity at index 0 \(sample 0\) is outside \[0, 1\]/,
    ],
    [
      "decode conv codes of the wrong shape",
      conv,
      (m) => m.decode(new Float32Array(8 * 4 * 5)),
      /^Cannot decode: expected samples of shape \[8,4,4\] \(128 values each\), got 160 values/,
    ],
    [
      "denoise images of the wrong size",
      denoising,
      (m) => (m as DenoisingAutoencoder).denoise(new Float32Array(28 * 27)),
      /^Cannot denoise: expected samples of shape \[1,28,28\] \(784 values each\), got 756 values/,
    ],
    [
      "denoise values outside [0, 1]",
      denoising,
      (m) => (m as DenoisingAutoencoder).denoise(new Float32Array(784).fill(1.5)),
      /^Cannot denoise: value 1.5 at index 0 \(sample 0\) is outside \[0, 1\]; scale images to \[0, 1\]/,
    ],
    [
      "evaluate an empty data set",
      model,
      (m) => m.evaluate(new Float32Array(0)),
      /^Cannot evaluate: the data set is empty/,
    ],
  ];
  for (const [name, m, action, message] of rows) {
    await t.step(name, async () => {
      const before = snapshot(m);
      await failure(() => action(m), message);
      assert.deepEqual(snapshot(m), before, "the model changed");
    });
  }
  for (const m of [model, conv, denoising]) await m.dispose();
});

Deno.test("a batch size larger than the data set trains on one batch of all of it, as Keras does", async () => {
  // Keras' fit accepts batch_size > len(x) and makes one batch; the library does
  // the same (it clamps the batch size to the data set), so it is no error.
  const x = await images(50);
  const run = async (batchSize: number) => {
    const model = new UndercompleteAutoencoder({ seed: 3, threads: 1 });
    const history = await model.fit(x, { epochs: 2, batchSize });
    return { loss: history.loss, params: model.params };
  };
  assert.deepEqual(await run(10_000), await run(50));
});

// ---------------------------------------------------------------------------
// Bad files to load and restore

/** A model from another source: weights under the right names, stored as float_data. */
function foreignModel(
  weights: Map<string, Float32Array>,
  shapes: Map<string, number[]>,
  dataType = 1,
): Uint8Array {
  const message = {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "another-tool",
    graph: {
      name: "g",
      node: [{ opType: "Identity", input: ["x"], output: ["y"] }],
      input: [{
        name: "x",
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 3 }] } } },
      }],
      output: [{
        name: "y",
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 3 }] } } },
      }],
      initializer: [...weights].map(([name, data]) => ({
        name,
        dims: shapes.get(name),
        dataType,
        ...(dataType === 1
          ? { floatData: Array.from(data) }
          : { int64Data: Array.from(data, () => 1) }),
      })),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

/** A checkpoint of `model` with its training-state metadata replaced by `edit(state)`. */
function editedCheckpoint(model: Autoencoder, edit: (state: Record<string, unknown>) => unknown) {
  const bytes = model.checkpoint();
  const m = ModelProto.decode(bytes) as unknown as {
    metadataProps: { key: string; value: string }[];
  };
  for (const p of m.metadataProps) {
    if (p.key === "autoencoders.checkpoint") {
      const edited = edit(JSON.parse(p.value));
      p.value = typeof edited === "string" ? edited : JSON.stringify(edited);
    }
  }
  return ModelProto.encode(m).finish();
}

/** A checkpoint of `model` with one initializer changed by `edit`. */
function editedInitializer(
  model: Autoencoder,
  name: string,
  edit: (t: { dims: number[]; rawData: Uint8Array }) => void,
) {
  const m = ModelProto.decode(model.checkpoint()) as unknown as {
    graph: { initializer: { name: string; dims: number[]; rawData: Uint8Array }[] };
  };
  const t = m.graph.initializer.find((i) => i.name === name);
  assert.ok(t, `no initializer ${name}`);
  edit(t);
  return ModelProto.encode(m).finish();
}

Deno.test("bad files to load, loadOnnx and restore: a clear error naming the file, no state changed", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "reliability_" });
  const model = new UndercompleteAutoencoder({ seed: 2, threads: 1 });
  await model.fit(await images(100), { epochs: 1, batchSize: 50 });
  const shapes = new Map(paramSpecs(model.config).map((s) => [s.name, s.shape]));
  // An ONNX graph that is not an autoencoder: another input, no weights.
  const b = new Builder();
  b.graph.output("y", b.relu(b.graph.input("pixels", "float32", ["N", 10])));
  await Deno.writeFile(`${dir}/other.onnx`, encodeModel(b.graph, { name: "other" }));
  await Deno.writeFile(`${dir}/notes.txt`, new TextEncoder().encode("not a model\n"));
  const noise = new Random(4);
  const png = [
    0x89,
    0x50,
    0x4e,
    0x47,
    13,
    10,
    26,
    10,
    ...Array.from({ length: 500 }, () => Math.floor(noise.next() * 256)),
  ];
  await Deno.writeFile(`${dir}/picture.png`, new Uint8Array(png));
  const nan = editedInitializer(model, "encoder.0.kernel", (t) => {
    new DataView(t.rawData.buffer, t.rawData.byteOffset).setFloat32(40, NaN, true);
  });
  const rows: [string, (m: Autoencoder) => unknown, RegExp][] = [
    [
      "a file that does not exist",
      (m) => m.load(`${dir}/missing.onnx`),
      /^Cannot read ".*missing\.onnx": .*; check the path/,
    ],
    [
      "a text file",
      (m) => m.load(`${dir}/notes.txt`),
      /^Cannot read ONNX model ".*notes\.txt": the file is not a valid ONNX model; check that it is an \.onnx file/,
    ],
    [
      "a PNG image",
      (m) => m.load(`${dir}/picture.png`),
      /^Cannot read ONNX model ".*picture\.png": the file is not a valid ONNX model/,
    ],
    ["a folder", (m) => m.load(dir), /^Cannot read ".*reliability_.*":/],
    [
      "an ONNX model with other inputs and no weights",
      (m) => m.load(`${dir}/other.onnx`),
      /^Cannot load ".*other\.onnx": weight "encoder\.0\.kernel" of shape \[784,32\] is missing; the file was saved from another architecture$/,
    ],
    [
      "the training graph (weights are its inputs, not initializers)",
      (m) => m.loadOnnx(encodeModel(buildTrainStep(m.config, adam()).graph), "train_step.onnx"),
      /weight "encoder\.0\.kernel" of shape \[784,32\] is missing/,
    ],
    [
      "an encoder-only model",
      (m) => m.loadOnnx(model.toOnnx("encoder"), "encoder.onnx"),
      /^Cannot load "encoder\.onnx": weight "decoder\.0\.kernel" of shape \[32,784\] is missing/,
    ],
    [
      "another tool's model with the right names but int64 weights",
      (m) => m.loadOnnx(foreignModel(model.params, shapes, 7), "ints.onnx"),
      /^Cannot load "ints\.onnx": weight "encoder\.0\.kernel" of shape \[784,32\] is missing/,
    ],
    [
      "a conv model's weights",
      (m) => m.loadOnnx(new ConvAutoencoder().toOnnx(), "conv.onnx"),
      /^Cannot load "conv\.onnx": it holds a "conv" model, not "undercomplete"; load it into a conv model$/,
    ],
    [
      "a NaN weight",
      (m) => m.loadOnnx(nan, "nan.onnx"),
      /^Cannot load "nan\.onnx": weight "encoder\.0\.kernel" holds NaN at index 10; the file is corrupt or was saved from a diverged run$/,
    ],
    [
      "a checkpoint with a NaN weight",
      (m) => m.restore(nan, "nan.onnx"),
      /^Cannot load "nan\.onnx": weight "encoder\.0\.kernel" holds NaN at index 10/,
    ],
    [
      "a checkpoint whose training state is not JSON",
      (m) => m.restore(editedCheckpoint(model, () => "{step: 1"), "ckpt.onnx"),
      /^Cannot restore "ckpt\.onnx": its training state is corrupt \(not JSON\); restore an earlier checkpoint/,
    ],
    [
      "a checkpoint whose generator state has 5 numbers",
      (m) =>
        m.restore(
          editedCheckpoint(model, (s) => ({
            ...s,
            generators: { ...(s.generators as object), shuffle: [1, 2, 3, 4, 5] },
          })),
          "ckpt.onnx",
        ),
      /^Cannot restore "ckpt\.onnx": its training state is corrupt \(the shuffle generator's state is not 4 integers\)/,
    ],
    [
      "a checkpoint with a negative step",
      (m) => m.restore(editedCheckpoint(model, (s) => ({ ...s, step: -3 })), "ckpt.onnx"),
      /its training state is corrupt \(step -3 is not a count\)/,
    ],
    [
      "a checkpoint without its history",
      (m) =>
        m.restore(
          editedCheckpoint(model, (s) => ({ ...s, history: { loss: "low" } })),
          "ckpt.onnx",
        ),
      /its training state is corrupt \(history\.loss is not a list of finite numbers\)/,
    ],
    [
      "a checkpoint whose optimizer state has the wrong shape",
      (m) =>
        m.restore(
          editedInitializer(model, "optimizer.m.encoder.0.bias", (t) => {
            t.dims = [16, 2];
          }),
          "ckpt.onnx",
        ),
      /^Cannot restore "ckpt\.onnx": optimizer state "optimizer\.m\.encoder\.0\.bias" has shape \[16,2\] but the weight has \[32\]; the checkpoint is corrupt or of another architecture$/,
    ],
    [
      "a checkpoint whose weight lost 4 bytes",
      (m) =>
        m.restore(
          editedInitializer(model, "decoder.0.bias", (t) => {
            t.rawData = t.rawData.subarray(4);
          }),
          "ckpt.onnx",
        ),
      /^Cannot read ONNX model "ckpt\.onnx": initializer "decoder\.0\.bias" holds 3132 bytes, expected 3136; the file is corrupt/,
    ],
  ];
  await t.step("a checkpoint of format 1 (rng and noiseRng) restores as format 2", () => {
    const old = editedCheckpoint(model, ({ generators, ...s }) => {
      const { shuffle } = generators as Record<string, number[]>;
      return { ...s, format: 1, rng: shuffle, noiseRng: [5, 6, 7, 8] };
    });
    const target = new UndercompleteAutoencoder({ seed: 9 });
    const info = target.restore(old, "old.onnx");
    assert.equal(info.format, 2);
    assert.deepEqual(info.generators.corruption, [5, 6, 7, 8]);
    assert.deepEqual(target.checkpoint(), model.checkpoint());
  });
  for (const [name, action, message] of rows) {
    await t.step(name, async () => {
      const target = new UndercompleteAutoencoder({ seed: 9 });
      await target.fit(await images(20), { epochs: 1, batchSize: 20 });
      const before = snapshot(target);
      const files = new Map(
        [...Deno.readDirSync(dir)].map((
          e,
        ) => [e.name, e.isFile ? Deno.readFileSync(`${dir}/${e.name}`) : null]),
      );
      await failure(() => action(target), message);
      assert.deepEqual(snapshot(target), before, "the model changed");
      const after = new Map(
        [...Deno.readDirSync(dir)].map((
          e,
        ) => [e.name, e.isFile ? Deno.readFileSync(`${dir}/${e.name}`) : null]),
      );
      assert.deepEqual(after, files, "the files changed");
    });
  }
  await t.step("another tool's model with the right names, shapes and float_data loads", () => {
    const target = new UndercompleteAutoencoder({ seed: 9 });
    target.loadOnnx(foreignModel(model.params, shapes), "foreign.onnx");
    assert.deepEqual(target.params, model.params);
  });
  await model.dispose();
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// Bad command lines and data folders

/** The `deno run` arguments of a task in deno.json, so that tests run with its exact permissions. */
async function taskArgs(task: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const command: string = typeof config.tasks[task] === "string"
    ? config.tasks[task]
    : config.tasks[task].command;
  const [deno, ...args] = command.split(/\s+/);
  assert.equal(deno, "deno");
  return args;
}

Deno.test("bad train command lines: a clear error, nothing written", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "reliability_cli_" });
  const out = `${dir}/run`;
  const rows: [string, string[], RegExp][] = [
    [
      "an unknown model",
      ["--model", "gan"],
      /^Cannot train model "gan": it is not known; choose one of undercomplete, sparse, deep, conv, denoising, vae$/,
    ],
    [
      "an unknown optimizer",
      ["--optimizer", "adagrad"],
      /^Cannot use optimizer "adagrad": it is not known; choose one of adam, adadelta, sgd, rmsprop$/,
    ],
    [
      "an unknown data set",
      ["--dataset", "cifar10"],
      /^Cannot use --dataset "cifar10": it is not known; choose one of mnist, fashion-mnist, mnist-subset$/,
    ],
    [
      "an unknown option",
      ["--epoch", "3"],
      /^Cannot parse the command line: .*'--epoch'.*; see --help$/,
    ],
    [
      "a missing value",
      ["--model"],
      /^Cannot parse the command line: Option '--model' argument is ambiguous\. Did you forget to specify the option argument for '--model'\? .*; see --help$/,
    ],
    [
      "epochs 0",
      ["--epochs", "0"],
      /^Cannot parse --epochs: expected a positive integer, got "0"$/,
    ],
    [
      "batch size -8",
      ["--batch-size=-8"],
      /^Cannot parse --batch-size: expected a positive integer, got "-8"$/,
    ],
    ["limit 0", ["--limit", "0"], /^Cannot parse --limit: expected a positive integer, got "0"$/],
    [
      "limit -5",
      ["--limit=-5"],
      /^Cannot parse --limit: expected a positive integer, got "-5"$/,
    ],
    [
      "threads 0",
      ["--threads", "0"],
      /^Cannot parse --threads: expected an integer from 1 to \d+ \(4 per core, \d+ here\), got "0"$/,
    ],
    [
      "a learning rate that is no number",
      ["--learning-rate", "fast"],
      /^Cannot parse --learning-rate: expected a number > 0, got "fast"$/,
    ],
    [
      "--resume with an empty --out",
      ["--resume", "--out="],
      /^Cannot use --out "": the path is empty; pass the path of a folder$/,
    ],
    [
      "a data folder that does not exist",
      ["--data", `${dir}/nowhere`],
      /^Cannot load MNIST: ".*nowhere" does not exist; pass `dir` or set AUTOENCODERS_DATA_DIR/,
    ],
  ];
  for (const [name, args, message] of rows) {
    await t.step(name, async () => {
      await failure(() => train(["--out", out, ...args, "--quiet"]), message);
      assert.deepEqual([...Deno.readDirSync(dir)], [], "something was written");
    });
  }
  await t.step("--resume of a corrupt checkpoint leaves it as it was", async () => {
    const bytes = new UndercompleteAutoencoder().checkpoint().slice(0, 5000);
    await Deno.mkdir(out);
    await Deno.writeFile(`${out}/checkpoint.onnx`, bytes);
    await failure(
      () => train(["--out", out, "--resume", "--data", DATA_DIR, "--limit", "100", "--quiet"]),
      /^Cannot read ONNX model ".*checkpoint\.onnx": the file is not a valid ONNX model/,
    );
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["checkpoint.onnx"]);
    assert.deepEqual(await Deno.readFile(`${out}/checkpoint.onnx`), new Uint8Array(bytes));
  });
  await t.step("the command exits with status 2 and prints the error, no stack trace", async () => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [...await taskArgs("train"), "--model", "gan"],
      cwd: root,
    }).output();
    assert.equal(code, 2);
    assert.equal(new TextDecoder().decode(stdout), "");
    assert.equal(
      new TextDecoder().decode(stderr),
      'error: Cannot train model "gan": it is not known; choose one of undercomplete, sparse, deep, conv, denoising, vae\n',
    );
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a resumed run that diverges stops with a clear error and keeps the last good checkpoint", async () => {
  const out = await Deno.makeTempDir({ prefix: "reliability_diverge_" });
  const common = ["--data", DATA_DIR, "--limit", "300", "--threads", "1", "--out", out, "--quiet"];
  await train([...common, "--epochs", "2"]);
  const good = await Deno.readFile(`${out}/checkpoint.onnx`);
  await failure(
    () => train([...common, "--epochs", "4", "--resume", "--learning-rate", "1e30"]),
    /^Cannot continue training: the (loss|validation loss) became (NaN|Infinity|-Infinity) (in|after) epoch 3.*; lower the learning rate: the model keeps the weights of step \d+, the last whose loss and weights were finite, written to ".*model\.onnx" \(with encoder\.onnx and decoder\.onnx\); ".*checkpoint\.onnx" holds epoch 2: resume from it with a lower --learning-rate$/,
  );
  assert.deepEqual(await Deno.readFile(`${out}/checkpoint.onnx`), good);
  assert.equal(new UndercompleteAutoencoder().restore(good).epoch, 2);
  await Deno.remove(out, { recursive: true });
});

Deno.test("data folders that cannot be used: images of the wrong size, a file that is a folder, no permission", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "reliability_data_" });
  const idx = (dims: number[]) => {
    const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
    header.setUint32(0, 0x800 + dims.length);
    dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
    const body = new Uint8Array(dims.reduce((a, b) => a * b, 1)).fill(7);
    return new Uint8Array([...new Uint8Array(header.buffer), ...body]);
  };
  await t.step("images of 32x32 pixels", async () => {
    await Deno.mkdir(`${dir}/big`);
    for (
      const [name, dims] of [
        ["train-images-idx3-ubyte", [2, 32, 32]],
        ["train-labels-idx1-ubyte", [2]],
        ["t10k-images-idx3-ubyte", [1, 32, 32]],
        ["t10k-labels-idx1-ubyte", [1]],
      ] as const
    ) {
      await Deno.writeFile(`${dir}/big/${name}`, idx([...dims]));
    }
    await failure(
      () => loadMnist({ dir: `${dir}/big`, verify: false }),
      /^Cannot load ".*big\/train-images-idx3-ubyte": expected images of shape \[count, 28, 28\], found \[2, 32, 32\]; check that it is an image file of the data set$/,
    );
  });
  await t.step("a data file that is a folder", async () => {
    await Deno.mkdir(`${dir}/odd`);
    for (
      const name of ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"]
    ) {
      await Deno.symlink(`${DATA_DIR}/${name}.gz`, `${dir}/odd/${name}.gz`);
    }
    await Deno.mkdir(`${dir}/odd/t10k-labels-idx1-ubyte.gz`);
    await failure(
      () => loadMnist({ dir: `${dir}/odd` }),
      /^Cannot read ".*odd\/t10k-labels-idx1-ubyte\.gz": it is a folder, not a file; remove or rename it$/,
    );
  });
  // Tests run as root here, where chmod does not stop reads; Deno's permissions do:
  // a process allowed to read only the project cannot read the data folder.
  await t.step("a data folder the process may not read (Deno permissions)", async () => {
    await Deno.mkdir(`${dir}/mnist`); // outside the project: the embedded subset's folder is inside
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-read=${root}`,
        "--allow-env",
        "--allow-ffi",
        "--allow-sys",
        "src/cli/train.ts",
        "--data",
        `${dir}/mnist`,
      ],
      cwd: root,
    }).output();
    assert.equal(code, 2);
    assert.match(
      new TextDecoder().decode(stderr),
      /^error: Cannot load MNIST: the folder ".*mnist" cannot be read \(Requires read access to ".*mnist", run again with the --allow-read flag\); allow the process to read it\n$/,
    );
  });
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// Interruption: SIGKILL during training, during checkpoint writes, during downloads

/** Reads a child's stream line by line, calling `onLine` for each. */
async function lines(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  onLine: (line: string) => void,
) {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let at: number;
    while ((at = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("train killed with SIGKILL at random times never leaves a torn checkpoint; --resume finishes as one uninterrupted run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reliability_kill_" });
  const epochs = 40;
  // The task's own command and permissions, run directly: `deno task` would put a
  // process between the test and the trainer, and SIGKILL would miss the trainer.
  const command = [
    ...await taskArgs("train"),
    ...["--model", "undercomplete", "--limit", "300", "--batch-size", "100"],
    ...["--threads", "1", "--passive", "--data", DATA_DIR, "--epochs", String(epochs), "--json"],
  ];
  const finish = async (out: string, ...extra: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [...command, "--out", out, "--quiet", ...extra],
      cwd: root,
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    return JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
  };
  const straight = await finish(`${dir}/straight`);

  const out = `${dir}/killed`, checkpoint = `${out}/checkpoint.onnx`;
  const rng = new Random(2024);
  let lastEpoch = 0, kills = 0;
  const tornWrites = new Set<string>();
  await Deno.mkdir(out);
  for (let run = 0; run < 4; run++) {
    const resume = await Deno.stat(checkpoint).then(() => true, () => false);
    const child = new Deno.Command(Deno.execPath(), {
      args: [...command, "--out", out, ...(resume ? ["--resume"] : [])],
      cwd: root,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let killed = false;
    const kill = () => {
      try {
        child.kill("SIGKILL");
        killed = true;
      } catch {
        // it had already finished
      }
    };
    let reading: Promise<unknown>;
    if (run % 2 === 0) {
      // During training: after 1 to 6 epoch lines plus 0 to 25 ms (an epoch here
      // takes about as long, its checkpoint write included).
      const after = 1 + Math.floor(rng.next() * 6), delay = rng.next() * 25;
      let seen = 0;
      reading = lines(child.stderr, (line) => {
        if (line.startsWith("Epoch ") && ++seen === after) sleep(delay).then(kill);
      });
    } else {
      // During a checkpoint write: as the 1st to 6th temporary file appears.
      const after = 1 + Math.floor(rng.next() * 6);
      let seen = 0, lineCount = 0;
      const watcher = Deno.watchFs(out, { recursive: false });
      reading = Promise.all([
        // Should a file event be missed, kill a few epochs later all the same.
        lines(child.stderr, (line) => {
          if (line.startsWith("Epoch ") && ++lineCount === after + 3) kill();
        }),
        (async () => {
          for await (const event of watcher) {
            const created = event.kind === "create" &&
              event.paths.some((p) => isTempOf(p.split("/").at(-1)!, "checkpoint.onnx"));
            if (created && ++seen === after) kill();
          }
        })(),
        child.status.then(() => watcher.close()),
      ]);
    }
    const status = await child.status;
    await reading;
    if (killed) {
      kills++;
      assert.equal(status.signal, "SIGKILL");
    }
    // Only the checkpoint and, if the kill came during its write, a temporary file
    // that is no checkpoint's name.
    for (const { name } of Deno.readDirSync(out)) {
      if (name === "checkpoint.onnx") continue;
      assert.ok(isTempOf(name, "checkpoint.onnx"), `unexpected file ${name}`);
      tornWrites.add(name);
    }
    if (await Deno.stat(checkpoint).then(() => true, () => false)) {
      const info = new UndercompleteAutoencoder().restore(await Deno.readFile(checkpoint));
      assert.ok(
        info.epoch >= lastEpoch,
        `the checkpoint went back from ${lastEpoch} to ${info.epoch}`,
      );
      assert.equal(info.history.loss.length, info.epoch);
      lastEpoch = info.epoch;
    }
  }
  console.log(
    `${kills} kills, last checkpoint at epoch ${lastEpoch}, ${tornWrites.size} interrupted writes left their temporary file`,
  );
  assert.ok(kills >= 3, `only ${kills} runs were killed`);
  assert.ok(lastEpoch < epochs, "the runs finished before they were killed");

  const resumed = await finish(out, "--resume");
  assert.equal(resumed.epochs, epochs);
  assert.equal(resumed.loss, straight.loss);
  assert.equal(resumed.val_loss, straight.val_loss);
  assert.deepEqual(
    await Deno.readFile(`${out}/model.onnx`),
    await Deno.readFile(`${dir}/straight/model.onnx`),
  );
  const history = (path: string) => JSON.parse(Deno.readTextFileSync(path)).history;
  const { epochSeconds: _, ...a } = history(`${out}/history.json`);
  const { epochSeconds: __, ...b } = history(`${dir}/straight/history.json`);
  assert.deepEqual(a, b);
  await Deno.remove(dir, { recursive: true });
});

const killedDownload =
  "a download killed with SIGKILL leaves no partial file in the cache; the next load completes it";
Deno.test(needsFullMnist(killedDownload), async () => {
  const real = Object.fromEntries(
    await Promise.all(
      [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
      ]
        .map(async (n) => [n, await Deno.readFile(`${DATA_DIR}/${n}.gz`)] as const),
    ),
  );
  let trickling = 0;
  // The first file comes at once; the second trickles, 512 bytes every 20 ms.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const name = new URL(req.url).pathname.split("/").at(-1)!.replace(/\.gz$/, "");
    const bytes = real[name];
    if (!bytes) return new Response("not found", { status: 404 });
    if (!new URL(req.url).pathname.startsWith("/slow/") || name === "train-images-idx3-ubyte") {
      return new Response(bytes);
    }
    let at = 0, cancelled = false;
    trickling++;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await sleep(20);
        if (cancelled) return;
        controller.enqueue(bytes.slice(at, at + 512));
        at += 512;
        if (at >= bytes.length) controller.close();
      },
      cancel() {
        cancelled = true;
      },
    });
    return new Response(body, { headers: { "content-length": String(bytes.length) } });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const cache = `${await Deno.makeTempDir({ prefix: "reliability_cache_" })}/mnist`;
  try {
    const script = `
      import { loadMnist } from "${new URL("../src/data/mnist.ts", import.meta.url)}";
      await loadMnist({
        cacheDir: ${JSON.stringify(cache)},
        mirrors: [${JSON.stringify(`${base}/slow/`)}],
        onProgress: ({ url, received }) => console.log(url.split("/").at(-1), received),
      });
      console.log("done");`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      env: { AUTOENCODERS_DATA_DIR: "" },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let done = false;
    await lines(child.stdout, (line) => {
      done ||= line === "done";
      // Well into the second file, whose first part is then in memory only.
      if (line.startsWith("train-labels-idx1-ubyte.gz ") && Number(line.split(" ")[1]) > 4096) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
    });
    assert.equal((await child.status).signal, "SIGKILL");
    assert.ok(!done && trickling > 0);
    // The first file, whole and verified; nothing of the second.
    assert.deepEqual([...Deno.readDirSync(cache)].map((e) => e.name), [
      "train-images-idx3-ubyte.gz",
    ]);
    assert.deepEqual(
      await Deno.readFile(`${cache}/train-images-idx3-ubyte.gz`),
      real["train-images-idx3-ubyte"],
    );

    // A left-over of a write killed long ago goes at the next write; a young one
    // (maybe another process's write in progress) stays.
    const old = `${cache}/t10k-images-idx3-ubyte.gz.4242.abc123.tmp`;
    const young = `${cache}/t10k-images-idx3-ubyte.gz.4343.def456.tmp`;
    await Deno.writeFile(old, new Uint8Array(10));
    await Deno.utime(old, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    await Deno.writeFile(young, new Uint8Array(10));
    const saved = Deno.env.get("AUTOENCODERS_DATA_DIR");
    Deno.env.delete("AUTOENCODERS_DATA_DIR");
    try {
      const data = await loadMnist({ cacheDir: cache, mirrors: [`${base}/fast/`] });
      assert.equal(data.source, cache);
      assert.equal(data.train.count, 60000);
    } finally {
      if (saved !== undefined) Deno.env.set("AUTOENCODERS_DATA_DIR", saved);
    }
    assert.deepEqual(
      [...Deno.readDirSync(cache)].map((e) => e.name).sort(),
      [...Object.keys(real).map((n) => `${n}.gz`), "t10k-images-idx3-ubyte.gz.4343.def456.tmp"]
        .sort(),
    );
    for (const [name, bytes] of Object.entries(real)) {
      assert.deepEqual(await Deno.readFile(`${cache}/${name}.gz`), bytes);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("atomic writes: the old file or the new one, flushed; stale temporary files removed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reliability_write_" });
  const path = `${dir}/sub/model.onnx`;
  await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  await writeFileAtomic(path, new Uint8Array([4, 5]));
  assert.deepEqual(await Deno.readFile(path), new Uint8Array([4, 5]));
  const stale = `${path}.77.x1.tmp`,
    other = `${dir}/sub/other.onnx.77.x1.tmp`,
    mine = `${dir}/sub/model.onnx.txt`;
  for (const f of [stale, other, mine]) {
    await Deno.writeFile(f, new Uint8Array(1));
    await Deno.utime(f, new Date(0), new Date(0));
  }
  await removeStaleTemps(path);
  assert.deepEqual([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name).sort(), [
    "model.onnx",
    "model.onnx.txt",
    "other.onnx.77.x1.tmp",
  ]);
  // A write that fails leaves the old file and no temporary file.
  await Deno.mkdir(`${dir}/sub/folder`);
  await failure(
    () => writeFileAtomic(`${dir}/sub/folder`, new Uint8Array(1)),
    /^Cannot write ".*folder": /,
  );
  assert.deepEqual(
    [...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name).sort(),
    ["folder", "model.onnx", "model.onnx.txt", "other.onnx.77.x1.tmp"],
  );
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// Parsers under fuzzing

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING_U32 = [0, 1, 28, 0x7f, 0xffff, 0x01000000, 0x7fffffff, 0xffffffff];

/** One to three random mutations of `input` (a copy). */
function mutate(input: Uint8Array, rng: Random): Uint8Array {
  let b: Uint8Array = new Uint8Array(input); // a copy (Buffer's slice would share memory)
  const int = (n: number) => Math.floor(rng.next() * n);
  for (let k = 1 + int(3); k > 0; k--) {
    const at = int(Math.max(b.length, 1));
    switch (int(9)) {
      case 0: // flip a bit
        if (b.length) b[at] ^= 1 << int(8);
        break;
      case 1: // a random byte
        if (b.length) b[at] = int(256);
        break;
      case 2: // an interesting byte
        if (b.length) b[at] = INTERESTING[int(INTERESTING.length)];
        break;
      case 3: // truncate
        b = b.slice(0, at);
        break;
      case 4: // append
        b = concatBytes([b, Array.from({ length: 1 + int(16) }, () => int(256))]);
        break;
      case 5: // insert, e.g. a varint length of 2^32 - 1
        b = concatBytes([
          b.subarray(0, at),
          int(2) ? [0xff, 0xff, 0xff, 0xff, 0x0f] : [int(256)],
          b.subarray(at),
        ]);
        break;
      case 6: // delete a range
        b = concatBytes([b.subarray(0, at), b.subarray(at + 1 + int(32))]);
        break;
      case 7: // an interesting big-endian u32 in the first bytes (IDX headers, protobuf tags)
        if (b.length >= 24) {
          new DataView(b.buffer).setUint32(int(20), INTERESTING_U32[int(INTERESTING_U32.length)]);
        }
        break;
      default: { // duplicate a slice
        const from = int(Math.max(b.length, 1)), n = int(64);
        b = concatBytes([b.subarray(0, at), b.subarray(from, from + n), b.subarray(at)]);
      }
    }
  }
  return b;
}

/** Runs `check` on mutations of the seeds until `count` cases or `ms` milliseconds; returns outcome counts. */
async function fuzz(
  seeds: Uint8Array[],
  rng: Random,
  count: number,
  ms: number,
  check: (bytes: Uint8Array) => Promise<string> | string,
): Promise<Record<string, number>> {
  const outcomes: Record<string, number> = {};
  const start = performance.now();
  for (let i = 0; i < count && performance.now() - start < ms; i++) {
    const bytes = mutate(seeds[i % seeds.length], rng);
    const began = performance.now();
    let outcome: string;
    try {
      outcome = await check(bytes);
    } catch (e) {
      if (!(e instanceof AutoencoderError)) {
        const hex = Array.from(bytes.subarray(0, 64), (x) => x.toString(16).padStart(2, "0")).join(
          "",
        );
        throw new Error(`case ${i} (${bytes.length} bytes, starting ${hex}) threw ${e}`, {
          cause: e,
        });
      }
      outcome = e.message.replace(/"[^"]*"/g, '"…"').replace(/0x[0-9a-f]+/g, "0x…")
        .replace(/\d+(\.\d+)?(e\+\d+)?/g, "N").slice(0, 80);
    }
    assert.ok(performance.now() - began < 2000, `case ${i} took ${performance.now() - began} ms`);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  return outcomes;
}

const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

Deno.test("the IDX parser under thousands of mutations: a result or an AutoencoderError, nothing else", async () => {
  const rng = new Random(7);
  const raw = new Uint8Array([
    0,
    0,
    8,
    3,
    0,
    0,
    0,
    3,
    0,
    0,
    0,
    4,
    0,
    0,
    0,
    4,
    ...Array.from({ length: 48 }, (_, i) => i),
  ]);
  const labels = await Deno.readFile(`${DATA_DIR}/t10k-labels-idx1-ubyte.gz`);
  const inflated = new Uint8Array(gunzipSync(labels));
  const seeds = [
    raw,
    new Uint8Array(gzipSync(raw)),
    labels,
    inflated.subarray(0, 2008),
  ];
  const check = async (bytes: Uint8Array) => {
    // Half the gzip cases: a valid gzip of mutated content.
    const input = bytes[0] === 0x1f && rng.next() < 0.5
      ? new Uint8Array(gzipSync(mutate(rng.next() < 0.5 ? raw : inflated, rng)))
      : bytes;
    const { dims, data, raw: whole } = await decodeIdx(input, "fuzz.idx");
    assert.ok(dims.length >= 1 && dims.length <= 4);
    assert.equal(data.length, dims.reduce((a, b) => a * b, 1));
    assert.equal(whole.length, 4 + 4 * dims.length + data.length);
    return "decoded";
  };
  const outcomes = await fuzz(seeds, rng, 3000, 5000, check);
  console.log(`${total(outcomes)} cases:`, outcomes);
  assert.ok(total(outcomes) >= 1000, `only ${total(outcomes)} cases in the time`);
  assert.ok(Object.keys(outcomes).length >= 5, "the mutations reach few code paths");

  // Lengths are checked before anything is allocated: a gzip file declaring 2^64
  // bytes is refused before inflating; a gzip bomb stops where the header says.
  const huge = new Uint8Array(
    gzipSync(new Uint8Array([0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255, 1])),
  );
  await failure(
    () => decodeIdx(huge, "huge.idx.gz"),
    /declares 18446744065119617000 bytes of data, more than \d+ compressed bytes can hold/,
  );
  const bomb = new Uint8Array(
    gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, ...new Uint8Array(20_000_000)])),
  );
  const began = performance.now();
  await failure(
    () => decodeIdx(bomb, "bomb.idx.gz"),
    /^Cannot read IDX file "bomb\.idx\.gz": the file has extra bytes \(expected 2 bytes of data, found more\); download it again$/,
  );
  assert.ok(performance.now() - began < 1000, "the bomb was inflated");
});

Deno.test("the ONNX and checkpoint loaders under thousands of mutations: a result or an AutoencoderError, state kept", async () => {
  const rng = new Random(11);
  const config = {
    name: "tiny",
    inputShape: [6],
    encoder: [new Dense(3, "relu")],
    decoder: [new Dense(6, "sigmoid")],
  };
  const tiny = new Autoencoder(config, { seed: 1, threads: 1 });
  await tiny.fit(new Float32Array(48).map((_, i) => (i % 7) / 7), { epochs: 2, batchSize: 4 });
  await tiny.dispose();
  const check = (make: () => Autoencoder) => (bytes: Uint8Array) => {
    const decoded = (() => {
      try {
        return decodeModel(bytes, "fuzz.onnx");
      } catch (e) {
        if (e instanceof AutoencoderError) return undefined;
        throw e;
      }
    })();
    const outcomes: string[] = [decoded ? "decoded" : "not decoded"];
    for (const load of ["restore", "loadOnnx"] as const) {
      const target = make();
      const before = snapshot(target);
      try {
        target[load](bytes, "fuzz.onnx");
      } catch (e) {
        if (!(e instanceof AutoencoderError)) throw e;
        assert.deepEqual(snapshot(target), before, `a failed ${load} changed the model`);
        continue;
      }
      // What loaded is usable: finite weights, and it saves again.
      for (const [name, w] of target.params) assert.ok(w.every(Number.isFinite), name);
      decodeModel(target.checkpoint());
      outcomes.push(load);
    }
    return outcomes.join(", ");
  };
  const seeds = [tiny.checkpoint(), tiny.toOnnx(), tiny.toOnnx("encoder")];
  const small = await fuzz(
    seeds,
    rng,
    4000,
    5000,
    check(() => new Autoencoder(config, { seed: 2 })),
  );
  console.log(`${total(small)} cases on a tiny model:`, small);
  // A floor, not a speed target: 4 s give 1000 to 3000 cases here, fewer on a loaded machine.
  assert.ok(total(small) >= 500, `only ${total(small)} cases in the time`);
  assert.ok(small["decoded, restore, loadOnnx"] > 0 && small["not decoded"] > 0);

  const model = new UndercompleteAutoencoder({ seed: 3, threads: 1 });
  await model.fit(await images(100), { epochs: 1, batchSize: 50 });
  await model.dispose();
  const big = await fuzz(
    [model.checkpoint()],
    rng,
    200,
    3000,
    check(() => new UndercompleteAutoencoder()),
  );
  console.log(`${total(big)} cases on the undercomplete checkpoint:`, big);
  assert.ok(total(big) >= 50);

  // Declared lengths beyond the end: the graph field (7) of 2^32 - 1 bytes, and
  // 100000 nested groups.
  for (
    const bytes of [[0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3], new Array(100_000).fill(0x0b)]
  ) {
    await failure(
      () => decodeModel(new Uint8Array(bytes), "crafted.onnx"),
      /^Cannot read ONNX model "crafted\.onnx": the file (is not a valid ONNX model|has no graph)/,
    );
  }
});
