/**
 * The red team's hostile inputs (issue 11, defects 2, 6, 7, 8, 9 and the last two of
 * 10): concurrent calls on one model, names and paths with terminal escapes, gzip
 * bombs, a page server fed malformed paths, symbolic links and foreign Host headers,
 * absurd thread counts, a named provider that probes others. Each case: the input,
 * the message expected, and that no file or state changed. Small generated data
 * only: these tests need no MNIST folder and no network.
 *
 * @module
 */

import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  Autoencoder,
  AutoencoderError,
  chooseProvider,
  DATASETS,
  decodeIdx,
  Dense,
  type History,
  nodeRuntime,
  type Provider,
  type Runtime,
} from "../mod.ts";
import { main as exportMain } from "../src/cli/export.ts";
import { decodeDatasetFile } from "../src/data/datasets.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { buildInference } from "../src/nn/architecture.ts";
import { reportHtml } from "../src/viz/report.ts";
import { maxThreads } from "../src/runtime/threads.ts";
import { serve } from "../examples/browser/serve.ts";

/** A terminal escape sequence (clear the screen, red text) and a bell, as a file could hold. */
const EVIL = "\x1b[2J\x1b[31mevil\x07\u202e";
/** How messages show it. */
const EVIL_SHOWN = '"\\u001b[2J\\u001b[31mevil\\u0007\\u202e"';

function tiny(name = "tiny", seed = 1): Autoencoder {
  return new Autoencoder(
    {
      name,
      inputShape: [16],
      encoder: [new Dense(4, "relu")],
      decoder: [new Dense(16, "sigmoid")],
    },
    { seed, threads: 1 },
  );
}

/** 64 samples in [0, 1], the same every time. */
const DATA = Float32Array.from({ length: 64 * 16 }, (_, i) => (Math.sin(i * 12.9898) + 1) / 2);
const FIT = { epochs: 2, batchSize: 16 } as const;

/** A copy of a model's state that comparisons can use. */
function snapshot(model: Autoencoder): { params: Record<string, number[]>; history: History } {
  return {
    params: Object.fromEntries([...model.params].map(([k, v]) => [k, [...v]])),
    history: { ...structuredClone(model.history), epochSeconds: [] },
  };
}

/** Asserts that `call` throws (or rejects with) an AutoencoderError whose message has `text`. */
async function fails(call: () => unknown, text: string, kind?: string): Promise<string> {
  try {
    await call();
  } catch (e) {
    assert.ok(e instanceof AutoencoderError, `not an AutoencoderError: ${e}`);
    assert.ok(e.message.includes(text), `"${e.message}" lacks "${text}"`);
    assert.equal(e.kind, kind);
    assert.ok(!/\p{Cc}/u.test(e.message), `control character in "${e.message}"`);
    return e.message;
  }
  assert.fail(`no error; expected one with "${text}"`);
}

const busy = (method: string, running = "fit") =>
  `Cannot call ${method}: model "tiny" is busy with ${running}; await the running call first`;

Deno.test("two fits at once: the second throws and the first's result equals a lone fit's", async () => {
  const lone = tiny();
  await lone.fit(DATA, FIT);
  const model = tiny();
  const first = model.fit(DATA, FIT);
  await fails(() => model.fit(DATA, FIT), busy("fit"), "busy");
  await first;
  assert.deepEqual(snapshot(model), snapshot(lone));
  assert.equal(model.epoch, 2);
});

