/**
 * The browser build (`deno task build:web`): bundles the library's browser entry
 * (`src/web.ts`) into `dist/web/autoencoders.js`, the trainer worker into
 * `trainer-worker.js` and the example page's script into `dist/web/app.js` (ES
 * modules, minified, with source maps), each with its chunks: ORT-web's JSEP build
 * (WebGPU), which the adapter imports only when a WebGPU session opens, lands in a
 * chunk of its own (`ort.bundle.min-HASH.js`), so a page on wasm never loads it.
 * Copies the WebAssembly binaries of both ORT-web builds beside them, where the
 * adapter looks for them. Then checks that no bundle pulls `onnxruntime-node`, and
 * writes a gzip (`.gz`) and a Brotli (`.br`) copy of each file, which `serve.ts`
 * sends to browsers that accept them (the 14 and 28 MB binaries become about 3 and
 * 5 MB).
 *
 * @module
 */

import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { ORT_WASM_FILES } from "../../src/runtime/web.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "dist", "web");
/** ORT-web's two binaries: the plain build's (wasm) and the JSEP build's (WebGPU). */
export const WASM_FILES: readonly string[] = Object.values(ORT_WASM_FILES);

/** The chunks `deno bundle --code-splitting` writes: content-hashed names. */
export const CHUNK: RegExp = /-[A-Z0-9]{8}\.js$/;

/** Entry → bundle. */
const BUNDLES: [string, string][] = [
  ["src/web.ts", "autoencoders.js"],
  ["src/web_trainer_worker.ts", "trainer-worker.js"],
  ["examples/browser/app.ts", "app.js"],
];

/**
 * Finds what in a bundle would load the native addon: an import or require of
 * `onnxruntime-node`, or a `.node` binary.
 *
 * @param text The bundle's text.
 * @returns The offending snippets (empty when the bundle is browser-safe).
 */
export function nativeReferences(text: string): string[] {
  const patterns = [
    /(?:from|import|require)\s*\(?\s*["'`][^"'`]*onnxruntime-node[^"'`]*["'`]/g,
    /["'`][^"'`\s]*\.node["'`]/g,
    /onnxruntime_binding/g,
  ];
  return patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[0]));
}

/**
 * Bundles `entry` with code splitting into `dist/web/` (its dynamic imports become
 * chunks beside it) and renames the entry's file `output`.
 */
async function bundle(entry: string, output: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--minify",
      "--sourcemap=linked",
      "--code-splitting",
      "--outdir",
      OUT,
      join(ROOT, entry),
    ],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot bundle "${entry}": deno bundle failed:\n${new TextDecoder().decode(stderr)}`,
    );
  }
  const written = basename(entry).replace(/\.ts$/, ".js");
  if (written === output) return;
  const text = await readFile(join(OUT, written), "utf8");
  await writeFile(
    join(OUT, output),
    text.replace(`sourceMappingURL=${written}.map`, `sourceMappingURL=${output}.map`),
  );
  await rm(join(OUT, written));
  await rename(join(OUT, `${written}.map`), join(OUT, `${output}.map`));
}

/** The chunks in `dist/web/` (after the bundles: this build's; before: a former one's). */
async function chunks(): Promise<string[]> {
  return (await readdir(OUT)).filter((f) => CHUNK.test(f));
}

/** Encodings written beside each file, by file suffix. */
export const COMPRESSED: Record<string, (bytes: Uint8Array) => Promise<Uint8Array>> = {
  ".br": (bytes) =>
    promisify(brotliCompress)(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 9,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  ".gz": (bytes) => promisify(gzip)(bytes, { level: 9 }),
};

/** Writes the compressed copies of `file` that are missing or older than it. */
async function compress(file: string): Promise<void> {
  const source = await stat(file);
  for (const [suffix, encode] of Object.entries(COMPRESSED)) {
    const target = await stat(file + suffix).catch(() => undefined);
    if ((target?.mtimeMs ?? 0) >= source.mtimeMs) continue;
    await writeFile(file + suffix, await encode(await readFile(file)));
  }
}

async function copyWasm(file: string): Promise<void> {
  const from = join(ROOT, "node_modules", "onnxruntime-web", "dist", file);
  const to = join(OUT, file);
  const source = await stat(from).catch(() => undefined);
  if (!source) {
    throw new Error(`Cannot copy "${from}": it is missing; run \`deno install\` first`);
  }
  const target = await stat(to).catch(() => undefined);
  if (target?.size !== source.size || (target.mtimeMs ?? 0) < (source.mtimeMs ?? 0)) {
    await copyFile(from, to);
  }
}

if (import.meta.main) {
  await mkdir(OUT, { recursive: true });
  for (const chunk of await chunks()) {
    await Promise.all(
      ["", ".map", ...Object.keys(COMPRESSED)].map((s) =>
        rm(join(OUT, chunk + s), { force: true })
      ),
    );
  }
  for (const [entry, output] of BUNDLES) await bundle(entry, output);
  for (const file of WASM_FILES) await copyWasm(file);
  const scripts = [...BUNDLES.map(([, o]) => o), ...await chunks()];
  for (const output of scripts) {
    const found = nativeReferences(await readFile(join(OUT, output), "utf8"));
    if (found.length > 0) {
      console.error(
        `Cannot ship dist/web/${output}: it pulls the native addon: ${found.join(", ")}`,
      );
      Deno.exit(1);
    }
  }
  const files = [...scripts, ...WASM_FILES];
  await Promise.all(files.map((f) => compress(join(OUT, f))));
  const sizes = await Promise.all(
    files.map(async (f) =>
      `${f} ${((await stat(join(OUT, f))).size / 1e6).toFixed(2)} MB (br ${
        ((await stat(join(OUT, `${f}.br`))).size / 1e6).toFixed(2)
      })`
    ),
  );
  console.log(`Built dist/web/: ${sizes.join(", ")}`);
}
