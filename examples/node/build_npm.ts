/**
 * The npm package (`deno task build:npm`): `dist/npm/` holds one ES module per source
 * module reachable from the package's entry points (types stripped by TypeScript's
 * transpiler, relative `.ts` imports rewritten to `.js`) with its type declarations
 * beside it, the MNIST subset the loader embeds, the README, and a `package.json`
 * generated from `deno.json`: name, version, license, the exports `"."` (Deno and
 * Node, onnxruntime-node), `"./node"` and `"./web"` (onnxruntime-web), and the
 * pinned versions of the npm dependencies.
 *
 * Declarations need no type checker: JSR's "no slow types" rule (which `deno publish
 * --dry-run` checks) already makes the exported types explicit, so each module's
 * declarations come from its own text (`isolatedDeclarations`); tests/node_test.ts
 * type-checks a program against them.
 *
 * @module
 */

import ts from "typescript";
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScriptArgs } from "../../src/cli/command.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "dist", "npm");

/** Package export → source module. */
const DENO_JSON = JSON.parse(await readFile(join(ROOT, "deno.json"), "utf8"));
/** The entry points: deno.json's exports, paths relative to the root. */
const ENTRIES: Record<string, string> = Object.fromEntries(
  Object.entries(DENO_JSON.exports as Record<string, string>).map((
    [key, file],
  ) => [key, file.replace(/^\.\//, "")]),
);
/** The npm packages the library imports (versions pinned in deno.json's imports). */
const DEPENDENCIES = [
  "onnxruntime-node",
  "onnxruntime-web",
  "protobufjs",
  "jimp",
  "csv-parse",
  "ml-pca",
  "umap-js",
];
/** Files the modules load at run time, relative to themselves. */
const ASSETS = ["src/data/mnist_subset"];

const COMPILER: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  rewriteRelativeImportExtensions: true,
  declaration: true,
  isolatedDeclarations: true,
  strict: true,
};

/** Every local module reachable from `entries`, root-relative; bare imports checked. */
async function moduleGraph(entries: string[]): Promise<string[]> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(join(ROOT, file), "utf8");
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (specifier.startsWith(".")) {
        queue.push(relative(ROOT, join(ROOT, dirname(file), specifier)));
      } else if (
        !specifier.startsWith("node:") && !builtinModules.includes(specifier) &&
        !DEPENDENCIES.includes(specifier.split("/")[0])
      ) {
        throw new Error(
          `Cannot build the npm package: ${file} imports "${specifier}", which is not one of its dependencies (${
            DEPENDENCIES.join(", ")
          }); add it to DEPENDENCIES in examples/node/build_npm.ts`,
        );
      }
    }
  }
  return [...seen].sort();
}

/** `"./x.ts"` → `"./x.js"` in declarations (the transpiler rewrites only the JavaScript). */
function jsSpecifiers(dts: string): string {
  return dts.replace(/(["'])(\.{1,2}\/[^"']*)\.ts\1/g, "$1$2.js$1");
}

/** The package.json: deno.json's name, version and license, and the pinned dependencies. */
function packageJson(): string {
  const deno = DENO_JSON;
  const dependencies: Record<string, string> = {};
  for (const name of DEPENDENCIES) {
    const version = /^npm:(?:@[^/@]+\/)?[^@]+@(.+)$/.exec(deno.imports[name] ?? "")?.[1];
    if (!version) {
      throw new Error(
        `Cannot build the npm package: deno.json pins no version of "${name}" in its imports`,
      );
    }
    dependencies[name] = version;
  }
  const js = (file: string) => `./${file.replace(/\.ts$/, ".js")}`;
  const exports = Object.fromEntries(
    Object.entries(ENTRIES).map((
      [key, file],
    ) => [key, { types: js(file).replace(/\.js$/, ".d.ts"), default: js(file) }]),
  );
  return JSON.stringify(
    {
      name: deno.name,
      version: deno.version,
      description:
        "The five autoencoders of the Keras blog trained as plain ONNX graphs on ONNX Runtime, from Deno, Node and the browser",
      license: deno.license,
      type: "module",
      engines: { node: ">=20" },
      main: exports["."].default,
      types: exports["."].types,
      exports,
      dependencies,
    },
    null,
    2,
  ) + "\n";
}

/**
 * Builds `dist/npm/`.
 *
 * @returns The module files written, root-relative.
 */
export async function buildNpm(): Promise<string[]> {
  await rm(OUT, { recursive: true, force: true });
  const modules = await moduleGraph(Object.values(ENTRIES));
  for (const file of modules) {
    const text = await readFile(join(ROOT, file), "utf8");
    const js = ts.transpileModule(text, { compilerOptions: COMPILER, fileName: file });
    const dts = ts.transpileDeclaration(text, {
      compilerOptions: COMPILER,
      fileName: file,
      reportDiagnostics: true,
    });
    // A type left to inference (allowed by JSR outside the exported API) is still
    // declared, from its initializer; say where, as the test of the package checks them.
    for (const d of dts.diagnostics ?? []) {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start!);
      console.warn(`${file}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
    }
    const out = join(OUT, file.replace(/\.ts$/, ""));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(`${out}.js`, js.outputText);
    await writeFile(`${out}.d.ts`, jsSpecifiers(dts.outputText));
  }
  for (const asset of ASSETS) await cp(join(ROOT, asset), join(OUT, asset), { recursive: true });
  await cp(join(ROOT, "README.md"), join(OUT, "README.md"));
  await writeFile(join(OUT, "package.json"), packageJson());
  return modules;
}

if (import.meta.main) {
  parseScriptArgs(
    `Build the npm package in dist/npm/: one ES module per source module, type declarations,
the README, package.json from deno.json.

Usage: deno task build:npm

  -h, --help    show this help`,
    { args: Deno.args, options: {} },
  );
  const modules = await buildNpm();
  console.log(`Wrote ${relative(ROOT, OUT)}/: ${modules.length} modules, package.json`);
}
