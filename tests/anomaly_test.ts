import assert from "node:assert/strict";
import {
  auprc,
  auroc,
  evaluateScores,
  fitThreshold,
  reconstructionScores,
} from "../src/anomaly.ts";
import { AutoencoderError } from "../src/errors.ts";
import { parseCsv } from "../src/data/table.ts";
import { ConvAutoencoder, DeepAutoencoder, loadMnistSubset } from "../mod.ts";

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
const fails = (pattern: RegExp) => (e: unknown) =>
  e instanceof AutoencoderError && pattern.test(e.message);

Deno.test("AUROC and AUPRC against hand-computed values, ties included", () => {
  // Pairs (anomaly, normal): 0.35 > 0.1, 0.35 < 0.4, 0.8 > both: 3 of 4.
  assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // A tie between an anomaly and a normal sample counts one half: (0.5 + 1) / 2, (0.5 + 0) / 2.
  assert.equal(auroc([0.5, 0.5, 0.9], [false, true, true]), 0.75);
  assert.equal(auroc([0.5, 0.5, 0.1], [false, true, true]), 0.25);
  assert.equal(auroc([1, 2, 3], [1, 0, 0]), 0);
  // Ranked 0.8 (a), 0.4 (n), 0.35 (a), 0.1 (n): AP = (1/1 + 2/3) / 2.
  close(auprc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 5 / 6, "auprc");
  // Tied scores are one step: {0.5, 0.5} holds one anomaly of two: AP = 1/2.
  close(auprc([0.5, 0.5, 0.1], [1, 0, 0]), 0.5, "auprc with a tie");
  assert.throws(() => auroc([1, 2], [1, 1]), fails(/no normal sample; pass labels of both kinds/));
  assert.throws(() => auroc([1, 2], [1]), fails(/2 scores but 1 labels/));
});

