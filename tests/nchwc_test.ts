/**
 * The `nchwc-conv` rewrite (src/lower/nchwc_conv.ts): Convs with fed kernels of the
 * shapes it takes (plain inputs of 1–3 channels, and of 8 where the block is 16;
 * blocked ones of 16 and 32;
 * filters not a multiple of 4 or of the block; with and without bias; dilated)
 * give the plain Conv's values, in the reference interpreter (its nominal block
 * of 16) and in ONNX Runtime (the host's block); the model files the library
 * writes keep plain Convs.
 */

import assert from "node:assert/strict";
import { ConvAutoencoder } from "../mod.ts";
import { modelBytes } from "../src/checkpoint.ts";
import type { Attrs } from "../src/ir/graph.ts";
import { rewriteGraph } from "../src/lower/lower.ts";
import { nchwcConv, setNchwcBlock } from "../src/lower/nchwc_conv.ts";
import { Random } from "../src/nn/random.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { ModelProto } from "../src/onnx/schema.ts";
import { Builder } from "../src/ops/builder.ts";
import { evaluate } from "../src/ops/interpret.ts";
import { NCHWC_DOMAIN } from "../src/ops/nchwc_ops.ts";
import { tensor } from "../src/ops/tensor64.ts";
import type { Tensor64 } from "../src/ops/types.ts";
import { nodeRuntime } from "../src/runtime/node.ts";
import { assertAllClose, runOrt } from "./numeric.ts";

interface Case {
  channels: number;
  filters: number;
  kernel: number;
  attrs: Attrs;
  bias: boolean;
}

const CASES: Case[] = [
  { channels: 1, filters: 16, kernel: 3, attrs: { pads: [1, 1, 1, 1] }, bias: true },
  { channels: 1, filters: 9, kernel: 3, attrs: { pads: [1, 1, 1, 1] }, bias: false },
  { channels: 3, filters: 5, kernel: 3, attrs: {}, bias: true },
  { channels: 16, filters: 8, kernel: 3, attrs: { pads: [2, 2, 2, 2] }, bias: false },
  { channels: 16, filters: 9, kernel: 1, attrs: {}, bias: false },
  { channels: 32, filters: 1, kernel: 3, attrs: { pads: [1, 1, 1, 1] }, bias: false },
  { channels: 32, filters: 36, kernel: 3, attrs: { pads: [0, 1, 1, 0] }, bias: true },
  { channels: 16, filters: 4, kernel: 2, attrs: { dilations: [2, 3] }, bias: false },
];

const name = (c: Case) =>
  `${c.channels}->${c.filters} ${c.kernel}x${c.kernel} ${JSON.stringify(c.attrs)}${
    c.bias ? " +bias" : ""
  }`;

/** `y = Conv(x, w, b?)` with every operand fed, 3 images of 6×7. */
function convGraph(c: Case) {
  const b = new Builder();
  const x = b.graph.input("x", "float32", ["N", c.channels, 6, 7]);
  const w = b.graph.input("w", "float32", [c.filters, c.channels, c.kernel, c.kernel]);
  const operands = [x, w];
  if (c.bias) operands.push(b.graph.input("b", "float32", [c.filters]));
  const k = [c.kernel, c.kernel];
  b.graph.output("y", b.op1("Conv", operands, { kernel_shape: k, ...c.attrs }));
  return b.graph;
}

function feeds(c: Case, seed: number): Record<string, Tensor64> {
  const r = new Random(seed);
  const fill = (shape: number[]) =>
    tensor(shape, Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r.normal()));
  const out: Record<string, Tensor64> = {
    x: fill([3, c.channels, 6, 7]),
    w: fill([c.filters, c.channels, c.kernel, c.kernel]),
  };
  if (c.bias) out.b = fill([c.filters]);
  return out;
}

const nchwcOps = (bytes: Uint8Array) =>
  (ModelProto.decode(bytes) as unknown as { graph: { node: { domain: string }[] } })
    .graph.node.filter((n) => n.domain === NCHWC_DOMAIN).length;

