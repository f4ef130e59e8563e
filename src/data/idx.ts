/**
 * The IDX file format of the MNIST database (raw or gzipped), and a SHA-256 helper.
 * Browser-safe: it uses only web-standard APIs (`DecompressionStream`, `crypto.subtle`).
 *
 * @module
 */

import { concatBytes } from "../bytes.ts";
import { AutoencoderError, quote } from "../errors.ts";

/**
 * A decoded IDX file: its dimensions and its unsigned bytes, row-major.
 *
 * @example
 * ```ts
 * import type { IdxArray } from "./idx.ts";
 * const raw = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]);
 * const labels: IdxArray = { dims: [3], data: raw.subarray(8), raw };
 * console.assert(labels.data.length === labels.dims[0]);
 * ```
 */
export interface IdxArray {
  /** The size of each dimension, outermost first (e.g. `[60000, 28, 28]`). */
  dims: number[];
  /** The values, row-major; `data.length` is the product of `dims`. */
  data: Uint8Array;
  /** The whole decompressed file, header included (what content hashes cover). */
  raw: Uint8Array;
}

/** Options of {@link decodeIdx}. */
export interface DecodeIdxOptions {
  /**
   * The most bytes a gzipped file may inflate to, header included, e.g. the known
   * size of the file it should be: inflation stops as soon as it would exceed it.
   */
  maxBytes?: number;
}

/** The IDX type byte of unsigned bytes, the only type MNIST uses. */
const UBYTE = 0x08;

/**
 * Decodes an IDX file, raw or gzipped (recognised by its `1f 8b` magic). The header
 * and the length are checked against the bytes actually present before anything is
 * allocated; `data` is a view into the (inflated) input, not a copy. Inflation stops
 * as soon as its output exceeds what the header declares or `maxBytes`.
 *
 * @param bytes The file's contents.
 * @param file The file's name or path, used in error messages.
 * @param options The most bytes the decompressed file may hold.
 * @returns The dimensions and the data.
 * @throws {AutoencoderError} If the gzip data is corrupt, the header is not an IDX
 * header of unsigned bytes with 1 to 4 dimensions, the data is truncated or
 * followed by extra bytes, or gzip data inflates to more than `maxBytes`.
 *
 * @example
 * ```ts
 * import { decodeIdx } from "./idx.ts";
 * // Magic 0x00000801 (unsigned bytes, 1 dimension), 3 items, then the items.
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]);
 * const { dims, data } = await decodeIdx(bytes, "labels.idx");
 * console.assert(dims[0] === 3 && data[0] === 7);
 * ```
 */
export async function decodeIdx(
  bytes: Uint8Array,
  file: string,
  options: DecodeIdxOptions = {},
): Promise<IdxArray> {
  // Raw bytes are all there already: the header's checks below say what is wrong.
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const raw = gzipped ? await gunzip(bytes, file, options.maxBytes ?? Infinity) : bytes;
  const header = readHeader(raw, file, true)!;
  const found = raw.length - header.length;
  if (found < header.expected) {
    throw fail(
      file,
      `the file is truncated (expected ${header.expected} bytes of data, found ${found})`,
    );
  }
  if (found > header.expected) {
    const extra = found - header.expected;
    throw fail(
      file,
      `the file has ${extra} extra bytes (expected ${header.expected} bytes of data, found ${found})`,
    );
  }
  return { dims: header.dims, data: raw.subarray(header.length), raw };
}

/** Fails when a file of `size` bytes (as `found` says) is larger than `max`. */
function checkSize(size: number, max: number, file: string, found: string): void {
  if (size > max) {
    throw fail(file, `the file is larger than expected (${max} bytes at most, ${found})`);
  }
}

function fail(file: string, detail: string): AutoencoderError {
  return new AutoencoderError(`Cannot read IDX file ${quote(file)}: ${detail}; download it again`, {
    kind: "io",
  });
}

