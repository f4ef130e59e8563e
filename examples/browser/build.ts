/**
 * The browser build (`deno task build:web`): bundles the library's browser entry
 * (`src/web.ts`) into `dist/web/autoencoders.js` and the example page's script
 * into `dist/web/app.js` (ES modules, minified, with source maps), and copies the
 * WebAssembly binary of `onnxruntime-web` beside them, where the adapter looks for
 * it. Then checks that no bundle pulls `onnxruntime-node`, and writes a gzip (`.gz`)
 * and a Brotli (`.br`) copy of each file, which `serve.ts` sends to browsers that
 * accept them (the 28 MB binary becomes about 5 MB).
 *
 * @module
 */

import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "dist", "web");
/** Kept in step with `ORT_WASM_FILE` of src/runtime/web.ts (not imported: that would load ORT). */
const WASM = "ort-wasm-simd-threaded.jsep.wasm";

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

async function bundle(entry: string, output: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--minify",
      "--sourcemap=linked",
      "-o",
      join(OUT, output),
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

async function copyWasm(): Promise<void> {
  const from = join(ROOT, "node_modules", "onnxruntime-web", "dist", WASM);
  const to = join(OUT, WASM);
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
  for (const [entry, output] of BUNDLES) await bundle(entry, output);
  await copyWasm();
  for (const [, output] of BUNDLES) {
    const found = nativeReferences(await readFile(join(OUT, output), "utf8"));
    if (found.length > 0) {
      console.error(
        `Cannot ship dist/web/${output}: it pulls the native addon: ${found.join(", ")}`,
      );
      Deno.exit(1);
    }
  }
  const files = [...BUNDLES.map(([, o]) => o), WASM];
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
