/**
 * FLOP counting (`countFlops`, `nodeFlops`): a small graph whose count is worked out
 * by hand, a training step whose count follows from its layer sizes, and the error
 * for a symbolic dimension without a size.
 *
 * @module
 */

import assert from "node:assert/strict";
import { compileProgram, Dense } from "../mod.ts";
import { countFlops, nodeFlops } from "../src/ir/flops.ts";
import { Builder } from "../src/ops/builder.ts";

Deno.test("countFlops: MatMul, Gemm, Conv and ConvTranspose by hand; elementwise ops count 0", () => {
  const b = new Builder();
  const x = b.graph.input("x", "float32", ["N", 1, 5, 5]);
  // Conv 3x3 valid, 1 -> 2 channels: output [N, 2, 3, 3], 9 multiply-adds each.
  const conv = b.op1("Conv", [x, b.graph.input("k", "float32", [2, 1, 3, 3])], {
    kernel_shape: [3, 3],
  });
  // ConvTranspose 2x2 stride 2, 2 -> 4 channels: each of the [N, 2, 3, 3] inputs meets 4·2·2 taps.
  const up = b.graph.addNode(
    "ConvTranspose",
    [conv, b.graph.input("t", "float32", [2, 4, 2, 2])],
    { strides: [2, 2] },
    [{ dtype: "float32", shape: ["N", 4, 6, 6] }],
  )[0];
  const flat = b.reshape(b.relu(up), [-1, 144]);
  // Gemm [N, 144] x [144, 3] transB = 0; MatMul [N, 3] x [3, 2].
  const dense = b.gemm(flat, b.graph.input("w", "float32", [144, 3]));
  b.graph.output("y", b.matmul(dense, b.graph.input("v", "float32", [3, 2])));
  const perSample = 2 * (2 * 3 * 3 * 9) + 2 * (2 * 3 * 3 * 16) + 2 * (144 * 3) + 2 * (3 * 2);
  assert.equal(perSample, 324 + 576 + 864 + 12);
  assert.equal(countFlops(b.graph, { N: 1 }), perSample);
  assert.equal(countFlops(b.graph, { N: 32 }), 32 * perSample);
  const ops = b.graph.nodes.map((n) => `${n.op}:${nodeFlops(n, { N: 1 })}`);
  assert.ok(ops.includes("Relu:0") && ops.includes("ConvTranspose:576"), ops.join(" "));
});

Deno.test("countFlops: Gemm with transA reads k from A's first dimension", () => {
  const b = new Builder();
  const a = b.graph.input("a", "float32", [7, "N"]);
  b.graph.output("y", b.gemm(a, b.graph.input("g", "float32", [7, 5]), { transA: true }));
  assert.equal(countFlops(b.graph, { N: 3 }), 2 * 3 * 5 * 7);
});

Deno.test("countFlops: a dense training step is 3 products per layer, less the input's gradient", () => {
  const program = compileProgram({
    inputShape: [784],
    encoder: [new Dense(32, "relu")],
    decoder: [new Dense(784, "sigmoid")],
  });
  // Forward x·W1 and h·W2; gradients dW2, dh, dW1: 5 products of 784·32. Autodiff also
  // emits dx, the gradient of the data, which no output reads (ORT drops it): not counted.
  assert.equal(program.trainStep.nodes.filter((n) => n.op === "Gemm").length, 6);
  assert.equal(countFlops(program.trainStep, { N: 256 }) / 256, 5 * 2 * 784 * 32);
});

Deno.test("countFlops: a symbolic dimension without a size is a clear error", () => {
  const b = new Builder();
  const x = b.graph.input("x", "float32", ["N", 4]);
  b.graph.output("y", b.matmul(x, b.graph.input("w", "float32", [4, 2])));
  assert.throws(() => countFlops(b.graph), /pass the size of dimension "N" in dims/);
});