Deno.test("load, restore, checkpoint, save, evaluate, predict during fit throw and change nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_" });
  const other = tiny("tiny", 7);
  const otherFile = `${dir}/other.onnx`;
  await other.save(otherFile);
  const lone = tiny();
  await lone.fit(DATA, FIT);

  const model = tiny();
  const running = model.fit(DATA, FIT);
  await fails(() => model.load(otherFile), busy("load"), "busy");
  await fails(() => model.loadOnnx(other.toOnnx()), busy("loadOnnx"), "busy");
  await fails(() => model.restore(other.checkpoint()), busy("restore"), "busy");
  const reader = ", or call checkpoint from an epoch callback";
  await fails(() => model.checkpoint(), busy("checkpoint") + reader, "busy");
  await fails(() => model.save(`${dir}/mid.onnx`), busy("save"), "busy");
  await fails(() => model.evaluate(DATA), busy("evaluate"), "busy");
  await fails(() => model.predict(DATA), busy("predict"), "busy");
  await running;
  assert.deepEqual(snapshot(model), snapshot(lone));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["other.onnx"]);
  // Idle again: everything works.
  model.restore(lone.checkpoint());
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fit's epoch callbacks may read the model, not change it", async () => {
  const model = tiny();
  const seen: string[] = [];
  await model.fit(DATA, {
    ...FIT,
    onEpochEnd: async () => {
      seen.push(`checkpoint ${model.checkpoint().length > 0}`);
      seen.push(`predict ${(await model.predict(DATA.subarray(0, 16))).length}`);
      await fails(() => model.restore(model.checkpoint()), busy("restore"), "busy");
    },
  });
  assert.deepEqual(seen, ["checkpoint true", "predict 16", "checkpoint true", "predict 16"]);
});