Deno.test("nchwc-conv: the reference values of the rewritten Convs are the plain ones", () => {
  for (const [i, c] of CASES.entries()) {
    const plain = convGraph(c), lowered = rewriteGraph(plain, [nchwcConv]);
    assert.ok(lowered.nodes.some((n) => n.op === "NchwcConv"), `${name(c)}: not rewritten`);
    const f = feeds(c, 40 + i);
    assertAllClose(evaluate(lowered, f).y.data, evaluate(plain, f).y.data, 1e-12, name(c));
  }
});

Deno.test("nchwc-conv: ONNX Runtime gives the plain Conv's values", async () => {
  for (const [i, c] of CASES.entries()) {
    const plain = convGraph(c), f = feeds(c, 60 + i);
    const [want, got] = await Promise.all(
      (["none", "cpu"] as const).map(async (provider) => {
        const bytes = encodeModel(plain, { provider });
        assert.equal(nchwcOps(bytes) > 0, provider === "cpu", `${name(c)} on ${provider}`);
        const session = await nodeRuntime.createSession(bytes);
        try {
          return (await runOrt(session, f)).y;
        } finally {
          await session.release();
        }
      }),
    );
    assertAllClose(got, want, 1e-5, name(c));
  }
});

Deno.test("nchwc-conv: constant kernels, other providers and saved models keep plain Convs", () => {
  const b = new Builder();
  const x = b.graph.input("x", "float32", ["N", 16, 5, 5]);
  const w = b.graph.constant(new Float32Array(16 * 16 * 9).fill(0.5), [16, 16, 3, 3]);
  b.graph.output("y", b.op1("Conv", [x, w], { kernel_shape: [3, 3] }));
  assert.equal(nchwcOps(encodeModel(b.graph)), 0);
  const fed = convGraph(CASES[3]);
  for (const provider of ["wasm", "webgpu", "cuda"] as const) {
    assert.equal(nchwcOps(encodeModel(fed, { provider })), 0, provider);
  }
  const model = new ConvAutoencoder({ seed: 1 });
  for (const part of ["encoder", "decoder", "autoencoder"] as const) {
    assert.equal(nchwcOps(modelBytes(model.config, model.params, part)), 0, part);
  }
});

/** Plain inputs of more than 3 channels: only where the host's block is 16. */
const EIGHT: Case[] = [
  { channels: 8, filters: 16, kernel: 3, attrs: { pads: [1, 1, 1, 1] }, bias: true },
  { channels: 8, filters: 8, kernel: 3, attrs: {}, bias: false },
];

Deno.test("nchwc-conv: 8-channel inputs stay plain in NCHWc only where the CPU probe found blocks of 16", async () => {
  const [cpu] = await nodeRuntime.providers("cpu");
  try {
    for (const [i, c] of EIGHT.entries()) {
      const plain = convGraph(c), f = feeds(c, 80 + i);
      setNchwcBlock(16); // the reference interpreter's nominal block
      const lowered = rewriteGraph(plain, [nchwcConv]);
      assert.ok(lowered.nodes.some((n) => n.op === "NchwcConv"), `${name(c)}: not rewritten`);
      assertAllClose(evaluate(lowered, f).y.data, evaluate(plain, f).y.data, 1e-12, name(c));
      setNchwcBlock(undefined);
      assert.equal(nchwcOps(encodeModel(plain, { provider: "cpu" })), 0, `${name(c)}, no probe`);
      setNchwcBlock(cpu.nchwcBlock); // the host's, as a model's provider resolution sets it
      const bytes = encodeModel(plain, { provider: "cpu" });
      assert.equal(
        nchwcOps(bytes) > 0,
        cpu.nchwcBlock === 16,
        `${name(c)}, block ${cpu.nchwcBlock}`,
      );
      const session = await nodeRuntime.createSession(bytes);
      const want = evaluate(plain, f).y.data;
      try {
        assertAllClose((await runOrt(session, f)).y, want, 1e-5, `${name(c)} in ORT`);
      } finally {
        await session.release();
      }
    }
  } finally {
    setNchwcBlock(undefined);
  }
});

Deno.test("the CPU probe tells the block of ORT's NCHWc kernels on x86-64", async () => {
  const [cpu] = await nodeRuntime.providers("cpu");
  assert.equal(cpu.available, true);
  if (Deno.build.arch === "x86_64") {
    assert.ok(cpu.nchwcBlock === 8 || cpu.nchwcBlock === 16, `${cpu.nchwcBlock}`);
  }
});
