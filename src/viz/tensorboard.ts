/**
 * TensorBoard event files, written without TensorFlow: `Event` protocol buffers
 * (the subset of TensorFlow's `event.proto` and `summary.proto` that scalars and
 * images need) framed as TFRecords, each record checked by a masked CRC32C. The
 * bytes this file returns are what `tensorboard --logdir DIR` reads from a file
 * named by {@link eventFileName}; writing them to disk is the job of
 * `tensorboard_file.ts`, so this file runs in a browser too.
 *
 * @example
 * ```ts
 * import { EventWriter, eventFileName } from "./tensorboard.ts";
 * const events = new EventWriter();
 * events.scalars(0, { loss: 0.25, val_loss: 0.2 });
 * const bytes = events.take(); // append to `logdir/${eventFileName("host")}`
 * console.assert(bytes.length > 0);
 * ```
 *
 * @module
 */

import protobuf from "protobufjs";
import { concatBytes } from "../bytes.ts";
import { pngInfo } from "./png.ts";
import { AutoencoderError } from "../errors.ts";

const descriptor = {
  nested: {
    tensorflow: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ["fileVersion", "summary"] } },
          fields: {
            wallTime: { type: "double", id: 1 },
            step: { type: "int64", id: 2 },
            fileVersion: { type: "string", id: 3 },
            summary: { type: "Summary", id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: "repeated", type: "Value", id: 1 } },
          nested: {
            Value: {
              oneofs: { value: { oneof: ["simpleValue", "image"] } },
              fields: {
                tag: { type: "string", id: 1 },
                simpleValue: { type: "float", id: 2 },
                image: { type: "Image", id: 4 },
              },
            },
            Image: {
              fields: {
                height: { type: "int32", id: 1 },
                width: { type: "int32", id: 2 },
                colorspace: { type: "int32", id: 3 },
                encodedImageString: { type: "bytes", id: 4 },
              },
            },
          },
        },
      },
    },
  },
};

/**
 * The `tensorflow.Event` message type (fields `wallTime`, `step`, `fileVersion`,
 * `summary`; `Summary.Value`: `tag`, `simpleValue`, `image`), for reading files back.
 */
export const EventMessage: protobuf.Type = protobuf.Root.fromJSON(descriptor)
  .lookupType("tensorflow.Event");

