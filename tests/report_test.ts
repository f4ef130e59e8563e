/**
 * Reports: the architecture SVG is well-formed XML (parsed by Python's
 * `xml.etree`, from Debian's `python3`) and names every layer with its shapes; the
 * HTML page embeds the figures byte for byte, draws one point per epoch, holds
 * the summary table, and refers to nothing outside itself.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ConvAutoencoder, SparseAutoencoder } from "../mod.ts";
import { AutoencoderError } from "../src/errors.ts";
import { placeLayers } from "../src/nn/architecture.ts";
import { Dense } from "../src/nn/layers.ts";
import { renderCodes, renderGrid } from "../src/viz/grid.ts";
import { LABEL_COLOURS, LEGEND_HEIGHT, renderScatter } from "../src/viz/latent.ts";
import { projectCodes } from "../src/viz/projection.ts";
import { Jimp } from "jimp";
import { architectureSvg, lossCurvesSvg, reportHtml } from "../src/viz/report.ts";

// ---------------------------------------------------------------------------
// Helpers

const PARSE_SVG = `
import json, sys
import xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
out = []
for text in json.load(sys.stdin):
    root = ET.fromstring(text)
    assert root.tag == NS + "svg", root.tag
    layers = [{
        "name": g.get("data-name"),
        "part": g.get("data-part"),
        "texts": ["".join(t.itertext()) for t in g.iter(NS + "text")],
    } for g in root.iter(NS + "g") if g.get("class") == "layer"]
    series = {}
    for p in root.iter(NS + "polyline"):
        series[p.get("data-series")] = len(p.get("points").split())
    out.append({"layers": layers, "series": series})
print(json.dumps(out))
`;

interface ParsedSvg {
  layers: { name: string; part: string; texts: string[] }[];
  series: Record<string, number>;
}

/** Parses SVG documents with Python's XML parser (which rejects any malformed one). */
async function parseSvgs(svgs: string[]): Promise<ParsedSvg[]> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", PARSE_SVG],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(svgs)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, `the SVG is not well-formed XML: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** The SVG elements inlined in an HTML page, made standalone. */
function inlineSvgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) =>
    m[0].replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"')
  );
}

function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const conv = new ConvAutoencoder();
const sparse = new SparseAutoencoder();

const HISTORY = {
  loss: [0.31, 0.21, 0.17, 0.15, 0.14],
  valLoss: [0.22, 0.18, 0.16, 0.145, 0.139],
  penalty: [],
  epochSeconds: [10, 11, 10, 12, 11],
};

// ---------------------------------------------------------------------------
// Architecture

Deno.test("architectureSvg is well-formed and names every layer with its shapes", async () => {
  for (const model of [conv, sparse]) {
    const svg = architectureSvg(model);
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    const [parsed] = await parseSvgs([svg]);
    const placed = placeLayers(model.config);
    assert.equal(parsed.layers.length, placed.length + 1);
    assert.deepEqual(parsed.layers[0], {
      name: "input",
      part: "input",
      texts: ["input: InputLayer", `output: [N, ${model.inputShape.join(", ")}]`],
    });
    placed.forEach(({ name, layer, input, output }, i) => {
      const box = parsed.layers[i + 1];
      assert.equal(box.name, name);
      assert.equal(box.part, name.split(".")[0]);
      assert.equal(box.texts[0], `${name}: ${layer.type}`);
      assert.ok(box.texts.includes(`input:  [N, ${input.join(", ")}]`), box.texts.join(" | "));
      assert.ok(box.texts.includes(`output: [N, ${output.join(", ")}]`), box.texts.join(" | "));
    });
    assert.ok(svg.includes(`code [N, ${model.codeShape.join(", ")}]`));
  }
});

