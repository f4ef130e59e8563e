import { DATA_DIR } from "./helpers.ts";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { AutoencoderError } from "../src/errors.ts";
import { decodeIdx, sha256Hex } from "../src/data/idx.ts";
import { loadMnist } from "../src/data/mnist.ts";

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

Deno.test("loadMnist reads the real MNIST files", async () => {
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
    assert.equal(train.count, 60000);
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
      "the file is truncated (expected 10000 bytes of data, found 992)",
      "download it again",
    ]],
    ["trailing bytes", LABELS, new Uint8Array([...raw, 1, 2, 3]), true, [
      "3 extra bytes (expected 10000 bytes of data, found 10003)",
    ]],
    ["wrong magic", LABELS, new Uint8Array([0x50, 0x4b, ...raw.subarray(2)]), true, [
      "not an IDX file (magic number 0x504b0801",
    ]],
    ["corrupt gzip", `${LABELS}.gz`, new Uint8Array([...gz.subarray(0, 10), ...raw]), false, [
      "the gzip data is corrupt; download it again",
    ]],
    ["wrong checksum", `${LABELS}.gz`, gz.map((b, i) => i === 1000 ? b ^ 0xff : b), true, [
      "SHA-256 does not match",
      "expected f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6, found ",
      "download it again",
    ]],
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

Deno.test("loadMnist without a folder says where it looked", async () => {
  const saved = Deno.env.get("AUTOENCODERS_DATA_DIR");
  Deno.env.delete("AUTOENCODERS_DATA_DIR");
  try {
    await assertFails(loadMnist(), "`dir`", "AUTOENCODERS_DATA_DIR", "train-images-idx3-ubyte.gz");
  } finally {
    if (saved !== undefined) Deno.env.set("AUTOENCODERS_DATA_DIR", saved);
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

Deno.test("sha256Hex matches the published MNIST checksum", async () => {
  assert.equal(
    await sha256Hex(await labelsGz()),
    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
  );
});
