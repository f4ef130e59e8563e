/**
 * The train command's guards, each case run as the user runs it (a subprocess with
 * the task's permissions) on the MNIST subset embedded in the library, so that no
 * data folder and no network are needed: the input, the message expected, the exit
 * status, and that no file changed (or, where the command writes, what it wrote).
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ConvAutoencoder, UndercompleteAutoencoder } from "../mod.ts";
import { decodeModel } from "../src/onnx/model.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The train task's `deno run` arguments (its permissions included). */
async function trainCommand(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const [deno, ...args] = (config.tasks.train as string).split(/\s+/);
  assert.equal(deno, "deno");
  return args;
}

/** Small, fast runs: 256 subset digits, one thread. */
const SMALL = ["--dataset", "mnist-subset", "--limit", "256", "--threads", "1", "--quiet"];

/** Runs the train command; returns its status and output. */
async function train(args: string[], runArgs?: string[]) {
  const command = runArgs ?? await trainCommand();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [...command, ...args],
    cwd: root,
    env: { AUTOENCODERS_DATA_DIR: "" },
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Every file under a folder with its bytes (absent folder: empty). */
async function tree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = `${at}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else files.set(path, (await Deno.readFile(path)).join());
    }
  };
  await walk(dir).catch(() => {});
  return files;
}

/** Runs a command that must fail: status 2, one `error:` line holding `message`, nothing changed. */
async function refused(dir: string, args: string[], message: string, runArgs?: string[]) {
  const before = await tree(dir);
  const { code, stdout, stderr } = await train(args, runArgs);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  assert.match(stderr, /^error: [^\n]*\n$/, "one error line, no stack trace");
  assert.ok(stderr.includes(message), `expected "${message}" in ${stderr}`);
  assert.deepEqual(await tree(dir), before, "a file changed");
}

Deno.test("train command guards: every bad flag and path is refused before any work, nothing written", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "cli_guard_" });
  const file = `${dir}/a-file`;
  await Deno.writeTextFile(file, "not a folder");
  const cores = navigator.hardwareConcurrency;
  const cases: [string, string[], string][] = [
    [
      "--conv without --model vae",
      ["--model", "deep", "--conv"],
      "Cannot use --conv with --model deep: it chooses the convolutional variational autoencoder",
    ],
    [
      "an unknown projection",
      ["--projection", "tsne"],
      'Cannot use --projection "tsne": it is not known; choose one of pca, umap',
    ],
    [
      "--out names a file",
      ["--out", file],
      `Cannot use --out "${file}": it is a file, not a folder`,
    ],
    [
      "--out under a file",
      ["--out", `${file}/run`],
      `Cannot use --out "${file}/run": "${file}" is a file; pass a folder, or move the file away`,
    ],
    [
      "--out empty",
      ["--out", ""],
      'Cannot use --out "": the path is empty; pass the path of a folder',
    ],
    ["--logdir names a file", ["--logdir", file], `Cannot use --logdir "${file}": it is a file`],
    ["--logdir empty", ["--logdir", " "], 'Cannot use --logdir " ": the path is empty'],
    ["--resume without --out", ["--resume"], "Cannot resume: pass --out DIR"],
    [
      "--resume with no checkpoint",
      ["--resume", "--out", `${dir}/new`],
      `Cannot resume: there is no checkpoint "${dir}/new/checkpoint.onnx"; start the run without --resume`,
    ],
    [
      "--dataset toString",
      ["--dataset", "toString"],
      'Cannot use --dataset "toString": it is not known; choose one of mnist, fashion-mnist, mnist-subset',
    ],
    ["--dataset constructor", ["--dataset", "constructor"], 'Cannot use --dataset "constructor"'],
    ["--dataset valueOf", ["--dataset", "valueOf"], 'Cannot use --dataset "valueOf"'],
    ["--model toString", ["--model", "toString"], 'Cannot train model "toString": it is not known'],
    [
      "--model __proto__",
      ["--model", "__proto__"],
      'Cannot train model "__proto__": it is not known',
    ],
    [
      "--optimizer constructor",
      ["--optimizer", "constructor"],
      'Cannot use optimizer "constructor": it is not known',
    ],
    ["--provider toString", ["--provider", "toString"], 'Cannot use --provider "toString"'],
    [
      "--noise hasOwnProperty",
      ["--noise", "hasOwnProperty"],
      'Cannot use --noise "hasOwnProperty"',
    ],
    [
      "--threads 100000",
      ["--threads", "100000"],
      `Cannot parse --threads: expected an integer from 1 to ${
        4 * cores
      } (4 per core, ${cores} here), got "100000"`,
    ],
    ["--threads 0", ["--threads", "0"], "Cannot parse --threads: expected an integer from 1 to"],
    [
      '--learning-rate ""',
      ["--learning-rate", ""],
      'Cannot parse --learning-rate: expected a number > 0, got ""',
    ],
    ['--epochs ""', ["--epochs", ""], 'Cannot parse --epochs: expected a positive integer, got ""'],
    [
      "--noise-factor that is no number",
      ["--noise-factor", "loud"],
      'Cannot parse --noise-factor: expected a number >= 0, got "loud"',
    ],
    [
      "--data with the embedded subset",
      ["--dataset", "mnist-subset", "--data", dir],
      "Cannot use --data with --dataset mnist-subset",
    ],
  ];
  for (const [name, args, message] of cases) {
    await t.step(name, () => refused(dir, [...SMALL, ...args], message));
  }
  // Tests run as root, where chmod does not stop writes; Deno's permissions do.
  await t.step("--out in a folder the process may not write (Deno permissions)", async () => {
    const command = (await trainCommand()).map((a) =>
      a === "--allow-write" ? `--allow-write=${dir}/allowed` : a
    );
    await refused(
      dir,
      [...SMALL, "--out", `${dir}/denied/run`],
      `Cannot use --out "${dir}/denied/run": the folder "${dir}" cannot be written (NotCapable); choose another folder, or allow the process to write there`,
      command,
    );
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train --out on an earlier run: refused without --resume or --overwrite; --resume checks the run's data set, limit and batch size before loading data", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "cli_guard_run_" });
  const out = `${dir}/run`;
  const first = await train([...SMALL, "--epochs", "1", "--batch-size", "64", "--out", out]);
  assert.equal(first.code, 0, first.stderr);
  await t.step(
    "the checkpoint records the data set, limit, batch size, loss, seed, noise and own data",
    async () => {
      const info = new UndercompleteAutoencoder().restore(
        await Deno.readFile(`${out}/checkpoint.onnx`),
      );
      assert.deepEqual(info.run, {
        dataset: "mnist-subset",
        limit: 256,
        batchSize: 64,
        loss: "bce",
        seed: 0,
        noise: "fresh",
        noiseFactor: 0.5,
        latentDim: "none",
        conv: "none",
        images: "none",
        csv: "none",
      });
    },
  );
  await t.step("rerun without --resume", () =>
    refused(
      dir,
      [...SMALL, "--epochs", "1", "--out", out],
      `Cannot train into --out "${out}": it holds an earlier run (checkpoint.onnx, model.onnx, encoder.onnx, decoder.onnx, train_step.onnx, history.json, reconstructions.png, latent.png, architecture.svg, report.html); pass --resume to continue it, or --overwrite to replace it`,
    ));
  const resume = ["--threads", "1", "--quiet", "--epochs", "2", "--out", out, "--resume"];
  const mismatches: [string, string[], string][] = [
    [
      "another batch size",
      ["--dataset", "mnist-subset", "--limit", "256", "--batch-size", "32"],
      `Cannot resume "${out}/checkpoint.onnx" with --batch-size 32: the run was trained with --batch-size 64 and would no longer be exact; pass --batch-size 64, or --overwrite to continue anyway`,
    ],
    [
      "another limit",
      ["--dataset", "mnist-subset", "--limit", "200", "--batch-size", "64"],
      "with --limit 200: the run was trained with --limit 256 and would no longer be exact; pass --limit 256, or --overwrite",
    ],
    [
      "no limit",
      ["--dataset", "mnist-subset", "--batch-size", "64"],
      "with no --limit: the run was trained with --limit 256 and would no longer be exact; pass --limit 256",
    ],
    [
      // Checked before the data is loaded: the missing folder is never looked at.
      "another data set, checked before loading it",
      ["--dataset", "mnist", "--data", `${dir}/nowhere`, "--limit", "256", "--batch-size", "64"],
      "with --dataset mnist: the run was trained with --dataset mnist-subset",
    ],
    [
      "another loss",
      ["--dataset", "mnist-subset", "--limit", "256", "--batch-size", "64", "--loss", "mse"],
      "with --loss mse: the run was trained with --loss bce and would no longer be exact; pass --loss bce",
    ],
    [
      "another seed",
      ["--dataset", "mnist-subset", "--limit", "256", "--batch-size", "64", "--seed", "7"],
      "with --seed 7: the run was trained with --seed 0",
    ],
    [
      "another model",
      ["--model", "deep", "--dataset", "mnist-subset", "--limit", "256", "--batch-size", "64"],
      `Cannot resume "${out}/checkpoint.onnx" with --model deep: the run trains the undercomplete model; pass --model undercomplete`,
    ],
  ];
  for (const [name, args, message] of mismatches) {
    await t.step(name, () => refused(dir, [...resume, ...args], message));
  }
  await t.step("--resume --overwrite continues despite the change", async () => {
    const run = await train([...resume, ...SMALL, "--batch-size", "32", "--overwrite", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout.trim().split("\n").at(-1)!).epochs, 2);
  });
  await t.step("--overwrite replaces the earlier run", async () => {
    await Deno.writeTextFile(`${out}/notes.txt`, "mine");
    const run = await train([
      ...SMALL,
      "--epochs",
      "1",
      "--batch-size",
      "512",
      "--out",
      out,
      "--overwrite",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const history = JSON.parse(await Deno.readTextFile(`${out}/history.json`));
    assert.equal(history.history.loss.length, 1, "the new run's history only");
    assert.equal(history.batch_size, 256, "no batch size larger than the data");
    assert.equal(await Deno.readTextFile(`${out}/notes.txt`), "mine", "other files are kept");
    const info = new UndercompleteAutoencoder().restore(
      await Deno.readFile(`${out}/checkpoint.onnx`),
    );
    assert.equal(info.epoch, 1);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train diverging: a clear error and status 2, finite weights written, the checkpoint restorable and resumable", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "cli_guard_diverge_" });
  await t.step(
    "in the first epoch: the last finite weights are written, no checkpoint",
    async () => {
      const out = `${dir}/first`;
      const run = await train([...SMALL, "--epochs", "1", "--learning-rate", "1e38", "--out", out]);
      assert.equal(run.code, 2);
      assert.match(
        run.stderr,
        /^error: Cannot continue training: the (loss|validation loss|weight "[\w.]+") became (NaN|Infinity|-Infinity) (in|after) epoch 1[^;]*; lower the learning rate: the model keeps the weights of step 0, the last whose loss and weights were finite, written to ".*first\/model\.onnx" \(with encoder\.onnx and decoder\.onnx\); no epoch had finished: run again with a lower --learning-rate and --overwrite\n$/,
      );
      const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
      assert.deepEqual(names, ["decoder.onnx", "encoder.onnx", "model.onnx"]);
      const model = new UndercompleteAutoencoder();
      await model.load(`${out}/model.onnx`); // rejects non-finite weights
      assert.ok(Number.isFinite(await model.evaluate(new Float32Array(784 * 2).fill(0.5))));
    },
  );
  await t.step(
    "sgd at 1e30 after a good epoch: the checkpoint of epoch 1 is kept, and resumes",
    async () => {
      const out = `${dir}/sgd`;
      const common = [...SMALL, "--optimizer", "sgd", "--out", out];
      assert.equal((await train([...common, "--epochs", "1"])).code, 0);
      const good = await Deno.readFile(`${out}/checkpoint.onnx`);
      const run = await train([...common, "--epochs", "3", "--resume", "--learning-rate", "1e30"]);
      assert.equal(run.code, 2);
      assert.ok(
        run.stderr.includes(
          `"${out}/checkpoint.onnx" holds epoch 1: resume from it with a lower --learning-rate`,
        ),
        run.stderr,
      );
      assert.deepEqual(await Deno.readFile(`${out}/checkpoint.onnx`), good);
      const state = decodeModel(good).metadata["autoencoders.checkpoint"];
      assert.ok(!state.includes("null"), "no NaN stored as null");
      const resumed = await train([...common, "--epochs", "3", "--resume", "--json"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const result = JSON.parse(resumed.stdout.trim().split("\n").at(-1)!);
      assert.equal(result.epochs, 3);
      assert.ok(Number.isFinite(result.val_loss));
    },
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train interrupted with Ctrl-C: one line with how far it got and the --resume command, status 130, a checkpoint that resumes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_guard_sigint_" });
  const out = `${dir}/run`;
  const args = [
    ...["--dataset", "mnist-subset", "--limit", "512", "--batch-size", "32", "--threads", "1"],
    ...["--epochs", "1000", "--out", out],
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: [...await trainCommand(), ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  // Interrupt once the second epoch has ended (a checkpoint exists); keep reading after.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/^Epoch 2\/1000/m.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGINT");
  while (!(await reader.read()).done);
  const { code } = await child.status;
  const message = await stderr;
  assert.equal(code, 130, message);
  const match = message.match(
    /^Interrupted (in epoch \d+ of 1000 after batch \d+ of 16|after epoch \d+ of 1000); the checkpoint holds (\d+) epochs: continue with deno task train (.*)\n$/,
  );
  assert.ok(match, message);
  assert.equal(match[3], [...args, "--resume"].join(" "));
  const info = new UndercompleteAutoencoder().restore(
    await Deno.readFile(`${out}/checkpoint.onnx`),
  );
  assert.equal(info.epoch, Number(match[2]));
  assert.deepEqual(
    [...Deno.readDirSync(out)].map((e) => e.name),
    ["checkpoint.onnx"],
    "nothing but the checkpoint, no temporary file",
  );
  const epochs = info.epoch + 1;
  const resumed = await train([
    ...args.slice(0, -4),
    "--epochs",
    String(epochs),
    "--out",
    out,
    "--resume",
    "--quiet",
  ]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const history = JSON.parse(await Deno.readTextFile(`${out}/history.json`));
  assert.equal(history.epochs, epochs);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hints that fit: an undercomplete, weights without training state, external data", async (t) => {
  await t.step('"an undercomplete model"', () => {
    assert.throws(
      () => new ConvAutoencoder().loadOnnx(new UndercompleteAutoencoder().toOnnx(), "u.onnx"),
      /^AutoencoderError: Cannot load "u\.onnx": it holds an "undercomplete" model, not "conv"; load it into an undercomplete model$/,
    );
  });
  await t.step("a model file restored as a checkpoint names no API", () => {
    assert.throws(
      () =>
        new UndercompleteAutoencoder().restore(new UndercompleteAutoencoder().toOnnx(), "m.onnx"),
      /^AutoencoderError: Cannot restore "m\.onnx": it holds weights but no training state; restore a checkpoint written by checkpoint\(\) or the train command$/,
    );
  });
});