Deno.test("architectureSvg counts parameters as summary() does and escapes names", async () => {
  const svg = architectureSvg(conv);
  for (const count of ["160 params", "1,160 params", "145 params"]) assert.ok(svg.includes(count));
  assert.ok(conv.summary().includes("Total params: 4,385"));
  const tricky = architectureSvg({
    name: `a<b & "c"`,
    inputShape: [4],
    encoder: [new Dense(2)],
    decoder: [new Dense(4, "sigmoid")],
  });
  assert.ok(tricky.includes("a&lt;b &amp; &quot;c&quot;"));
  await parseSvgs([tricky]);
  assert.ok(!architectureSvg(conv, { standalone: false }).includes("xmlns"));
});

// ---------------------------------------------------------------------------
// Curves

Deno.test("lossCurvesSvg draws one point per epoch for each series", async () => {
  const [parsed] = await parseSvgs([lossCurvesSvg(HISTORY)]);
  assert.deepEqual(parsed.series, { loss: 5, val_loss: 5 });
  const [single] = await parseSvgs([lossCurvesSvg({ loss: [0.2] })]);
  assert.deepEqual(single.series, { loss: 1 });
  const flat = lossCurvesSvg({ loss: [0.2, 0.2, 0.2] });
  assert.ok(!flat.includes("NaN") && !flat.includes("Infinity"));
  assert.throws(() => lossCurvesSvg({ loss: [] }), AutoencoderError);
});

// ---------------------------------------------------------------------------
// The page

Deno.test("reportHtml embeds the figures, curves, summary and architecture", async () => {
  const digits = new Float32Array(10 * 784).map((_, i) => (i % 7) / 7);
  const reconstructions = await renderGrid([digits, digits.map((v) => 1 - v)]);
  const codes = await renderCodes(new Float32Array(10 * 128).map((_, i) => i % 5), 8, 4, 4);
  const html = reportHtml({
    model: conv,
    history: HISTORY,
    figures: [
      { title: "Reconstructions", png: reconstructions, caption: "Originals above" },
      { title: "Codes", png: codes },
    ],
    trainSamples: 60000,
    details: { optimizer: "adam", "batch size": 128, skipped: undefined },
  });
  assert.ok(html.startsWith("<!doctype html>"));

  // the figures, byte for byte
  const images = [...html.matchAll(/src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)];
  assert.equal(images.length, 2);
  assert.deepEqual(decodeBase64(images[0][1]), reconstructions);
  assert.deepEqual(decodeBase64(images[1][1]), codes);
  assert.ok(html.includes("<figcaption>Originals above</figcaption>"));

  // nothing from outside: no URL, no external stylesheet, script or font
  assert.doesNotMatch(html, /https?:\/\//i);
  assert.doesNotMatch(html, /<link|<script|@import|@font-face/i);
  for (const [, src] of html.matchAll(/src="([^"]*)"/g)) assert.match(src, /^data:image\/png;/);
  for (const [, url] of html.matchAll(/url\(([^)]*)\)/g)) assert.equal(url, "#ae-arrow");

  // curves (one point per epoch) and the architecture, inlined and well-formed
  const parsed = await parseSvgs(inlineSvgs(html));
  assert.equal(parsed.length, 2);
  assert.deepEqual(parsed[0].series, { loss: 5, val_loss: 5 });
  assert.equal(parsed[1].layers.length, placeLayers(conv.config).length + 1);

  // the summary table: every layer with its output shape and parameter count
  for (const { name, layer, output } of placeLayers(conv.config)) {
    assert.match(
      html,
      new RegExp(`<td>${name} \\(${layer.type}\\)</td><td>\\[N, ${output.join(", ")}\\]</td>`),
    );
  }
  assert.match(html, /Total params \(all trainable\)<\/td><td class="num">4,385</);

  // key numbers
  const numbers = Object.fromEntries(
    [...html.matchAll(/<div><dt>([^<]*)<\/dt><dd>([^<]*)<\/dd><\/div>/g)].map((m) => [m[1], m[2]]),
  );
  assert.deepEqual(numbers, {
    "epochs": "5",
    "final loss": "0.1400",
    "final val_loss": "0.1390",
    "best val_loss": "0.1390 (epoch 5)",
    "training time": "54.0 s",
    "samples / s": "5,556",
    "parameters": "4,385",
    "input → code": "[N, 1, 28, 28] → [N, 8, 4, 4]",
    "optimizer": "adam",
    "batch size": "128",
  });
});

