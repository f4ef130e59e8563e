/**
 * The browser build (`deno task build:web`): bundles the library's browser entry
 * (`src/web.ts`) into `dist/web/autoencoders.js` and the example page's script
 * into `dist/web/app.js` (ES modules, minified, with source maps), and copies the
 * WebAssembly binary of `onnxruntime-web` beside them, where the adapter looks for
 * it. Then checks that no bundle pulls `onnxruntime-node`.
 *
 * @module
 */

import { copyFile, mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "dist", "web");
/** Kept in step with `ORT_WASM_FILE` of src/runtime/web.ts (not imported: that would load ORT). */
const WASM = "ort-wasm-simd-threaded.jsep.wasm";

/** Entry → bundle. */
const BUNDLES: [string, string][] = [
  ["src/web.ts", "autoencoders.js"],
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
  const sizes = await Promise.all(
    [...BUNDLES.map(([, o]) => o), WASM].map(async (f) =>
      `${f} ${((await stat(join(OUT, f))).size / 1e6).toFixed(2)} MB`
    ),
  );
  console.log(`Built dist/web/: ${sizes.join(", ")}`);
}