/** The `file_version` of the first record of every file, as TensorFlow 2 writes it. */
export const FILE_VERSION = "brain.Event:2";

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * CRC-32C (Castagnoli; reflected polynomial `0x82F63B78`), the checksum of TFRecords.
 *
 * @param bytes The data.
 * @returns The checksum, an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import { crc32c } from "./tensorboard.ts";
 * console.assert(crc32c(new TextEncoder().encode("123456789")) === 0xe3069283);
 * ```
 */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The masked CRC that TFRecords store: `((crc >>> 15) | (crc << 17)) + 0xa282ead8`,
 * modulo 2³² (masking keeps a CRC of data that holds CRCs from being trivial).
 *
 * @param bytes The data.
 * @returns The masked CRC-32C, an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import { maskedCrc32c } from "./tensorboard.ts";
 * console.assert(maskedCrc32c(new Uint8Array(0)) === 0xa282ead8);
 * ```
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/**
 * Frames one record as a TFRecord: length (uint64, little-endian), masked CRC-32C
 * of those 8 bytes, the data, masked CRC-32C of the data (both uint32, little-endian).
 *
 * @param data The record's payload.
 * @returns `16 + data.length` bytes.
 *
 * @example
 * ```ts
 * import { tfRecord } from "./tensorboard.ts";
 * console.assert(tfRecord(new Uint8Array([1, 2, 3])).length === 19);
 * ```
 */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * Name of an event file as TensorFlow names them, `events.out.tfevents.<seconds>.<host>`
 * (TensorBoard reads every file whose name holds `tfevents`; it orders a directory's
 * files by name, hence the zero-padded seconds).
 *
 * @param host Host name (a file name part: no `/` or `\`).
 * @param time When the file is created, in milliseconds since the epoch (default now).
 * @param suffix Appended as is, e.g. `.1234` (a process id) so that two runs started
 *   in the same second never share a file.
 * @returns The file name.
 *
 * @example
 * ```ts
 * import { eventFileName } from "./tensorboard.ts";
 * const name = eventFileName("lab", Date.UTC(2024, 0, 1));
 * console.assert(name === "events.out.tfevents.1704067200.lab");
 * ```
 */
export function eventFileName(host: string, time: number = Date.now(), suffix = ""): string {
  if (!host || /[/\\]/.test(host + suffix)) {
    throw new AutoencoderError(
      `Cannot name event file: host "${host}" and suffix "${suffix}" must be non-empty file name parts without "/" or "\\"`,
    );
  }
  if (!Number.isFinite(time) || time < 0) {
    throw new AutoencoderError(
      `Cannot name event file: time must be milliseconds since 1970, got ${time}`,
    );
  }
  const seconds = String(Math.floor(time / 1000)).padStart(10, "0");
  return `events.out.tfevents.${seconds}.${host}${suffix}`;
}

/** One `Summary.Value` before encoding. */
type SummaryValue =
  | { tag: string; simpleValue: number }
  | {
    tag: string;
    image: { height: number; width: number; colorspace: number; encodedImageString: Uint8Array };
  };

/**
 * Accumulates the records of one TensorBoard event file: the `file_version`
 * record first (written by the constructor), then one `Event` per call. Take the
 * new records with {@link EventWriter.take} (to append to the file as they come,
 * so that TensorBoard follows a run live) or everything with {@link EventWriter.bytes}.
 *
 * @example
 * ```ts
 * import { EventWriter } from "./tensorboard.ts";
 * import { renderGrid } from "./grid.ts";
 * const events = new EventWriter();
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   events.scalar("loss", epoch, 0.3 / (epoch + 1));
 *   events.image("reconstructions", epoch, await renderGrid([new Float32Array(784)]));
 * }
 * const file = events.bytes(); // 7 records
 * console.assert(file.length === events.bytes().length);
 * ```
 */
export class EventWriter {
  #records: Uint8Array[] = [];
  #taken = 0;

  /**
   * @param wallTime Time of the `file_version` record, in seconds since the epoch
   *   (default now).
   */
  constructor(wallTime: number = Date.now() / 1000) {
    this.#push(EventMessage.create({ wallTime, fileVersion: FILE_VERSION }));
  }

  /**
   * Records one scalar (a point of a TensorBoard chart).
   *
   * @param tag Chart name, e.g. `loss` (`/` groups charts: `train/loss`).
   * @param step The x coordinate: the epoch or the update.
   * @param value The value (stored as float32, as TensorFlow does).
   * @param wallTime Seconds since the epoch (default now).
   * @returns This writer.
   */
  scalar(tag: string, step: number, value: number, wallTime?: number): this {
    return this.scalars(step, { [tag]: value }, wallTime);
  }

  /**
   * Records several scalars of the same step in one event; `undefined` values
   * are skipped (a model without a penalty, a run without validation).
   *
   * @param step The x coordinate: the epoch or the update.
   * @param values Values by tag, e.g. `{ loss, val_loss }`.
   * @param wallTime Seconds since the epoch (default now).
   * @returns This writer.
   */
  scalars(step: number, values: Record<string, number | undefined>, wallTime?: number): this {
    const list: SummaryValue[] = [];
    for (const [tag, value] of Object.entries(values)) {
      if (value === undefined) continue;
      checkTag(tag);
      if (typeof value !== "number") {
        throw new AutoencoderError(
          `Cannot log scalar "${tag}": the value must be a number, got ${typeof value}`,
        );
      }
      list.push({ tag, simpleValue: value });
    }
    return list.length ? this.#event(step, list, wallTime) : this;
  }

  /**
   * Records an image (TensorBoard's Images tab shows one per step, with a slider).
   *
   * @param tag Image name, e.g. `reconstructions`.
   * @param step The epoch or the update.
   * @param png The PNG file's bytes (size and colorspace are read from its header).
   * @param wallTime Seconds since the epoch (default now).
   * @returns This writer.
   */
  image(tag: string, step: number, png: Uint8Array, wallTime?: number): this {
    checkTag(tag);
    const { width, height, colorspace } = pngInfo(png, tag);
    return this.#event(step, [{
      tag,
      image: { height, width, colorspace, encodedImageString: png },
    }], wallTime);
  }

  /**
   * The records added since the last call (the first call includes the
   * `file_version` record): append them to the file.
   *
   * @returns Framed records, possibly none.
   */
  take(): Uint8Array {
    const out = concatBytes(this.#records.slice(this.#taken));
    this.#taken = this.#records.length;
    return out;
  }

  /**
   * Every record so far: a whole event file.
   *
   * @returns Framed records.
   */
  bytes(): Uint8Array {
    return concatBytes(this.#records);
  }

  #event(step: number, value: SummaryValue[], wallTime = Date.now() / 1000): this {
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new AutoencoderError(
        `Cannot log "${value[0].tag}": the step must be a non-negative integer, got ${step}`,
      );
    }
    return this.#push(EventMessage.create({ wallTime, step, summary: { value } }));
  }

  #push(event: protobuf.Message): this {
    this.#records.push(tfRecord(EventMessage.encode(event).finish()));
    return this;
  }
}

function checkTag(tag: string): void {
  if (typeof tag !== "string" || tag.length === 0) {
    throw new AutoencoderError(`Cannot log to TensorBoard: tags must be non-empty, got "${tag}"`);
  }
}