Deno.test("reportHtml draws the activity penalty of a sparse model in its own chart", async () => {
  const history = {
    loss: [0.3, 0.2, 0.18],
    valLoss: [0.25, 0.19, 0.17],
    penalty: [0.02, 0.015, 0.012],
    epochSeconds: [1, 1, 1],
  };
  const html = reportHtml({ model: sparse.config, history });
  const parsed = await parseSvgs(inlineSvgs(html));
  assert.deepEqual(parsed.map((p) => p.series).slice(0, 2), [
    { loss: 3, val_loss: 3 },
    { penalty: 3 },
  ]);
  assert.ok(html.includes("<dt>final penalty</dt><dd>0.0120</dd>"));
  assert.ok(html.includes("<h1>Autoencoder “sparse”</h1>"));
  assert.doesNotMatch(html, /https?:\/\//i);
  assert.ok(!html.includes("<section>\n\n</section>"), "no empty figure section");
});

Deno.test("reportHtml without validation data, and its errors", () => {
  const html = reportHtml({ model: conv, history: { loss: [0.3, 0.2] }, title: "<Mine>" });
  assert.ok(html.includes("<title>&lt;Mine&gt;</title>"));
  assert.ok(!html.includes("val_loss"));
  assert.throws(
    () => reportHtml({ model: conv, history: { loss: [] } }),
    /Cannot draw the report: the history holds no epoch/,
  );
  assert.throws(
    () =>
      reportHtml({
        model: conv,
        history: HISTORY,
        figures: [{ title: "Bad", png: new Uint8Array(10) }],
      }),
    /Cannot use image "Bad": the bytes are not a PNG file/,
  );
});

Deno.test("latent views: UMAP is reproducible by seed; the scatter has a legend of the ten colours", async () => {
  const n = 300, d = 8;
  const codes = Float32Array.from(
    { length: n * d },
    (_, i) => Math.sin(i * 0.37) + (((i / d) | 0) % 10),
  );
  const a = projectCodes(codes, d, { projection: "umap", seed: 3 });
  const b = projectCodes(codes, d, { projection: "umap", seed: 3 });
  const c = projectCodes(codes, d, { projection: "umap", seed: 4 });
  assert.equal(a.method, "umap");
  assert.equal(a.points.length, n * 2);
  assert.deepEqual(a.points, b.points);
  assert.notDeepEqual(a.points, c.points);
  assert.equal(projectCodes(codes, d).method, "pca");
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const image = await Jimp.read(Buffer.from(await renderScatter(a.points, labels, 200)));
  assert.equal(image.bitmap.width, 200);
  assert.equal(image.bitmap.height, 200 + LEGEND_HEIGHT);
  const legend = new Set<number>();
  for (let y = 200; y < 200 + LEGEND_HEIGHT; y++) {
    for (let x = 0; x < 200; x++) {
      const o = (y * 200 + x) * 4, px = image.bitmap.data;
      legend.add((px[o] << 16) | (px[o + 1] << 8) | px[o + 2]);
    }
  }
  for (const colour of LABEL_COLOURS) assert.ok(legend.has(colour), colour.toString(16));
  assert.ok(legend.has(0), "the digits in black");
});

Deno.test("renderGrid draws colour images from their red, green and blue planes", async () => {
  // One 2×1 image: a red pixel, then a cyan one.
  const image = new Float32Array([1, 0, /* green */ 0, 1, /* blue */ 0, 1]);
  const png = await renderGrid([image], { height: 1, width: 2, channels: 3, scale: 1, gap: 0 });
  const { bitmap } = await Jimp.read(Buffer.from(png));
  assert.deepEqual([bitmap.width, bitmap.height], [2, 1]);
  assert.deepEqual(Array.from(bitmap.data), [255, 0, 0, 255, 0, 255, 255, 255]);
  await assert.rejects(
    renderGrid([image.subarray(0, 5)], { height: 1, width: 2, channels: 3 }),
    /whole number of 3x1x2 images/,
  );
});
