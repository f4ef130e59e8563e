/**
 * The lowering pass keeps the CPU's graphs as they were measured: the encoded
 * train-step, evaluation and inference graphs of the five models hold the same ops
 * in the same counts as the graphs bench/NOTES.md timed (tests/golden/lowered_ops.json,
 * written before the speed rewrites moved out of the gradient rules into src/lower).
 * The optimizer's nodes are left out (they belong to training/optimizers.ts).
 *
 * After an intended change of graphs: `deno run -A tests/lowering_test.ts` rewrites
 * the golden file (then say why in the commit).
 */

import assert from "node:assert/strict";
import {
  ConvAutoencoder,
  DeepAutoencoder,
  DenoisingAutoencoder,
  SparseAutoencoder,
  UndercompleteAutoencoder,
} from "../mod.ts";
import { ENCODE_REWRITES, FORWARD_REWRITES, LAYOUT_REWRITES } from "../src/lower/lower.ts";
import { setNchwcBlock } from "../src/lower/nchwc_conv.ts";
import { PROVIDERS } from "../src/runtime/types.ts";
import { buildInference } from "../src/nn/architecture.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { ModelProto } from "../src/onnx/schema.ts";
import { adam } from "../training/optimizers.ts";
import { buildEvalStep, buildTrainStep } from "../training/train_step.ts";

const GOLDEN = new URL("./golden/lowered_ops.json", import.meta.url);

const MODELS = {
  undercomplete: UndercompleteAutoencoder,
  sparse: SparseAutoencoder,
  deep: DeepAutoencoder,
  conv: ConvAutoencoder,
  denoising: DenoisingAutoencoder,
};

/**
 * Op counts of an encoded model (`domain:op` outside ONNX's own), but for the
 * optimizer's nodes (`optimizer.<param>/...`).
 */
function opCounts(bytes: Uint8Array): Record<string, number> {
  const model = ModelProto.decode(bytes) as unknown as {
    graph: { node: { name: string; opType: string; domain?: string }[] };
  };
  const nodes = model.graph.node;
  const counts: Record<string, number> = {};
  for (const { name, opType, domain } of nodes) {
    const op = domain ? `${domain}:${opType}` : opType;
    if (!name.startsWith("optimizer.")) counts[op] = (counts[op] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The op counts of each model's CPU graphs, lowered for blocks of 16 channels (the
 * AVX-512 machine they were measured on; `setNchwcBlock` is what its CPU probe sets).
 */
function cpuGraphs(): Record<string, Record<string, number>> {
  setNchwcBlock(16);
  const out: Record<string, Record<string, number>> = {};
  for (const [name, Model] of Object.entries(MODELS)) {
    const { config } = new Model({});
    const separateTarget = name === "denoising";
    const cpu = { provider: "cpu" } as const;
    const step = buildTrainStep(config, adam(), { separateTarget }).graph;
    out[`${name} train step`] = opCounts(encodeModel(step, cpu));
    out[`${name} evaluation`] = opCounts(
      encodeModel(buildEvalStep(config, { separateTarget }).graph, cpu),
    );
    out[`${name} inference`] = opCounts(
      encodeModel(buildInference(config, "autoencoder").graph, cpu),
    );
  }
  return out;
}

Deno.test("the CPU graphs of the five models have the ops they were measured with", async () => {
  const golden = JSON.parse(await Deno.readTextFile(GOLDEN)).graphs;
  const actual = cpuGraphs();
  for (const [what, counts] of Object.entries(golden)) {
    assert.deepEqual(actual[what], counts, `${what}: op counts differ from ${GOLDEN.pathname}`);
  }
  assert.deepEqual(Object.keys(actual), Object.keys(golden));
});

Deno.test("every rewrite names a provider, and names are unique", () => {
  const all = [...FORWARD_REWRITES, ...ENCODE_REWRITES, ...LAYOUT_REWRITES];
  assert.equal(new Set(all.map((r) => r.name)).size, all.length);
  for (const r of all) {
    assert.ok(r.providers.length > 0, `${r.name} applies nowhere`);
    assert.ok(r.providers.every((p) => PROVIDERS.includes(p)), `${r.name}: unknown provider`);
  }
});

Deno.test("without lowering, the plain rules are encoded as written", () => {
  const { config } = new SparseAutoencoder({});
  const step = buildTrainStep(config, adam()).graph;
  const plain = Object.keys(opCounts(encodeModel(step, { provider: "none" })));
  const lowered = Object.keys(opCounts(encodeModel(step, { provider: "cpu" })));
  const webgpu = Object.keys(opCounts(encodeModel(step, { provider: "webgpu" })));
  assert.ok(plain.includes("Sign") && !lowered.includes("Sign") && !webgpu.includes("Sign"));
  assert.ok(plain.includes("Greater") && !plain.includes("Ceil") && lowered.includes("Ceil"));
});

Deno.test("on wasm the loss' forward pass and its gradient share one Sigmoid", () => {
  const { config } = new UndercompleteAutoencoder({});
  const step = buildTrainStep(config, adam()).graph;
  const sigmoids = (provider: "cpu" | "wasm") => opCounts(encodeModel(step, { provider })).Sigmoid;
  assert.equal(sigmoids("cpu"), 2);
  assert.equal(sigmoids("wasm"), 1);
});

if (import.meta.main) {
  const about =
    "Op counts of the encoded CPU graphs, optimizer nodes left out (tests/lowering_test.ts)";
  await Deno.writeTextFile(GOLDEN, JSON.stringify({ about, graphs: cpuGraphs() }, null, 2) + "\n");
}