Deno.test("fit during load throws; the load completes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_" });
  const other = tiny("tiny", 7);
  await other.save(`${dir}/other.onnx`);
  const model = tiny();
  const loading = model.load(`${dir}/other.onnx`);
  await fails(() => model.fit(DATA, FIT), busy("fit", "load"), "busy");
  await loading;
  assert.deepEqual(snapshot(model).params, snapshot(other).params);
  assert.equal(model.epoch, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("restore, load and fit during a predict throw; reads may overlap", async () => {
  const model = tiny(), other = tiny("tiny", 7);
  const before = snapshot(model);
  const reading = model.predict(DATA);
  const alsoReading = model.evaluate(DATA); // readers do not exclude each other
  await fails(() => model.restore(other.checkpoint()), busy("restore", "predict"), "busy");
  await fails(() => model.loadOnnx(other.toOnnx()), busy("loadOnnx", "predict"), "busy");
  await fails(() => model.fit(DATA, FIT), busy("fit", "predict"), "busy");
  const [reconstructions] = await Promise.all([reading, alsoReading]);
  assert.equal(reconstructions.length, DATA.length);
  assert.deepEqual(snapshot(model), before);
  model.restore(other.checkpoint()); // idle again
});

/** A saved model of the tiny architecture whose metadata names it `name`. */
function namedModel(name: string): Uint8Array {
  const config = tiny().config;
  return encodeModel(buildInference(config, "autoencoder", tiny().params).graph, {
    name: "x",
    metadata: { "autoencoders.model": name },
  });
}

Deno.test("a model name from a file is shown escaped when loading and exporting", async () => {
  const model = tiny();
  const before = snapshot(model);
  await fails(
    () => model.loadOnnx(namedModel(EVIL), "evil.onnx"),
    `Cannot load "evil.onnx": it holds a ${EVIL_SHOWN} model, not "tiny"`,
    "bad-input",
  );
  assert.deepEqual(snapshot(model), before);

  const dir = await Deno.makeTempDir({ prefix: "hostile_" });
  const file = `${dir}/evil\x1b[0m.onnx`;
  await Deno.writeFile(file, namedModel(EVIL));
  await fails(
    () => exportMain([file, "--out", `${dir}/out`]),
    `Cannot export "${dir}/evil\\u001b[0m.onnx": it holds a ${EVIL_SHOWN} model, which is not one of`,
  );
  await fails(
    () => model.load(`${dir}/missing\x1b]0;title\x07.onnx`),
    `Cannot read "${dir}/missing\\u001b]0;title\\u0007.onnx": `,
    "io",
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["evil\x1b[0m.onnx"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the export command prints a hostile name as one escaped error line, exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_" });
  await Deno.writeFile(`${dir}/evil.onnx`, namedModel(EVIL));
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-ffi",
      new URL("../src/cli/export.ts", import.meta.url).pathname,
      `${dir}/evil.onnx`,
      "--out",
      `${dir}/out`,
    ],
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 2, err);
  assert.equal(new TextDecoder().decode(stdout), "");
  assert.match(err, /^error: Cannot export ".*evil\.onnx": it holds a "\\u001b\[2J/);
  assert.equal(err.split("\n").length, 2, err); // one line
  assert.ok(!err.includes("\x1b"));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["evil.onnx"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a hostile model name is escaped in summary() and report.html", () => {
  const model = tiny(`<script>alert(1)</script>${EVIL}`);
  assert.equal(
    model.summary().split("\n")[0],
    'Model: "<script>alert(1)</script>\\u001b[2J\\u001b[31mevil\\u0007\\u202e"',
  );
  const html = reportHtml({
    model,
    history: { loss: [0.2], valLoss: [], penalty: [], epochSeconds: [1] },
  });
  assert.ok(!html.includes("<script>alert"));
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;\\u001b[2J"));
  assert.ok(!/[\p{Cc}\u202e]/u.test(html.replaceAll("\n", "")));
});

/** The labels file of MNIST's training set with a header declaring `count` labels, `extra` more bytes. */
function labels(count: number, extra = 0): Uint8Array {
  const raw = new Uint8Array(8 + count + extra);
  new DataView(raw.buffer).setUint32(0, 0x0801);
  new DataView(raw.buffer).setUint32(4, count);
  return new Uint8Array(gzipSync(raw, { level: 9 }));
}

Deno.test("a gzip bomb stops inflating at the known file's size, naming the file", async () => {
  const file = DATASETS.mnist.files[1]; // train-labels-idx1-ubyte: 60008 bytes
  assert.equal(file.size, 60008);
  // The header declares 50 MB: 50 KB of gzip, within deflate's 1032:1.
  const declared = labels(50_000_000);
  assert.ok(declared.length < 60_000, `${declared.length}`);
  await fails(
    () => decodeDatasetFile(declared, file, "bomb/train-labels-idx1-ubyte.gz"),
    'Cannot read IDX file "bomb/train-labels-idx1-ubyte.gz": the file is larger than expected (60008 bytes at most, the header declares 50000008); download it again',
    "io",
  );
  // The header tells the truth, 50 MB of zeros follow: inflation stops at the first chunk.
  await fails(
    () => decodeDatasetFile(labels(60000, 50_000_000), file, "pad.gz"),
    'Cannot read IDX file "pad.gz": the file has extra bytes (expected 60000 bytes of data, found more); download it again',
    "io",
  );
  // The library's decodeIdx takes the same bound.
  await fails(
    () => decodeIdx(labels(100), "small.idx.gz", { maxBytes: 99 }),
    'Cannot read IDX file "small.idx.gz": the file is larger than expected (99 bytes at most, the header declares 108)',
    "io",
  );
  // Unverified files may be of another size (a data set of one's own): no bound but the header's.
  assert.equal((await decodeDatasetFile(labels(70000), file, "big.gz", false)).dims[0], 70000);
});

Deno.test("thread counts outside 1 to 4 per core are rejected before any session opens", async () => {
  const max = maxThreads();
  assert.equal(max, navigator.hardwareConcurrency * 4);
  for (const threads of [100000, max + 1, 0, -1, 1.5, NaN]) {
    await fails(
      () => new Autoencoder(tiny().config, { threads }),
      `Cannot create model "tiny": threads must be an integer from 1 to ${max} (4 per core here), got ${threads}; pass fewer, or none for the runtime's choice`,
      "bad-input",
    );
    await fails(
      () => nodeRuntime.createSession(tiny().toOnnx(), { threads }),
      `Cannot open ONNX Runtime session: threads must be an integer from 1 to ${max}`,
      "bad-input",
    );
  }
  new Autoencoder(tiny().config, { threads: max }); // the bound itself is allowed
});

Deno.test("a provider asked for by name probes only itself", async () => {
  const asked: (Provider | undefined)[] = [];
  const spy: Runtime = {
    ...nodeRuntime,
    providers: (only) => {
      asked.push(only);
      return nodeRuntime.providers(only);
    },
  };
  await chooseProvider(spy, "cuda").catch(() => {}); // available or not, by what it says
  assert.deepEqual(asked, ["cuda"]);
  asked.length = 0;
  assert.equal((await chooseProvider(spy, "cpu")).provider, "cpu");
  assert.deepEqual(asked, ["cpu"]);
});

Deno.test("the page server: 400 for malformed paths, 404 out of its folders, 403 for foreign hosts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hostile_serve_" });
  const outside = await Deno.makeTempDir({ prefix: "hostile_secret_" });
  await Deno.writeTextFile(`${dir}/hello.txt`, "hello\n");
  await Deno.writeTextFile(`${outside}/secret.txt`, "secret\n");
  await Deno.symlink(`${outside}/secret.txt`, `${dir}/link.txt`);
  await Deno.symlink(outside, `${dir}/linked`);
  const logged: unknown[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  const server = serve({ port: 0, dataDir: dir });
  try {
    assert.equal(server.addr.hostname, "127.0.0.1");
    const base = `http://localhost:${server.addr.port}`;
    const status = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return `${response.status} ${(await response.text()).trim()}`;
    };
    assert.equal(await status("/data/mnist/hello.txt"), "200 hello");
    assert.equal(await status("/data/mnist/%E0%A4%A"), "400 Bad request: malformed path");
    assert.equal(await status("/%zz"), "400 Bad request: malformed path");
    assert.equal(await status("/data/mnist/hello.txt%00.png"), "400 Bad request: malformed path");
    assert.equal(await status("/data/mnist/link.txt"), "404 Not found");
    assert.equal(await status("/data/mnist/linked/secret.txt"), "404 Not found");
    assert.equal(await status("/data/mnist/%2e%2e/%2e%2e/etc/passwd"), "404 Not found");
    assert.equal(await status(`/data/mnist/${"x".repeat(5000)}`), "404 Not found");
    // A page on another name (DNS rebinding) reaching the port: the Host header says so.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(
      new TextEncoder().encode(
        "GET /data/mnist/hello.txt HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
      ),
    );
    const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert.match(reply, /^HTTP\/1\.1 403 Forbidden/);
    assert.ok(reply.includes("unexpected Host header"), reply);
    assert.ok(!reply.includes("hello"));
    const byAddress = await fetch(`http://127.0.0.1:${server.addr.port}/data/mnist/hello.txt`);
    assert.equal(`${byAddress.status} ${await byAddress.text()}`, "200 hello\n");
  } finally {
    console.error = error;
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
  assert.deepEqual(logged, []);
});

Deno.test("every library module declares its types from its own text (deno task build:npm warns of none)", async () => {
  const { default: ts } = await import("typescript");
  const root = new URL("../", import.meta.url);
  const files = ["mod.ts"];
  for (const dir of ["src", "training", "models"]) {
    for await (const entry of walk(new URL(`${dir}/`, root))) files.push(entry);
  }
  const warnings = files.filter((f) => f.endsWith(".ts") && !f.endsWith("_test.ts")).flatMap((f) =>
    (ts.transpileDeclaration(Deno.readTextFileSync(new URL(f, root)), {
      compilerOptions: { isolatedDeclarations: true, declaration: true, strict: true },
      fileName: f,
      reportDiagnostics: true,
    }).diagnostics ?? []).map((d) => `${f}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`)
  );
  assert.deepEqual(warnings, []);
});

/** Root-relative paths of the files under a folder. */
async function* walk(dir: URL, prefix = dir.pathname.split("/").at(-2)!): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) yield* walk(new URL(`${entry.name}/`, dir), `${prefix}/${entry.name}`);
    else yield `${prefix}/${entry.name}`;
  }
}
