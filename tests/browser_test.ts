/// <reference lib="dom" />
/**
 * The browser build and the example page in a real browser: Debian's Chromium,
 * headless, driven by playwright-core, with ORT-web on wasm and on WebGPU
 * (SwiftShader's Vulkan on the CPU). The server is the example's own, started in
 * this process on a free port.
 *
 * Needs: /usr/bin/chromium and libvulkan1 (.ci/setup installs them); permissions
 * --allow-net (the server), --allow-run (the build and the browser), --allow-read,
 * --allow-write, --allow-env, --allow-sys.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Jimp } from "jimp";
import type { Browser, Page } from "playwright-core";
import { CHUNK, nativeReferences } from "../examples/browser/build.ts";
import { serve } from "../examples/browser/serve.ts";
import { loadMnistFromUrl } from "../src/data/mnist_fetch.ts";
import { AutoencoderError } from "../src/errors.ts";
import { ORT_WASM_FILES } from "../src/runtime/web.ts";
import { buildWeb, CHROMIUM, launchChromium } from "../examples/browser/harness.ts";
import { correlation, DATA_DIR, mnistData, watchProblems } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PIXELS = 784;
const CDN = "https://cdn.jsdelivr.net/npm/onnxruntime-web@1.30.0/dist/";

// Sanitizers off: the browser's pipes and the server outlive single steps by design.
const options = { sanitizeOps: false, sanitizeResources: false };

async function requireNet(): Promise<void> {
  const { state } = await Deno.permissions.query({ name: "net", host: "127.0.0.1" });
  assert.equal(
    state,
    "granted",
    "The browser tests serve the page from this process: run them with --allow-net",
  );
}

/** A gray image (values in [0, 1]) as PNG bytes. */
async function png(gray: ArrayLike<number>, side = 28): Promise<Uint8Array> {
  const image = new Jimp({ width: side, height: side });
  for (let i = 0; i < side * side; i++) {
    const level = Math.round(255 * gray[i]);
    image.bitmap.data.set([level, level, level, 255], 4 * i);
  }
  return new Uint8Array(await image.getBuffer("image/png"));
}

/** A canvas's pixels as gray levels in [0, 1] (red channel), with its size. */
async function canvasGray(page: Page, id: string) {
  return await page.evaluate((id) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const { width, height } = canvas;
    const data = canvas.getContext("2d")!.getImageData(0, 0, width, height).data;
    return {
      width,
      height,
      gray: Array.from({ length: width * height }, (_, i) => data[4 * i] / 255),
    };
  }, id);
}

Deno.test("the browser build bundles onnxruntime-web and never pulls onnxruntime-node", async () => {
  await buildWeb();
  const chunks = (await readdir(`${ROOT}/dist/web`)).filter((f) => CHUNK.test(f));
  for (const file of ["autoencoders.js", "trainer-worker.js", "app.js", ...chunks]) {
    const text = await readFile(`${ROOT}/dist/web/${file}`, "utf8");
    assert.deepEqual(nativeReferences(text), [], `dist/web/${file} pulls the native addon`);
    if (CHUNK.test(file)) continue;
    assert.match(text, /ONNX Runtime Web v1\.30\.0/, `dist/web/${file} lacks onnxruntime-web`);
    // ORT-web's JSEP build (WebGPU) is a chunk of its own, imported on demand.
    assert.match(
      text,
      /import\("\.\/ort\.bundle\.min-[A-Z0-9]{8}\.js"\)/,
      `${file}: no JSEP chunk`,
    );
  }
  // The check itself catches what it is for.
  assert.equal(nativeReferences('import*as o from"onnxruntime-node";').length, 1);
  assert.equal(nativeReferences('require("../bin/onnxruntime_binding.node")').length, 2);
  for (const file of Object.values(ORT_WASM_FILES)) {
    const wasm = await readFile(`${ROOT}/dist/web/${file}`);
    assert.deepEqual([...wasm.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], `${file} is not wasm`);
  }
});

