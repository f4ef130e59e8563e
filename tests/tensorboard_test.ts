/**
 * TensorBoard event files: CRC-32C against published vectors (RFC 3720 B.4, and
 * the masked form computed independently), TFRecord framing, and what was written
 * read back by a parser written here from the format's description, and, where a
 * Python with the `tensorboard` package is found (`TENSORBOARD_PYTHON`, else
 * `python3`), by TensorBoard's own reader.
 */

import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { AutoencoderError } from "../src/errors.ts";
import { renderGrid } from "../src/viz/grid.ts";
import {
  crc32c,
  eventFileName,
  EventMessage,
  EventWriter,
  FILE_VERSION,
  maskedCrc32c,
  tfRecord,
} from "../src/viz/tensorboard.ts";
import { pngInfo } from "../src/viz/png.ts";
import { TensorBoardLog } from "../src/viz/tensorboard_file.ts";

// ---------------------------------------------------------------------------
// A reader written from the format's description

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: {
    value: {
      tag: string;
      simpleValue?: number;
      image?: { height: number; width: number; colorspace: number; encodedImageString: Uint8Array };
    }[];
  };
}

/** Splits a TFRecord file, checking every length and both CRCs of each record. */
function records(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    assert.ok(at + 12 <= bytes.length, `record header at ${at} is truncated`);
    const length = Number(view.getBigUint64(at, true));
    assert.equal(view.getUint32(at + 8, true), maskedCrc32c(bytes.subarray(at, at + 8)));
    assert.ok(at + 16 + length <= bytes.length, `record at ${at} is truncated`);
    const data = bytes.subarray(at + 12, at + 12 + length);
    assert.equal(view.getUint32(at + 12 + length, true), maskedCrc32c(data));
    out.push(data);
    at += 16 + length;
  }
  return out;
}

function events(bytes: Uint8Array): DecodedEvent[] {
  return records(bytes).map((r) =>
    EventMessage.toObject(EventMessage.decode(r), { longs: Number }) as DecodedEvent
  );
}

const ascii = (s: string) => new TextEncoder().encode(s);

// ---------------------------------------------------------------------------
// CRC-32C and framing

