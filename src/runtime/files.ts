/**
 * Atomic file writes for Deno and Node (`node:fs` only, no ONNX Runtime): the
 * runtime adapter's `writeFile` and the data-set cache both use it, so a process
 * killed at any moment leaves either the old file or the new one, never a torn one.
 *
 * @module
 */

import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { AutoencoderError } from "../errors.ts";

/** Temporary files older than this are left-overs of a killed process. */
const STALE_MS = 10 * 60 * 1000;

/**
 * Writes a file atomically: the bytes go to a temporary file beside it
 * (`<name>.<pid>.<random>.tmp`), which is flushed to disk and then renamed over
 * the destination; the folder is flushed too where the platform allows. A
 * process killed during the write leaves the previous file (or none) and at most
 * a temporary file, which a later write of the same file removes once it is ten
 * minutes old.
 *
 * @param path Destination; missing folders are created.
 * @param bytes Content.
 * @throws {AutoencoderError} If the folder or the file cannot be written.
 *
 * @example
 * ```ts ignore
 * import { writeFileAtomic } from "./files.ts";
 * await writeFileAtomic("out/model.onnx", new Uint8Array([8, 8]));
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(tmp, "w");
    try {
      await file.writeFile(bytes);
      await file.sync(); // the content is on disk before the name points at it
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new AutoencoderError(
      `Cannot write "${path}": ${
        (cause as Error).message
      }; check that the folder is writable and the disk has space`,
      { cause, kind: "io" },
    );
  }
  await syncFolder(dir);
  await removeStaleTemps(path);
}

/** Flushes a folder's entries (the rename) to disk; not every platform can. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open folders; the rename is still atomic there.
  }
}

/**
 * Removes the temporary files that killed writes of `path` left beside it (those
 * older than ten minutes: younger ones may belong to a write in progress).
 *
 * @param path The file whose left-overs to remove.
 * @param olderThanMs Age above which a temporary file is a left-over.
 */
export async function removeStaleTemps(
  path: string,
  olderThanMs: number = STALE_MS,
): Promise<void> {
  const dir = dirname(path), name = basename(path);
  try {
    for (const entry of await readdir(dir)) {
      if (!isTempOf(entry, name)) continue;
      const temp = join(dir, entry);
      const info = await stat(temp).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > olderThanMs) await rm(temp, { force: true });
    }
  } catch {
    // Cleaning up is a courtesy: a folder that cannot be listed is no error here.
  }
}

/**
 * Whether a file name is a temporary file of {@link writeFileAtomic} for `name`.
 *
 * @param entry A file name.
 * @param name The destination's file name.
 * @returns True for `<name>.<digits>.<letters and digits>.tmp`.
 *
 * @example
 * ```ts
 * import { isTempOf } from "./files.ts";
 * console.assert(isTempOf("model.onnx.4242.k3j9x.tmp", "model.onnx"));
 * console.assert(!isTempOf("model.onnx", "model.onnx"));
 * ```
 */
export function isTempOf(entry: string, name: string): boolean {
  return entry.startsWith(`${name}.`) &&
    /^\.\d+\.[0-9a-z]+\.tmp$/.test(entry.slice(name.length));
}
