import { DATA_COUNTS, DATA_DIR, FULL_DATA_DIR, needsFullMnist, SUBSET_DIR } from "./helpers.ts";
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { AutoencoderError } from "../src/errors.ts";
import { decodeIdx, sha256Hex } from "../src/data/idx.ts";
import { loadFashionMnist, loadMnist, loadMnistSubset } from "../src/data/mnist.ts";
import { describeData } from "../src/data/datasets.ts";

const NAMES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];
const LABELS = "t10k-labels-idx1-ubyte";

/** Asserts that `promise` rejects with an AutoencoderError whose message matches all `parts`. */
async function assertFails(promise: Promise<unknown>, ...parts: (string | RegExp)[]) {
  const error = await promise.then(() => assert.fail("expected an AutoencoderError"), (e) => e);
  assert.ok(error instanceof AutoencoderError, `not an AutoencoderError: ${error}`);
  for (const part of parts) {
    if (typeof part === "string") assert.ok(error.message.includes(part), error.message);
    else assert.match(error.message, part);
  }
  return error;
}

/**
 * A temporary folder with links to the real files, except `t10k-labels-idx1-ubyte`
 * which is written as `file` with the given bytes.
 */
async function dirWith(file: string, bytes: Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mnist_test_" });
  for (const name of NAMES.filter((n) => n !== LABELS)) {
    await Deno.symlink(`${DATA_DIR}/${name}.gz`, `${dir}/${name}.gz`);
  }
  await Deno.writeFile(`${dir}/${file}`, bytes);
  return dir;
}

const labelsGz = () => Deno.readFile(`${DATA_DIR}/${LABELS}.gz`);
const labelsRaw = async () => new Uint8Array(gunzipSync(await labelsGz()));