Deno.test("crc32c matches the published check values", () => {
  assert.equal(crc32c(ascii("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(new Uint8Array(32).map((_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(new Uint8Array(32).map((_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

Deno.test("maskedCrc32c rotates right by 15 and adds 0xa282ead8", () => {
  // ((0xe3069283 >>> 15) | (0xe3069283 << 17)) + 0xa282ead8 = 0x2507c60d + 0xa282ead8
  assert.equal(maskedCrc32c(ascii("123456789")), 0xc78ab0e5);
  assert.equal(maskedCrc32c(new Uint8Array(32)), 0x0fd7fffa);
  assert.equal(maskedCrc32c(new Uint8Array(32).fill(0xff)), 0xf909b029);
  // the header of a 24-byte record, as Debian's python3-crcmod computes it
  assert.equal(maskedCrc32c(new Uint8Array([24, 0, 0, 0, 0, 0, 0, 0])), 0x224b7fa3);
});

Deno.test("tfRecord frames the data with its length and two masked CRCs", () => {
  const data = ascii("123456789");
  const record = tfRecord(data);
  assert.equal(record.length, 9 + 16);
  const view = new DataView(record.buffer);
  assert.equal(view.getBigUint64(0, true), 9n);
  assert.deepEqual([...record.subarray(0, 8)], [9, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(view.getUint32(8, true), maskedCrc32c(record.subarray(0, 8)));
  assert.deepEqual(record.subarray(12, 21), data);
  assert.equal(view.getUint32(21, true), 0xc78ab0e5);
  assert.deepEqual(records(tfRecord(new Uint8Array(0))), [new Uint8Array(0)]);
  // a flipped bit is caught
  const bad = record.slice();
  bad[14] ^= 1;
  assert.throws(() => records(bad));
});

// ---------------------------------------------------------------------------
// Events

Deno.test("an event file reads back: file version, scalars, images", async () => {
  const png = await renderGrid([new Float32Array(2 * 784).fill(0.5)], { scale: 1 });
  const writer = new EventWriter(1000.5);
  writer.scalar("loss", 0, 0.25, 1001);
  writer.scalars(1, { loss: 0.125, val_loss: 0.1, penalty: undefined }, 1002);
  writer.image("reconstructions", 1, png, 1003);
  writer.scalar("loss", 2, Math.PI);
  const all = events(writer.bytes());
  assert.equal(all.length, 5);

  assert.equal(all[0].fileVersion, FILE_VERSION);
  assert.equal(all[0].fileVersion, "brain.Event:2");
  assert.equal(all[0].wallTime, 1000.5);
  assert.equal(all[0].summary, undefined);

  assert.deepEqual(all[1], {
    wallTime: 1001,
    step: 0,
    summary: { value: [{ tag: "loss", simpleValue: 0.25 }] },
  });
  assert.equal(all[2].step, 1);
  assert.deepEqual(all[2].summary!.value.map((v) => [v.tag, v.simpleValue]), [
    ["loss", 0.125],
    ["val_loss", Math.fround(0.1)],
  ]);
  const image = all[3].summary!.value[0];
  assert.equal(image.tag, "reconstructions");
  assert.equal(all[3].step, 1);
  assert.deepEqual(
    { height: image.image!.height, width: image.image!.width, colorspace: image.image!.colorspace },
    { height: 28 + 4, width: 2 * 28 + 6, colorspace: 4 },
  );
  assert.deepEqual(image.image!.encodedImageString, png);
  assert.equal(all[4].summary!.value[0].simpleValue, Math.fround(Math.PI));
  assert.ok(Math.abs(all[4].wallTime - Date.now() / 1000) < 60);
});

Deno.test("take returns each record once; bytes returns them all", () => {
  const writer = new EventWriter(0);
  const first = writer.take();
  assert.equal(events(first).length, 1);
  assert.equal(writer.take().length, 0);
  writer.scalar("a", 0, 1);
  writer.scalar("a", 1, 2);
  const next = writer.take();
  assert.deepEqual(events(next).map((e) => e.step), [0, 1]);
  const joined = new Uint8Array([...first, ...next]);
  assert.deepEqual(writer.bytes(), joined);
});

Deno.test("the encoding is protobuf's wire format with TensorFlow's field numbers", () => {
  const writer = new EventWriter(0);
  writer.take();
  writer.scalar("t", 3, 1, 0.5);
  const [data] = records(writer.take());
  // Event: wall_time (1, fixed64) 0.5; step (2, varint) 3; summary (5, bytes) {
  //   value (1, bytes) { tag (1, bytes) "t"; simple_value (2, fixed32) 1.0 } }
  const expected = [
    0x09,
    ...new Uint8Array(new Float64Array([0.5]).buffer),
    0x10,
    3,
    0x2a,
    10,
    0x0a,
    8,
    0x0a,
    1,
    0x74,
    0x15,
    ...new Uint8Array(new Float32Array([1]).buffer),
  ];
  assert.deepEqual([...data], expected);
});

Deno.test("bad steps, tags and images fail in the project's voice", () => {
  const writer = new EventWriter();
  assert.throws(() => writer.scalar("loss", -1, 0), AutoencoderError);
  assert.throws(() => writer.scalar("loss", 1.5, 0), /step must be a non-negative integer/);
  assert.throws(() => writer.scalar("", 0, 0), /tags must be non-empty/);
  assert.throws(
    () => writer.image("x", 0, ascii("GIF89a...")),
    /Cannot use image "x": the bytes are not a PNG/,
  );
  assert.throws(() => pngInfo(new Uint8Array(4)), AutoencoderError);
  assert.equal(events(writer.bytes()).length, 1);
});

Deno.test("eventFileName follows TensorFlow's pattern", () => {
  assert.equal(
    eventFileName("host", 1_700_000_000_999),
    "events.out.tfevents.1700000000.host",
  );
  assert.equal(eventFileName("h", 5_000, ".42"), "events.out.tfevents.0000000005.h.42");
  assert.throws(() => eventFileName("a/b"), AutoencoderError);
  assert.throws(() => eventFileName(""), /must be non-empty file name parts/);
});

// ---------------------------------------------------------------------------
// Files

Deno.test("TensorBoardLog appends each epoch to one file in the log directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logdir = join(dir, "logs", "run");
    const log = await TensorBoardLog.open(logdir, { host: "test/host", time: 1_700_000_000_000 });
    assert.equal(
      log.path,
      join(logdir, `events.out.tfevents.1700000000.test_host.${Deno.pid}`),
    );
    assert.equal(events(await Deno.readFile(log.path)).length, 1);
    const png = await renderGrid([new Float32Array(784)]);
    await log.logEpoch({ epoch: 0, loss: 0.3, valLoss: 0.28, penalty: 0.01 }, {
      reconstructions: png,
    });
    const afterOne = events(await Deno.readFile(log.path));
    assert.equal(afterOne.length, 3);
    await log.logEpoch({ epoch: 1, loss: 0.2, valLoss: 0.19, learningRate: 0.5 });
    const all = events(await Deno.readFile(log.path));
    assert.equal(all.length, 4);
    assert.deepEqual(all.slice(0, 3), afterOne);
    assert.deepEqual(all[1].summary!.value.map((v) => v.tag), ["loss", "val_loss", "penalty"]);
    assert.deepEqual(all[3].summary!.value.map((v) => [v.tag, v.simpleValue]), [
      ["loss", Math.fround(0.2)],
      ["val_loss", Math.fround(0.19)],
      ["lr", 0.5],
    ]);
    assert.deepEqual(all[2].summary!.value[0].image!.encodedImageString, png);
    assert.deepEqual(await readdir(logdir), [log.path.split(/[/\\]/).at(-1)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// TensorBoard's own reader, where installed

const PYTHON = Deno.env.get("TENSORBOARD_PYTHON") || "python3";

async function hasTensorBoard(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(PYTHON, {
      args: ["-c", "import tensorboard.backend.event_processing.event_accumulator"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

const READ_WITH_TENSORBOARD = `
import json, sys
from tensorboard.backend.event_processing import event_accumulator, event_file_loader
path, logdir = sys.argv[1], sys.argv[2]
raw = list(event_file_loader.RawEventFileLoader(path).Load())
acc = event_accumulator.EventAccumulator(logdir, size_guidance={"scalars": 0, "images": 0})
acc.Reload()
tags = acc.Tags()
print(json.dumps({
  "records": len(raw),
  "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
  "images": {t: [[e.step, e.width, e.height, len(e.encoded_image_string)] for e in acc.Images(t)]
             for t in tags["images"]},
}))
`;

Deno.test({
  name: "TensorBoard's own reader loads the file (needs TENSORBOARD_PYTHON or python3 " +
    "with the tensorboard package)",
  ignore: !(await hasTensorBoard()),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const log = await TensorBoardLog.open(dir, { host: "test" });
      const png = await renderGrid([new Float32Array(3 * 784).fill(0.25)]);
      for (let epoch = 0; epoch < 3; epoch++) {
        await log.logEpoch({ epoch, loss: 1 / (epoch + 2), valLoss: 1 / (epoch + 3) }, {
          reconstructions: png,
        });
      }
      const { code, stdout, stderr } = await new Deno.Command(PYTHON, {
        args: ["-c", READ_WITH_TENSORBOARD, log.path, dir],
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const lines = new TextDecoder().decode(stdout).trim().split("\n");
      const read = JSON.parse(lines.at(-1)!);
      const { width, height } = pngInfo(png);
      assert.deepEqual(read, {
        records: 7,
        scalars: {
          loss: [0, 1, 2].map((e) => [e, Math.fround(1 / (e + 2))]),
          val_loss: [0, 1, 2].map((e) => [e, Math.fround(1 / (e + 3))]),
        },
        images: { reconstructions: [0, 1, 2].map((e) => [e, width, height, png.length]) },
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
