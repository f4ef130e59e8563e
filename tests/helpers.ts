/**
 * Shared test fixtures: which MNIST the tests use, loaded once per test process.
 * With `AUTOENCODERS_DATA_DIR` set (CI sets it) the full set from that folder;
 * without it the 3000-digit subset embedded in the library, so that a fresh clone
 * with no data and no network passes. Tests that need the full set are skipped then.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadMnist, loadMnistSubset, type MnistData } from "../src/data/mnist.ts";
import type { Page } from "playwright-core";

/** The full MNIST folder named by `AUTOENCODERS_DATA_DIR`, or `undefined`. */
export const FULL_DATA_DIR = Deno.env.get("AUTOENCODERS_DATA_DIR") || undefined;

/** The embedded subset's folder (the four files, read as the subset by the loader). */
export const SUBSET_DIR = fileURLToPath(new URL("../src/data/mnist_subset", import.meta.url));

/** A folder of the four MNIST files: the full set's when there is one, else the embedded subset's. */
export const DATA_DIR = FULL_DATA_DIR ?? SUBSET_DIR;

/** Training and test images in {@linkcode DATA_DIR}: 60000 and 10000, or 3000 and 1000. */
export const DATA_COUNTS = FULL_DATA_DIR
  ? { train: 60000, test: 10000 }
  : { train: 3000, test: 1000 };

let mnist: Promise<MnistData> | undefined;

/** MNIST from {@linkcode DATA_DIR}, loaded on first use. */
export function mnistData(): Promise<MnistData> {
  return mnist ??= FULL_DATA_DIR ? loadMnist({ dir: FULL_DATA_DIR }) : loadMnistSubset();
}

/**
 * `Deno.test` options of a test that needs the full MNIST set: without it the test
 * is ignored, and one line says so.
 *
 * @param name The test's name.
 * @returns `{ name, ignore }`.
 */
export function needsFullMnist(name: string): { name: string; ignore: boolean } {
  if (!FULL_DATA_DIR) {
    console.log(`Skipping "${name}": full MNIST not found (set AUTOENCODERS_DATA_DIR)`);
  }
  return { name, ignore: !FULL_DATA_DIR };
}

export { CHROMIUM, CHROMIUM_ARGS } from "../examples/browser/harness.ts";

/**
 * Pearson correlation of two images.
 *
 * @param a One image.
 * @param b The other, as long.
 * @returns The correlation, from -1 to 1.
 */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Loads each file and runs `onnx.checker.check_model(m, full_check=True)`. */
const CHECKER = `
import json, sys
try:
    import onnx
except ImportError as e:
    print(json.dumps({"missing": str(e)}))
    sys.exit(0)
results = {}
for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        results[path] = "ok"
    except Exception as e:
        results[path] = "%s: %s" % (type(e).__name__, e)
print(json.dumps({"version": onnx.__version__, "results": results}))
`;

const INSTALL_ONNX = "install Debian's ONNX package: apt-get install python3-onnx";

/** Runs the checker on the files with Debian's Python. */
export async function checkWithOnnx(paths: string[]): Promise<Record<string, string>> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("/usr/bin/python3", { args: ["-c", CHECKER, ...paths] })
      .output();
  } catch (e) {
    assert.fail(`Cannot run the ONNX checker: /usr/bin/python3 is missing; ${INSTALL_ONNX}: ${e}`);
  }
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, `the ONNX checker failed to run: ${stderr}`);
  const report = JSON.parse(stdout);
  if (report.missing) {
    assert.fail(
      `Cannot run the ONNX checker: /usr/bin/python3 has no onnx module; ${INSTALL_ONNX}`,
    );
  }
  return report.results;
}

/**
 * Collects what a page reports going wrong: uncaught errors, console errors and
 * answers of HTTP 400 or more.
 *
 * @param page The page.
 * @param problems Where each is pushed, one line each.
 */
export function watchProblems(page: Page, problems: string[]): void {
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
}