/**
 * Checks an IDX header. With `whole` false, `raw` may be the first bytes of a file
 * still being inflated: `undefined` then means "not enough bytes yet".
 */
function readHeader(
  raw: Uint8Array,
  file: string,
  whole: boolean,
): { dims: number[]; length: number; expected: number } | undefined {
  if (raw.length < 4) {
    if (!whole) return undefined;
    throw fail(file, `the file is truncated (expected an IDX header, found ${raw.length} bytes)`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw[0] !== 0 || raw[1] !== 0) {
    const magic = view.getUint32(0).toString(16).padStart(8, "0");
    throw fail(
      file,
      `the file is not an IDX file (magic number 0x${magic} does not start with two zero bytes)`,
    );
  }
  if (raw[2] !== UBYTE) {
    const type = raw[2].toString(16).padStart(2, "0");
    throw new AutoencoderError(
      `Cannot read IDX file ${quote(file)}: data type 0x${type} is unsupported; ` +
        "only unsigned bytes (0x08) can be read",
      { kind: "io" },
    );
  }
  const ndims = raw[3];
  if (ndims < 1 || ndims > 4) {
    throw fail(file, `the header declares ${ndims} dimensions (expected 1 to 4)`);
  }
  const length = 4 + 4 * ndims;
  if (raw.length < length) {
    if (!whole) return undefined;
    throw fail(
      file,
      `the file is truncated (expected a header of ${length} bytes, found ${raw.length})`,
    );
  }
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, length, expected: dims.reduce((a, b) => a * b, 1) };
}

/**
 * Deflate expands data at most 1032 times: a gzip file declaring more data than
 * that is truncated or corrupt, and is rejected before anything is inflated.
 */
const MAX_INFLATION = 1040;

/**
 * Inflates gzip data with the web-standard `DecompressionStream`, reading the IDX
 * header from the first bytes out: inflation stops as soon as the output exceeds
 * `max` or what the header declares, so a corrupt or hostile file cannot make it
 * allocate more than `max` or the size it declares, itself bounded by the
 * compressed size.
 */
async function gunzip(bytes: Uint8Array, file: string, max: number): Promise<Uint8Array> {
  // Fed 4 KiB at a time, so that each inflated chunk is at most about 4 MiB.
  let offset = 0;
  const input = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (offset >= bytes.length) controller.close();
      else controller.enqueue(bytes.slice(offset, offset += 4096) as Uint8Array<ArrayBuffer>);
    },
  }, { highWaterMark: 0 });
  const reader = input.pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0, limit = Infinity, expected = 0;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (cause) {
        throw new AutoencoderError(
          `Cannot read IDX file ${quote(file)}: the gzip data is corrupt; download it again`,
          { cause, kind: "io" },
        );
      }
      if (next.done) break;
      chunks.push(next.value);
      total += next.value.length;
      if (limit === Infinity) {
        const header = readHeader(concatBytes(chunks), file, false);
        if (header) {
          if (header.expected > bytes.length * MAX_INFLATION) {
            throw fail(
              file,
              `the file is truncated (the header declares ${header.expected} bytes of data, more than ${bytes.length} compressed bytes can hold)`,
            );
          }
          const declared = header.length + header.expected;
          checkSize(declared, max, file, `the header declares ${declared}`);
          expected = header.expected;
          limit = header.length + expected;
        }
      }
      if (total > limit) {
        throw fail(
          file,
          `the file has extra bytes (expected ${expected} bytes of data, found more)`,
        );
      }
      checkSize(total, max, file, `found ${total} or more`); // before the header is whole
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return concatBytes(chunks);
}

/**
 * Computes the SHA-256 digest of some bytes with `crypto.subtle`.
 *
 * @param bytes The bytes to hash.
 * @returns The digest as 64 lowercase hexadecimal digits.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./idx.ts";
 * const hex = await sha256Hex(new TextEncoder().encode("abc"));
 * console.assert(hex.startsWith("ba7816bf"));
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
