import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ConvAutoencoder, UndercompleteAutoencoder } from "../mod.ts";
import { DATA_DIR, mnistData } from "./helpers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

async function run(command: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, cwd: root }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, `${command} ${args.join(" ")} failed:\n${text.decode(stderr)}`);
  return text.decode(stdout);
}

Deno.test("Node 20 runs the npm build and trains to the same losses and the same weights as Deno", async (t) => {
  await run(Deno.execPath(), ["task", "build:node"]);
  const dir = await Deno.makeTempDir({ prefix: "node_test_" });
  const { train, test } = await mnistData();
  const cases = [
    {
      model: "undercomplete",
      make: () => new UndercompleteAutoencoder({ seed: 11, threads: 1 }),
      limit: 3000,
      epochs: 2,
    },
    {
      model: "conv",
      make: () => new ConvAutoencoder({ seed: 11, threads: 1 }),
      limit: 300,
      epochs: 2,
    },
  ];
  for (const { model: name, make, limit, epochs } of cases) {
    await t.step(name, async () => {
      const saved = `${dir}/${name}.onnx`;
      const args = ["--data", DATA_DIR, "--model", name, "--seed", "11", "--limit", String(limit)];
      const fromNode = JSON.parse(
        (await run("node", [
          "examples/node/train.mjs",
          ...args,
          "--epochs",
          String(epochs),
          "--save",
          saved,
        ]))
          .trim().split("\n").at(-1)!,
      );

      const model = make();
      const history = await model.fit(train.images.subarray(0, limit * 784), {
        epochs,
        validationData: test.images.subarray(0, limit * 784),
      });
      assert.deepEqual(fromNode, { loss: history.loss, valLoss: history.valLoss });
      // Bit-identical weights: the ONNX files Node saved and Deno writes are the same bytes.
      assert.deepEqual(await Deno.readFile(saved), new Uint8Array(model.toOnnx()));
      await model.dispose();
    });
  }
  await Deno.remove(dir, { recursive: true });
});

/** Trains the same steps from the installed npm package: onnxruntime-node (CPU) and onnxruntime-web (wasm). */
const NPM_SCRIPT = `
import { loadMnist, nodeRuntime, UndercompleteAutoencoder } from "@autoencoders/onnx";
import { webRuntime } from "@autoencoders/onnx/web";
const { train } = await loadMnist({ dir: process.argv[2] });
const x = train.images.subarray(0, 256 * 784);
async function fit(runtime, provider) {
  const model = new UndercompleteAutoencoder({ seed: 3, threads: 1, runtime, provider });
  const history = await model.fit(x, { epochs: 1, batchSize: 64, shuffle: false });
  return { loss: history.loss, backend: model.backend };
}
console.log(JSON.stringify({ node: await fit(nodeRuntime, "cpu"), web: await fit(webRuntime, "wasm") }));
`;

/** A program using the package's types, as a TypeScript user of the npm package writes it. */
const NPM_CONSUMER = `
import { ConvAutoencoder, type History, nodeRuntime, type ProviderInfo } from "@autoencoders/onnx";
import { nodeRuntime as node } from "@autoencoders/onnx/node";
import { webRuntime, type WebRuntimeOptions } from "@autoencoders/onnx/web";
const model = new ConvAutoencoder({ provider: "auto", runtime: nodeRuntime });
const history: History = await model.fit(new Float32Array(784), { epochs: 1 });
const infos: ProviderInfo[] = await webRuntime.providers();
const options: WebRuntimeOptions = { numThreads: 1 };
console.log(history.loss[0] + infos.length, options, node.name, (await model.resolveProvider()).summary);
// @ts-expect-error: not a provider
new ConvAutoencoder({ provider: "tpu" });
`;

Deno.test("the npm package: Node 20 imports it, trains as Deno does (CPU and wasm), and its types check", async () => {
  await run(Deno.execPath(), ["task", "build:npm"]);
  // A project that installed the package: its dependencies resolve from the checkout's
  // node_modules, where Deno put the same pinned versions.
  const dir = await Deno.makeTempDir({ prefix: "npm_test_" });
  await Deno.mkdir(`${dir}/node_modules/@autoencoders`, { recursive: true });
  await Deno.symlink(`${root}dist/npm`, `${dir}/node_modules/@autoencoders/onnx`);
  await Deno.writeTextFile(`${dir}/package.json`, '{ "type": "module" }\n');
  await Deno.writeTextFile(`${dir}/train.mjs`, NPM_SCRIPT);
  await Deno.writeTextFile(`${dir}/consumer.mts`, NPM_CONSUMER);
  const { code, stdout, stderr } = await new Deno.Command("node", {
    args: ["train.mjs", DATA_DIR],
    cwd: dir,
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, `node train.mjs failed:\n${text.decode(stderr)}`);
  const fromNode = JSON.parse(text.decode(stdout).trim().split("\n").at(-1)!);

  const x = (await mnistData()).train.images.subarray(0, 256 * 784);
  const model = new UndercompleteAutoencoder({ seed: 3, threads: 1 });
  const { loss } = await model.fit(x, { epochs: 1, batchSize: 64, shuffle: false });
  await model.dispose();
  assert.deepEqual(fromNode.node, { loss, backend: "onnxruntime-node 1.30.0 (cpu)" });
  assert.equal(fromNode.web.backend, "onnxruntime-web 1.30.0 (wasm)");
  // wasm's kernels round differently: the same loss to 2e-5 (tests/webgpu_test.ts).
  assert.ok(Math.abs(fromNode.web.loss[0] - loss[0]) <= 2e-5 * loss[0], `${fromNode.web.loss}`);

  // The declarations: a strict NodeNext program against the package type-checks, every
  // .d.ts included (no skipLibCheck).
  const { default: ts } = await import("typescript");
  const program = ts.createProgram([`${dir}/consumer.mts`], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
    strict: true,
    noEmit: true,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  assert.equal(
    diagnostics.length,
    0,
    ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f: string) => f,
      getCurrentDirectory: () => dir,
      getNewLine: () => "\n",
    }),
  );
  const declarations = program.getSourceFiles().filter((f) => f.fileName.includes("/dist/npm/"));
  assert.ok(declarations.length > 20, `only ${declarations.length} declaration files loaded`);
  await Deno.remove(dir, { recursive: true });
});