Deno.test(needsFullMnist("loadMnist reads the real MNIST files"), async () => {
  const { train, test } = await loadMnist({ dir: DATA_DIR });
  assert.equal(train.count, 60000);
  assert.equal(test.count, 10000);
  for (const set of [train, test]) {
    assert.equal(set.height, 28);
    assert.equal(set.width, 28);
    assert.equal(set.images.length, set.count * 28 * 28);
    assert.equal(set.labels.length, set.count);
  }
  assert.deepEqual([...test.labels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  assert.deepEqual([...train.labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  const counts = new Array(10).fill(0);
  for (const label of train.labels) counts[label]++;
  assert.deepEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  let sum = 0, min = Infinity, max = -Infinity;
  for (const x of train.images) {
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  assert.ok(Math.abs(sum / train.images.length - 0.1306604763) < 1e-6, `mean ${sum}`);
  assert.deepEqual([min, max], [0, 1]);
});

Deno.test("loadMnist reads raw (uncompressed) files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mnist_test_" });
  try {
    for (const name of NAMES) {
      const gz = await Deno.readFile(`${DATA_DIR}/${name}.gz`);
      await Deno.writeFile(`${dir}/${name}`, new Uint8Array(gunzipSync(gz)));
    }
    const { train, test } = await loadMnist({ dir });
    assert.equal(train.count, DATA_COUNTS.train);
    assert.deepEqual([...test.labels.subarray(0, 4)], [7, 2, 1, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadMnist rejects a bad file with a message naming it", async (t) => {
  const raw = await labelsRaw();
  const gz = await labelsGz();
  const cases: [string, string, Uint8Array, boolean, (string | RegExp)[]][] = [
    ["truncated", LABELS, raw.subarray(0, 1000), true, [
      `the file is truncated (expected ${DATA_COUNTS.test} bytes of data, found 992)`,
      "download it again",
    ]],
    ["trailing bytes", LABELS, new Uint8Array([...raw, 1, 2, 3]), true, [
      `3 extra bytes (expected ${DATA_COUNTS.test} bytes of data, found ${DATA_COUNTS.test + 3})`,
    ]],
    ["wrong magic", LABELS, new Uint8Array([0x50, 0x4b, ...raw.subarray(2)]), true, [
      "not an IDX file (magic number 0x504b0801",
    ]],
    ["corrupt gzip", `${LABELS}.gz`, new Uint8Array([...gz.subarray(0, 10), ...raw]), false, [
      "the gzip data is corrupt; download it again",
    ]],
    [
      "another file's content",
      LABELS,
      (await labelsRaw()).map((b, i) => i === 100 ? (b + 1) % 10 : b),
      true,
      [
        "content's SHA-256 is not that of t10k-labels-idx1-ubyte",
        "expected ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2, found ",
        "download it again",
      ],
    ],
  ];
  for (const [name, file, bytes, verify, parts] of cases) {
    await t.step(name, async () => {
      const dir = await dirWith(file, bytes);
      try {
        const error = await assertFails(loadMnist({ dir, verify }), `"${dir}/${file}"`, ...parts);
        if (name === "corrupt gzip") assert.ok(error.cause, "the cause is kept");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("loadMnist names the missing folder or file", async () => {
  await assertFails(loadMnist({ dir: "/no/such/dir" }), '"/no/such/dir" does not exist', "dir");
  const dir = await Deno.makeTempDir({ prefix: "mnist_test_" });
  try {
    await assertFails(
      loadMnist({ dir }),
      `missing "${dir}/train-images-idx3-ubyte.gz", "${dir}/train-labels-idx1-ubyte.gz", `,
      `"${dir}/t10k-labels-idx1-ubyte.gz" (or the same without ".gz")`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs `fn` with AUTOENCODERS_DATA_DIR set to `value` (or unset). */
async function withDataDir<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = Deno.env.get("AUTOENCODERS_DATA_DIR");
  if (value === undefined) Deno.env.delete("AUTOENCODERS_DATA_DIR");
  else Deno.env.set("AUTOENCODERS_DATA_DIR", value);
  try {
    return await fn();
  } finally {
    if (saved === undefined) Deno.env.delete("AUTOENCODERS_DATA_DIR");
    else Deno.env.set("AUTOENCODERS_DATA_DIR", saved);
  }
}

Deno.test("with nothing to find and no download, the error lists where it looked", async () => {
  const cacheDir = await Deno.makeTempDir();
  await withDataDir(undefined, () =>
    assertFails(
      loadMnist({ cacheDir, download: false }),
      `"${cacheDir}" (missing train-images-idx3-ubyte`,
      "pass `dir`",
      "AUTOENCODERS_DATA_DIR",
      "train-images-idx3-ubyte.gz",
    ));
});

Deno.test("AUTOENCODERS_DATA_DIR is searched, as <dir>/mnist or as the folder itself", async () => {
  const root = await Deno.makeTempDir();
  await Deno.symlink(DATA_DIR, `${root}/mnist`);
  const cacheDir = await Deno.makeTempDir();
  for (const dir of [root, DATA_DIR]) {
    const data = await withDataDir(dir, () => loadMnist({ cacheDir, download: false }));
    assert.equal(data.train.count, DATA_COUNTS.train);
    assert.ok(data.source.startsWith(dir), data.source);
  }
});

/** Serves `routes` (path -> response maker) on 127.0.0.1 while `fn` runs. */
async function withServer(
  routes: Record<string, () => Response>,
  fn: (base: string, hits: string[]) => Promise<void>,
) {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    return routes[path]?.() ?? new Response("not found", { status: 404 });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, hits);
  } finally {
    await server.shutdown();
  }
}

const downloads =
  "downloads reject bad mirrors, fall through to a good one and fill the cache atomically";
Deno.test(needsFullMnist(downloads), async () => {
  const real: Record<string, Uint8Array<ArrayBuffer>> = Object.fromEntries(
    await Promise.all(NAMES.map(async (n) => [n, await Deno.readFile(`${DATA_DIR}/${n}.gz`)])),
  );
  const routes: Record<string, () => Response> = {};
  for (const name of NAMES) {
    const gz = real[name];
    // Valid gzip of other content: one byte of the data changed.
    const other = gunzipSync(gz).map((b, i) => (i === 20 ? b ^ 1 : b));
    routes[`/wrong/${name}.gz`] = () => new Response(new Uint8Array(gzipSync(other)));
    routes[`/short/${name}.gz`] = () =>
      new Response(gz.slice(0, gz.length / 2), {
        headers: { "content-length": String(gz.length / 2) },
      });
    routes[`/error/${name}.gz`] = () => new Response("busy", { status: 503 });
    routes[`/good/${name}.gz`] = () => new Response(gz);
  }
  await withServer(routes, async (base, hits) => {
    const cacheDir = `${await Deno.makeTempDir()}/cache`;
    const seen: number[] = [];
    const mirrors = ["wrong", "short", "error", "good"].map((m) => `${base}/${m}/`);
    const data = await withDataDir(
      undefined,
      () => loadMnist({ cacheDir, mirrors, onProgress: (p) => void seen.push(p.received) }),
    );
    assert.equal(data.train.count, 60000);
    assert.equal(data.source, cacheDir);
    assert.ok(seen.length > 0);
    assert.ok(hits.includes(`/error/${NAMES[0]}.gz`) && hits.includes(`/good/${NAMES[0]}.gz`));
    // Only whole, verified files in the cache: no temporary or partial ones.
    assert.deepEqual(
      [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort(),
      NAMES.map((n) => `${n}.gz`).sort(),
    );
    for (const n of NAMES) assert.deepEqual(await Deno.readFile(`${cacheDir}/${n}.gz`), real[n]);
    // The next load reads the cache without the network.
    const again = await withDataDir(undefined, () => loadMnist({ cacheDir, mirrors: [] }));
    assert.equal(again.source, cacheDir);

    // A server that announces the whole file, sends 1000 bytes and hangs up.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const cut = (async () => {
      for await (const conn of listener) {
        const head = `HTTP/1.1 200 OK\r\ncontent-length: ${real[NAMES[0]].length}\r\n\r\n`;
        await conn.write(new TextEncoder().encode(head));
        await conn.write(real[NAMES[0]].slice(0, 1000));
        conn.close();
      }
    })();
    const empty = `${await Deno.makeTempDir()}/cache`;
    const truncating = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`;
    const error = await withDataDir(undefined, () =>
      assertFails(
        loadMnist({ cacheDir: empty, mirrors: [truncating, `${base}/wrong/`] }),
        /127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz: the download broke off/,
        "content's SHA-256",
      ));
    listener.close();
    await cut.catch(() => {});
    assert.ok(error.message.includes("the mirrors"));
    const left = (await Deno.stat(empty).catch(() => null)) ? [...Deno.readDirSync(empty)] : [];
    assert.deepEqual(left, [], "nothing half-written stays in the cache");
  });
});

Deno.test("Fashion-MNIST is found where Debian's dataset-fashion-mnist installs it", async () => {
  const debian = "/usr/share/datasets/fashion-mnist";
  assert.ok(
    (await Deno.stat(debian).catch(() => null))?.isDirectory,
    `${debian} is missing: apt-get install dataset-fashion-mnist (.ci/setup does)`,
  );
  const cacheDir = await Deno.makeTempDir();
  const data = await withDataDir(undefined, () => loadFashionMnist({ cacheDir, download: false }));
  assert.equal(data.source, debian);
  assert.equal(data.train.count, 60000);
  assert.equal(data.test.count, 10000);
  // Fashion-MNIST's first test items: ankle boot, pullover, trouser, trouser.
  assert.deepEqual([...data.test.labels.subarray(0, 4)], [9, 2, 1, 1]);
});

Deno.test("the embedded subset loads without data or network", async () => {
  const { train, test, source } = await loadMnistSubset();
  assert.equal(train.count, 3000);
  assert.equal(test.count, 1000);
  assert.equal(source, SUBSET_DIR);
  assert.deepEqual([...test.labels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  assert.deepEqual([...train.labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  if (!FULL_DATA_DIR) return;
  const full = await loadMnist({ dir: FULL_DATA_DIR });
  assert.deepEqual(test.images, full.test.images.subarray(0, 1000 * 784));
  assert.deepEqual(train.labels, full.train.labels.subarray(0, 3000));
});

Deno.test("a folder of the subset's files is read as the subset, and orSubset falls back to it", async () => {
  const folder = await loadMnist({ dir: SUBSET_DIR });
  assert.equal(folder.dataset, "mnist-subset");
  assert.equal(describeData(folder), "the embedded MNIST subset (3000 training, 1000 test images)");
  const cacheDir = await Deno.makeTempDir();
  const fallback = await withDataDir(
    undefined,
    () => loadMnist({ cacheDir, mirrors: [], orSubset: true }),
  );
  assert.equal(fallback.dataset, "mnist-subset");
  assert.deepEqual(fallback.train.images, folder.train.images);
  await assertFails(loadMnist({ dir: cacheDir, orSubset: true }), "missing");
  if (FULL_DATA_DIR) {
    const full = await loadMnist({ dir: FULL_DATA_DIR });
    assert.equal(full.dataset, "mnist");
    assert.equal(
      describeData(full),
      `MNIST (60000 training, 10000 test images) from "${FULL_DATA_DIR}"`,
    );
  }
});

Deno.test("decodeIdx reads raw and gzipped bytes and checks the header", async () => {
  const bytes = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
  const gz = new Uint8Array(
    await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  for (const input of [bytes, gz]) {
    const { dims, data } = await decodeIdx(input, "x.idx");
    assert.deepEqual(dims, [2, 3]);
    assert.deepEqual([...data], [1, 2, 3, 4, 5, 6]);
  }
  const header = (type: number, ndims: number) => new Uint8Array([0, 0, type, ndims, 0, 0, 0, 0]);
  await assertFails(decodeIdx(header(0x0d, 1), "f.idx"), '"f.idx"', "0x0d is unsupported");
  await assertFails(decodeIdx(header(8, 0), "z.idx"), '"z.idx"', "0 dimensions (expected 1 to 4)");
  await assertFails(decodeIdx(header(8, 5), "h.idx"), '"h.idx"', "5 dimensions");
  await assertFails(decodeIdx(header(8, 3), "s.idx"), '"s.idx"', "header of 16 bytes, found 8");
  await assertFails(decodeIdx(new Uint8Array(2), "e.idx"), '"e.idx"', "truncated");
});

Deno.test("sha256Hex matches a standard test vector and the published MNIST checksum", async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  if (!FULL_DATA_DIR) return;
  assert.equal(
    await sha256Hex(await labelsGz()),
    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
  );
});