Deno.test("loadMnistFromUrl fetches, verifies and cuts the MNIST files", options, async () => {
  await requireNet();
  const server = serve({ port: 0, dataDir: DATA_DIR });
  try {
    const base = `http://localhost:${server.addr.port}/data/mnist`;
    const { train, test, source } = await loadMnistFromUrl(base, { trainLimit: 5, testLimit: 3 });
    assert.equal(source, `${base}/`);
    assert.deepEqual([train.count, test.count], [5, 3]);
    assert.deepEqual([...train.labels], [5, 0, 4, 1, 9]);
    assert.deepEqual([...test.labels], [7, 2, 1]);
    const { test: all } = await mnistData();
    assert.deepEqual(test.images, all.images.subarray(0, 3 * PIXELS));

    const none = await loadMnistFromUrl(base, { trainLimit: 0, testLimit: 0 });
    assert.deepEqual([none.train.count, none.test.count], [0, 0]);
    await assert.rejects(
      loadMnistFromUrl(`http://localhost:${server.addr.port}/nowhere/`, { trainLimit: 0 }),
      (e: Error) =>
        e instanceof AutoencoderError &&
        /^Cannot load MNIST: "http:\/\/localhost:\d+\/nowhere\/t10k-(images-idx3|labels-idx1)-ubyte\.gz" answered 404 Not Found; serve the four MNIST files/
          .test(e.message),
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test(
  "the example page in Chromium: reconstructions, drawing, the VAE, own images, training on wasm and WebGPU",
  {
    ...options,
  },
  async (t) => {
    await requireNet();
    assert.ok(
      existsSync(CHROMIUM),
      `Browser tests need ${CHROMIUM}: apt-get install chromium (.ci/setup does)`,
    );
    await buildWeb();
    const server = serve({ port: 0, dataDir: DATA_DIR });
    const url = `http://localhost:${server.addr.port}/`;
    let browser: Browser | undefined;
    const problems: string[] = [];
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      watchProblems(page, problems);
      const { test } = await mnistData();
      const digit = (i: number) => Array.from(test.images.subarray(i * PIXELS, (i + 1) * PIXELS));

      await t.step("picking a test digit shows each model's reconstruction of it", async () => {
        await page.goto(url);
        await page.waitForSelector("#pretrained-status[data-state=done]", { timeout: 60_000 });
        for (const model of ["undercomplete", "sparse", "deep", "conv", "denoising"]) {
          assert.equal(
            await page.getAttribute(`tr[data-model=${model}]`, "data-state"),
            "ready",
            `${model}: ${await page.textContent(`tr[data-model=${model}] .note`)}`,
          );
        }
        await page.click("button.pick[data-index='3']"); // a 0
        await page.waitForSelector(
          "#pretrained-status[data-state=done][data-digit='test digit #3']",
        );
        const input = await canvasGray(page, "input");
        const x = digit(3), other = digit(2); // a 0, and a 1 to compare with
        assert.ok(
          input.gray.every((v, i) => Math.abs(v - x[i]) <= 1 / 255 + 1e-6),
          "the input canvas does not show test digit #3",
        );
        for (const model of ["undercomplete", "sparse", "deep", "conv"]) {
          const { width, height, gray } = await canvasGray(page, `recon-${model}`);
          assert.deepEqual([width, height], [28, 28]);
          const own = correlation(gray, x), cross = correlation(gray, other);
          console.log(
            `${model}: correlation ${own.toFixed(3)} with the digit, ${
              cross.toFixed(3)
            } with another`,
          );
          assert.ok(own > 0.7, `${model}: the reconstruction correlates ${own} with the digit`);
          assert.ok(
            own > cross + 0.3,
            `${model}: ${own} with the digit, ${cross} with another digit`,
          );
        }
        // The denoising model's output is closer to the clean digit than its noisy input.
        const noisy = (await canvasGray(page, "noisy-denoising")).gray;
        const cleaned = (await canvasGray(page, "recon-denoising")).gray;
        const [before, after] = [correlation(noisy, x), correlation(cleaned, x)];
        console.log(`denoising: noisy input ${before.toFixed(3)}, output ${after.toFixed(3)}`);
        assert.ok(after > 0.8 && after > before + 0.1, `denoising: ${before} → ${after}`);
        // Codes are drawn: the undercomplete model's 32 values as 8 × 4 cells, not all black.
        const code = await canvasGray(page, "code-undercomplete");
        assert.deepEqual([code.width, code.height], [8 * 2 - 1, 4 * 2 - 1]);
        assert.ok(code.gray.some((v) => v > 0.5));
      });

      await t.step("a digit drawn with the mouse is centred and reconstructed", async () => {
        const box = (await page.locator("#draw").boundingBox())!;
        const at = (u: number, v: number) =>
          [box.x + u * box.width, box.y + v * box.height] as [number, number];
        // A "0": an ellipse, drawn off-centre (the page centres it as MNIST does).
        await page.mouse.move(...at(0.4, 0.2));
        await page.mouse.down();
        for (let k = 1; k <= 40; k++) {
          const a = 2 * Math.PI * k / 40;
          await page.mouse.move(...at(0.4 + 0.16 * Math.sin(a), 0.45 - 0.25 * Math.cos(a)));
        }
        await page.mouse.up();
        await page.waitForSelector(
          "#pretrained-status[data-state=done][data-digit='your drawing']",
        );
        const { gray } = await canvasGray(page, "input");
        let mass = 0, mx = 0, my = 0;
        gray.forEach((v, i) =>
          [mass, mx, my] = [mass + v, mx + v * (i % 28), my + v * Math.floor(i / 28)]
        );
        assert.ok(mass > 20, `the drawing's input image is nearly empty (mass ${mass})`);
        assert.ok(
          Math.abs(mx / mass - 14) <= 0.5 && Math.abs(my / mass - 14) <= 0.5,
          "not centred",
        );
        for (const model of ["undercomplete", "conv"]) {
          const own = correlation((await canvasGray(page, `recon-${model}`)).gray, gray);
          console.log(`drawn 0, ${model}: correlation ${own.toFixed(3)}`);
          assert.ok(own > 0.55, `${model}: the drawing's reconstruction correlates ${own}`);
        }
      });

      await t.step("the VAE's manifold is drawn and its latent pad decodes the point", async () => {
        await page.locator("#vae").scrollIntoViewIfNeeded(); // its model opens when first seen
        await page.waitForSelector("#vae-status[data-state=done]", { timeout: 60_000 });
        const manifold = await canvasGray(page, "vae-manifold");
        assert.deepEqual([manifold.width, manifold.height], [15 * 28, 15 * 28]);
        const tile = (i: number, j: number) =>
          Array.from(
            { length: PIXELS },
            (_, p) => manifold.gray[(i * 28 + Math.floor(p / 28)) * 15 * 28 + j * 28 + (p % 28)],
          );
        // Every tile holds a digit: some ink, not all white.
        for (const [i, j] of [[0, 0], [0, 14], [7, 7], [14, 0], [14, 14]]) {
          const ink = tile(i, j).reduce((a, v) => a + v, 0);
          assert.ok(ink > 30 && ink < 500, `manifold tile (${i}, ${j}) has ink ${ink}`);
        }
        assert.ok(correlation(tile(0, 0), tile(14, 14)) < 0.6, "the corners decode alike");
        // The pad starts at z = (0, 0): the grid's centre tile (quantile 0.5 on both axes).
        assert.equal(await page.getAttribute("#vae-output", "data-z"), "0.000,0.000");
        const centre = (await canvasGray(page, "vae-output")).gray;
        assert.ok(correlation(centre, tile(7, 7)) > 0.99, "z = (0, 0) is not the centre tile");
        // Moving the pointer to the top-left cell's centre decodes z = quantile 0.05 on both axes.
        await page.locator("#vae-pad").scrollIntoViewIfNeeded();
        const box = (await page.locator("#vae-pad").boundingBox())!;
        const cell = box.width / 15;
        await page.mouse.move(box.x + cell / 2, box.y + cell / 2);
        await page.waitForSelector("#vae-output[data-z='-1.645,-1.645']");
        const corner = (await canvasGray(page, "vae-output")).gray;
        assert.ok(correlation(corner, centre) < 0.9, "the output did not change with the pointer");
        assert.ok(correlation(corner, tile(0, 0)) > 0.99, "the pad's corner is not the grid's");
        // And a point between the grid's cells.
        await page.mouse.move(box.x + 0.62 * box.width, box.y + 0.3 * box.height);
        await page.waitForFunction(() =>
          !["-1.645,-1.645", "0.000,0.000"].includes(
            document.getElementById("vae-output")!.dataset.z!,
          )
        );
        const [z0, z1] = (await page.getAttribute("#vae-output", "data-z"))!.split(",").map(Number);
        assert.ok(z0 > 0 && z0 < 1 && z1 < 0 && z1 > -1, `z = (${z0}, ${z1})`);
      });

      await t.step(
        "your own images: a 0 scores below the one-class threshold, noise above",
        async () => {
          await page.waitForSelector("#own-status[data-state=ready]", { timeout: 60_000 });
          let seed = 1;
          const noise = Array.from({ length: PIXELS }, () => {
            seed = (seed * 1103515245 + 12345) % 2 ** 31;
            return seed / 2 ** 31;
          });
          const files = [
            { name: "zero.png", mimeType: "image/png", buffer: await png(digit(3)) }, // a 0
            { name: "noise.png", mimeType: "image/png", buffer: await png(noise) },
          ];
          const scored = async () => {
            await page.waitForSelector("#own-status[data-state=done]", { timeout: 30_000 });
            return await page.$$eval("#own-results tbody tr", (rows) =>
              rows.map((r) => ({
                name: r.querySelector("td")!.textContent,
                score: Number((r as HTMLElement).dataset.score),
                anomalous: (r as HTMLElement).dataset.anomalous,
              })));
          };
          // Chosen with the file input.
          await page.setInputFiles(
            "#own-files",
            files.map((f) => ({ ...f, buffer: Buffer.from(f.buffer) })),
          );
          const chosen = await scored();
          // The one-class model opened on first use, with its threshold from the ONNX metadata.
          const threshold = Number(await page.getAttribute("#own-status", "data-threshold"));
          assert.ok(threshold > 0 && threshold < 0.2, `threshold ${threshold}`);
          console.log(`own images (threshold ${threshold.toFixed(4)}):`, JSON.stringify(chosen));
          assert.deepEqual(chosen.map((r) => [r.name, r.anomalous]), [
            ["zero.png", "false"],
            ["noise.png", "true"],
          ]);
          assert.ok(chosen[0].score < threshold && chosen[1].score > threshold);
          // The input canvas shows the file's digit (re-centred as MNIST's are: nearly the same);
          // the 0's reconstruction resembles it.
          const canvases = await page.$$eval(
            "#own-results tbody tr:first-child canvas",
            (cs) =>
              cs.map((c) => {
                const data =
                  (c as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, 28, 28).data;
                return Array.from({ length: 784 }, (_, i) => data[4 * i] / 255);
              }),
          );
          const x = digit(3);
          const same = correlation(canvases[0], x);
          console.log(
            `the file's digit, re-centred: correlation ${same.toFixed(3)} with the original`,
          );
          assert.ok(same > 0.99, `the input is not the file's digit (correlation ${same})`);
          assert.ok(
            correlation(canvases[1], canvases[0]) > 0.9,
            "the 0's reconstruction is not a 0",
          );
          // Dropped on the drop zone: the same scores, in the order dropped.
          await page.evaluate((files) => {
            const transfer = new DataTransfer();
            for (const { name, bytes } of files) {
              transfer.items.add(new File([new Uint8Array(bytes)], name, { type: "image/png" }));
            }
            document.getElementById("own-status")!.dataset.state = "waiting";
            document.getElementById("own-drop")!.dispatchEvent(
              new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }),
            );
          }, [...files].reverse().map((f) => ({ name: f.name, bytes: Array.from(f.buffer) })));
          const dropped = await scored();
          assert.deepEqual(dropped.map((r) => r.name), ["noise.png", "zero.png"]);
          assert.ok(Math.abs(dropped[1].score - chosen[0].score) < 1e-9);
          assert.ok(Math.abs(dropped[0].score - chosen[1].score) < 1e-9);
        },
      );

      const train = async (provider: "wasm" | "webgpu") => {
        await page.waitForSelector(
          "#train-status[data-state=ready], #train-status[data-state=done]",
        );
        await page.selectOption("#train-model", "undercomplete");
        await page.selectOption("#train-provider", provider);
        await page.fill("#train-samples", "128");
        await page.fill("#train-batch", "32");
        await page.fill("#train-epochs", "2");
        await page.fill("#train-validation", "100");
        const start = performance.now();
        await page.click("#train-button");
        await page.waitForSelector(
          "#train-status[data-state=done], #train-status[data-state=error]",
          {
            timeout: 150_000,
          },
        );
        const status = page.locator("#train-status");
        assert.equal(
          await status.getAttribute("data-state"),
          "done",
          await status.textContent() ?? "",
        );
        const read = async (name: string) =>
          JSON.parse((await status.getAttribute(name))!) as number[];
        const result = {
          provider: await status.getAttribute("data-provider"),
          backend: await page.textContent("#train-backend"),
          losses: await read("data-losses"),
          valLosses: await read("data-val-losses"),
          reconErrors: await read("data-recon-errors"),
          seconds: (performance.now() - start) / 1000,
        };
        console.log(`${provider}:`, JSON.stringify(result));
        assert.equal(result.provider, provider);
        assert.equal(result.losses.length, 2);
        assert.ok(result.losses[1] < result.losses[0], `loss did not fall: ${result.losses}`);
        assert.ok(
          result.valLosses[2] < result.valLosses[0] - 0.01,
          `val loss: ${result.valLosses}`,
        );
        assert.ok(result.reconErrors[2] < result.reconErrors[0], `recon: ${result.reconErrors}`);
        // The live figure: three rows of reconstructions (untrained, epochs 1 and 2) under the originals.
        assert.equal(await page.locator("#train-recon .recon-row").count(), 4);
        return result;
      };

      let wasm: Awaited<ReturnType<typeof train>> | undefined;
      await t.step("training in the page lowers the loss on wasm", async () => {
        wasm = await train("wasm");
        assert.match(
          wasm.backend!,
          /in a worker on wasm, \d+ thread\(s\): onnxruntime-web 1\.30\.0 \(wasm\)/,
        );
      });

      await t.step("training in the page lowers the loss on WebGPU (SwiftShader)", async () => {
        const gpu = await train("webgpu");
        assert.match(
          gpu.backend!,
          /in a worker on webgpu on .*: onnxruntime-web 1\.30\.0 \(webgpu\)/,
        );
        // Same seed, same data, same graph: the providers agree to float32 rounding.
        for (const [i, loss] of gpu.losses.entries()) {
          const expected = wasm!.losses[i];
          assert.ok(
            Math.abs(loss - expected) <= 1e-4 * expected,
            `epoch ${i + 1}: ${loss} vs ${expected}`,
          );
        }
      });

      await t.step(
        "the README's snippet runs an exported model with plain onnxruntime-web",
        async () => {
          // The snippet imports ORT-web from a CDN; serve the same files from node_modules.
          await page.route(`${CDN}*`, async (route) => {
            const file = new URL(route.request().url()).pathname.split("/").pop()!;
            await route.fulfill({
              path: `${ROOT}/node_modules/onnxruntime-web/dist/${file}`,
              contentType: file.endsWith(".wasm") ? "application/wasm" : "text/javascript",
              headers: { "access-control-allow-origin": "*" },
            });
          });
          await page.goto(`${url}snippet.html`);
          await page.waitForSelector("#result[data-state=done], #result[data-state=error]", {
            timeout: 60_000,
          });
          const text = (await page.textContent("#result"))!;
          assert.equal(await page.getAttribute("#result", "data-state"), "done", text);
          const { code, image } = JSON.parse(text) as { code: number[]; image: number[] };
          assert.equal(code.length, 32);
          assert.ok(
            correlation(image, digit(0)) > 0.8,
            "the snippet's reconstruction is not the digit",
          );
          // The README shows the very lines the page runs.
          const html = await readFile(`${ROOT}/examples/browser/snippet.html`, "utf8");
          const readme = await readFile(`${ROOT}/examples/browser/README.md`, "utf8");
          const lines = html.split("// ---- the snippet (examples/browser/README.md) ----\n")[1]
            .split("// ---- end of the snippet ----")[0].split("\n");
          const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.search(/\S/)));
          const snippet = lines.map((l) => l.slice(indent)).join("\n").trim();
          assert.ok(readme.includes("```js\n" + snippet + "\n```"), "README.md's snippet differs");
        },
      );

      await t.step("the library bundle runs on its own and refuses files", async () => {
        const result = await page.evaluate(async () => {
          const path = "/dist/web/autoencoders.js";
          const lib = await import(path);
          const model = new lib.UndercompleteAutoencoder({ provider: "wasm" });
          const code = await model.encode(new Float32Array(784).fill(0.5));
          const errors: string[] = [];
          for (const call of [() => model.save("model.onnx"), () => model.load("model.onnx")]) {
            try {
              await call();
            } catch (e) {
              errors.push(`${(e as Error).name}: ${(e as Error).message}`);
            }
          }
          // loadImages: a red-and-blue image in colour, resized; a file that is no image.
          const canvas = new OffscreenCanvas(4, 2);
          const ctx = canvas.getContext("2d")!;
          ctx.fillStyle = "#ff0000";
          ctx.fillRect(0, 0, 2, 2);
          ctx.fillStyle = "#0000ff";
          ctx.fillRect(2, 0, 2, 2);
          const blob = Object.assign(await canvas.convertToBlob(), { name: "flag.png" });
          const colour = await lib.loadImages([blob], { size: [1, 2], channels: 3 });
          const grey = await lib.loadImages([blob], { size: [2, 4] });
          try {
            await lib.loadImages([new File(["no image"], "notes.png", { type: "image/png" })]);
          } catch (e) {
            errors.push(`${(e as Error).name}: ${(e as Error).message}`);
          }
          // Latent views: 40 codes of 32 values projected to the plane, by PCA and by UMAP.
          const codes = Float32Array.from({ length: 40 * 32 }, (_, i) => Math.sin(i * 0.37));
          const pca = lib.projectCodes(codes, 32);
          const umap = lib.projectCodes(codes, 32, { projection: "umap", seed: 1 });
          return {
            backend: model.backend,
            code: code.length,
            projected: [pca.method, pca.points.length, umap.method, umap.points.length],
            finite: [...pca.points, ...umap.points].every(Number.isFinite),
            errors,
            colour: { shape: colour.shape, images: Array.from(colour.images), names: colour.names },
            grey: Array.from(grey.images as Float32Array, (v) => Math.round(v * 1000) / 1000),
          };
        });
        assert.equal(result.backend, "onnxruntime-web 1.30.0 (wasm)");
        assert.equal(result.code, 32);
        assert.deepEqual(result.projected, ["pca", 80, "umap", 80]);
        assert.ok(result.finite);
        assert.deepEqual(result.errors, [
          'AutoencoderError: Cannot write "model.onnx": the browser has no file system; use `toOnnx()` for the model\'s bytes and offer them as a download (a Blob)',
          'AutoencoderError: Cannot read "model.onnx": the browser has no file system; fetch the file and pass its bytes to `loadOnnx()`',
          'AutoencoderError: Cannot load images: "notes.png" is not an image this browser can decode',
        ]);
        assert.deepEqual(result.colour.shape, [3, 1, 2]);
        assert.deepEqual(result.colour.names, ["flag.png"]);
        // Planes R, G, B of the two pixels: red, then blue.
        assert.deepEqual(result.colour.images, [1, 0, 0, 0, 0, 1]);
        // Grey: 0.299 for red, 0.114 for blue.
        const [red, blue] = [0.299, 0.114];
        assert.deepEqual(result.grey, [red, red, blue, blue, red, red, blue, blue]);
      });

      await t.step(
        "a page on wasm fetches ORT-web's plain build only; WebGPU loads the JSEP build, on the same tensors",
        async () => {
          const fresh = await browser!.newPage();
          watchProblems(fresh, problems);
          const fetched: string[] = [];
          fresh.on("request", (r) => fetched.push(new URL(r.url()).pathname.split("/").pop()!));
          // Any document of the server's origin will do: an empty one.
          await fresh.route(
            `${url}blank.html`,
            (route) =>
              route.fulfill({
                contentType: "text/html",
                body: "<!doctype html><title>blank</title>",
              }),
          );
          await fresh.goto(`${url}blank.html`);
          const encode = (provider: string) =>
            fresh.evaluate(async (provider) => {
              const lib = await import("/dist/web/autoencoders.js");
              const model = new lib.UndercompleteAutoencoder({ provider, seed: 3 });
              await model.fit(new Float32Array(64 * 784).fill(0.25), {
                epochs: 1,
                batchSize: 32,
                shuffle: false,
              });
              const code = await model.encode(new Float32Array(784).fill(0.5));
              return { backend: model.backend as string, code: Array.from(code as Float32Array) };
            }, provider);
          const onWasm = await encode("wasm");
          assert.equal(onWasm.backend, "onnxruntime-web 1.30.0 (wasm)");
          assert.ok(fetched.includes("ort-wasm-simd-threaded.wasm"), fetched.join(", "));
          const jsep = (f: string) =>
            f === "ort-wasm-simd-threaded.jsep.wasm" || /^ort\.bundle/.test(f);
          assert.deepEqual(fetched.filter(jsep), [], "a page on wasm loaded the JSEP build");
          const onGpu = await encode("webgpu");
          assert.equal(onGpu.backend, "onnxruntime-web 1.30.0 (webgpu)");
          assert.ok(fetched.includes("ort-wasm-simd-threaded.jsep.wasm"), fetched.join(", "));
          assert.equal(onGpu.code.length, 32);
          // The same seed and steps: the same code, within float error, on either build.
          const gap = Math.max(...onWasm.code.map((v, i) => Math.abs(v - onGpu.code[i])));
          assert.ok(gap < 1e-3, `wasm and WebGPU codes differ by ${gap}`);
          await fresh.close();
        },
      );

      assert.deepEqual(problems, [], "the pages logged errors");
    } finally {
      await browser?.close();
      await server.shutdown();
    }
  },
);