Deno.test("thresholds and precision/recall at them", () => {
  const scores = [1, 2, 3, 4, 5];
  assert.equal(fitThreshold(scores, { method: "percentile", value: 50 }).threshold, 3);
  assert.equal(fitThreshold(scores, { method: "percentile", value: 100 }).threshold, 5);
  close(fitThreshold(scores, { method: "percentile", value: 90 }).threshold, 4.6, "p90");
  // Mean 3, population standard deviation sqrt(2).
  close(
    fitThreshold(scores, { method: "meanStd", value: 2 }).threshold,
    3 + 2 * Math.SQRT2,
    "meanStd",
  );
  assert.throws(
    () => fitThreshold(scores, { method: "percentile", value: 101 }),
    fails(/percentile 101 is not from 0 to 100/),
  );
  assert.throws(() => fitThreshold([], { method: "meanStd", value: 3 }), fails(/no scores/));
  const r = evaluateScores([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.3);
  assert.deepEqual([r.precision, r.recall, r.count, r.anomalies], [2 / 3, 1, 4, 2]);
  close(r.f1!, 0.8, "f1");
});

Deno.test("reconstruction scores: mse, bce and bce minus the input's entropy", () => {
  const x = new Float32Array([0, 1, 0.5, 0.5]);
  const y = new Float32Array([0.5, 0.5, 0.5, 0.5]);
  const mse = reconstructionScores(x, y, 2);
  close(mse[0], 0.25, "mse 0");
  close(mse[1], 0, "mse 1");
  const bce = reconstructionScores(x, y, 2, "bce");
  close(bce[0], Math.LN2, "bce 0");
  close(bce[1], Math.LN2, "bce 1"); // ink-free entropy: the same BCE for a perfect reconstruction
  const excess = reconstructionScores(x, y, 2, "bce-excess");
  assert.ok(Math.abs(excess[1]) < 1e-6 && excess[0] > 0.69);
});

Deno.test("scaling: minmax and standard, and errors naming the row and column", () => {
  const t = parseCsv("a,b,label\n0,10,0\n2,30,1\n4,20,0\n", {
    labelColumn: "label",
    scale: "standard",
  });
  close(t.scaling!.offset[0], 2, "mean a");
  close(t.scaling!.scale[1], Math.sqrt(200 / 3), "std b");
  assert.deepEqual(t.labels, ["0", "1", "0"]);
  const again = parseCsv("b,a\n20,2\n", { scale: t.scaling });
  assert.deepEqual(Array.from(again.data), [0, 0]); // the saved columns' order, the saved statistics
  assert.throws(() => parseCsv("a,b\n1,2\n3,x\n"), fails(/row 2, column "b" is "x", not a number/));
  assert.throws(() => parseCsv("a,b\n1,2\n3,\n"), fails(/row 2, column "b" is missing/));
  assert.throws(() => parseCsv("a,b\n"), fails(/no data rows/));
  assert.throws(() => parseCsv("a,b\n1,2\n", { columns: ["c"] }), fails(/no column "c"/));
});

Deno.test("fitThreshold, detect and evaluateDetection; threshold and scaling survive save and load", async () => {
  const { train, test } = await loadMnistSubset();
  const model = new ConvAutoencoder({ seed: 1 });
  await assert.rejects(model.detect(test), fails(/has no threshold; call fitThreshold/));
  await model.fit(train.images.subarray(0, 500 * 784), { epochs: 1, batchSize: 64 });
  const fitted = await model.fitThreshold(train.images.subarray(0, 500 * 784), {
    method: "percentile",
    value: 95,
  });
  const scaling = { method: "minmax" as const, columns: ["p"], offset: [0], scale: [1] };
  model.anomaly = { ...model.anomaly, scaling };
  const found = await model.detect(test);
  assert.equal(found.scores.length, test.count);
  assert.equal(
    found.anomalous.filter(Boolean).length,
    found.scores.filter((s) => s > fitted.threshold).length,
  );
  const report = await model.evaluateDetection(test, Array.from(test.labels, (l) => l === 1));
  assert.ok(report.auroc >= 0 && report.auroc <= 1 && report.precision !== undefined);
  const copy = new ConvAutoencoder();
  copy.loadOnnx(model.toOnnx());
  assert.deepEqual(copy.anomaly, model.anomaly);
  assert.deepEqual((await copy.detect(test)).scores, found.scores);
  await Promise.all([model.dispose(), copy.dispose()]);
});

Deno.test("model shapes for own data: conv [3, h, w], deep any width", async () => {
  const colour = new ConvAutoencoder({ inputShape: [3, 32, 32] });
  assert.deepEqual(colour.codeShape, [8, 4, 4]);
  const x = new Float32Array(2 * 3 * 32 * 32).fill(0.5);
  assert.equal((await colour.predict(x)).length, x.length);
  assert.throws(() => new ConvAutoencoder({ inputShape: [1, 30, 30] }), fails(/multiples of 8/));
  const table = new DeepAutoencoder({ inputSize: 7, codeSize: 2, output: "linear", loss: "mse" });
  assert.equal((await table.predict(new Float32Array(7).fill(-1))).length, 7);
  await Promise.all([colour.dispose(), table.dispose()]);
});

Deno.test("oneclass --out saves the model with its percentile-99 threshold in its metadata", async () => {
  const { oneClass } = await import("../src/cli/oneclass.ts");
  const dir = await Deno.makeTempDir({ prefix: "oneclass_out_" });
  try {
    const data = await loadMnistSubset();
    const result = await oneClass(data, 0, {
      dataset: "mnist-subset",
      model: "conv",
      epochs: 1,
      batchSize: 64,
      score: "mse",
      seed: 0,
      out: dir,
    });
    assert.equal(result.saved, `${dir}/model.onnx`);
    const model = new ConvAutoencoder();
    try {
      await model.load(result.saved!);
      assert.equal(model.anomaly.score, "mse");
      assert.deepEqual(
        { method: model.anomaly.threshold?.method, value: model.anomaly.threshold?.value },
        { method: "percentile", value: 99 },
      );
      close(model.anomaly.threshold!.threshold, result.threshold!, "saved threshold");
      // The threshold is the training zeros' 99th percentile: about 1% of them score above it.
      const size = 784, zeros: number[] = [];
      data.train.labels.forEach((label, i) => label === 0 && zeros.push(i));
      const x = new Float32Array(zeros.length * size);
      zeros.forEach((i, n) =>
        x.set(data.train.images.subarray(i * size, (i + 1) * size), n * size)
      );
      const { anomalous } = await model.detect(x);
      const share = anomalous.filter(Boolean).length / zeros.length;
      assert.ok(share > 0 && share < 0.03, `${share} of the training zeros flagged`);
    } finally {
      await model.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
