/**
 * The emitted ONNX models: every graph the library writes passes the official
 * ONNX checker (Debian's `python3-onnx`, full check with shape inference), the
 * codec round-trips, bad files fail with the file's name, and shape errors are
 * caught when the graph is built, in the project's voice.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { AutoencoderError } from "../src/errors.ts";
import type { Shape } from "../src/ir/graph.ts";
import {
  type Architecture,
  buildInference,
  emitForward,
  paramsAsInputs,
  paramSpecs,
  type Part,
  placeLayers,
} from "../src/nn/architecture.ts";
import { Dense } from "../src/nn/layers.ts";
import { Random } from "../src/nn/random.ts";
import { decodeModel, encodeModel } from "../src/onnx/model.ts";
import { Builder } from "../src/ops/builder.ts";
import { adam, OPTIMIZER_NAMES, OPTIMIZERS, sgd } from "../training/optimizers.ts";
import { buildEvalStep, buildTrainStep } from "../training/train_step.ts";
import { nextName, stateName } from "../training/state.ts";
import { checkWithOnnx } from "./helpers.ts";

// ---------------------------------------------------------------------------
// Helpers

const TINY: Architecture = {
  inputShape: [6],
  encoder: [new Dense(3, "relu")],
  decoder: [new Dense(6, "sigmoid")],
};

/** Deep, with a linear layer, to exercise longer chains. */
const DEEP: Architecture = {
  inputShape: [12],
  encoder: [new Dense(8, "relu"), new Dense(4, "relu"), new Dense(2)],
  decoder: [new Dense(4, "relu"), new Dense(8, "relu"), new Dense(12, "sigmoid")],
};

const PARTS: Part[] = ["encoder", "decoder", "autoencoder"];

/** Random parameter values for an architecture, by name. */
function randomWeights(arch: Architecture, seed: number): Map<string, Float32Array> {
  const r = new Random(seed);
  return new Map(
    paramSpecs(arch).map((s) => [
      s.name,
      Float32Array.from({ length: s.shape.reduce((a, d) => a * d, 1) }, () => r.uniform(-1, 1)),
    ]),
  );
}

/** Every model the library emits for an architecture, by file name. */
function emittedModels(label: string, arch: Architecture): [string, Uint8Array][] {
  const weights = randomWeights(arch, 1);
  const graphs: [string, Builder][] = [
    ...OPTIMIZER_NAMES.map((name): [string, Builder] => [
      `train_${name}`,
      buildTrainStep(arch, OPTIMIZERS[name]()),
    ]),
    ["train_sgd_momentum", buildTrainStep(arch, sgd({ momentum: 0.9 }))],
    ["train_adam_denoising", buildTrainStep(arch, adam(), { separateTarget: true })],
    ["eval", buildEvalStep(arch)],
    ["eval_denoising", buildEvalStep(arch, { separateTarget: true })],
    ...PARTS.flatMap((part): [string, Builder][] => [
      [`${part}`, buildInference(arch, part)],
      [`${part}_weights`, buildInference(arch, part, weights)],
    ]),
  ];
  return graphs.map(([name, b]) => [
    `${label}_${name}.onnx`,
    encodeModel(b.graph, { name, metadata: { "autoencoders.model": label } }),
  ]);
}

/** Asserts that `fn` throws an AutoencoderError whose message matches `message`. */
function assertFails(what: string, fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AutoencoderError, `${what}: not an AutoencoderError: ${e}`);
    assert.match(e.message, message, `${what}: ${e.message}`);
    return true;
  });
}

// ---------------------------------------------------------------------------
// The official checker

Deno.test("every emitted model passes onnx.checker with full_check", async () => {
  const dir = await Deno.makeTempDir({ prefix: "onnx_test_" });
  try {
    const models = [...emittedModels("tiny", TINY), ...emittedModels("deep", DEEP)];
    const paths = await Promise.all(models.map(async ([name, bytes]) => {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      return path;
    }));
    const results = await checkWithOnnx(paths);
    const failures = paths.filter((p) => results[p] !== "ok").map((p) => `${p}: ${results[p]}`);
    assert.deepEqual(failures, [], `models rejected by the ONNX checker:\n${failures.join("\n")}`);
    assert.equal(Object.keys(results).length, models.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// Encode / decode

Deno.test("encode/decode round trip keeps names, shapes, initializers and metadata", () => {
  const b = new Builder();
  const x = b.graph.input("x", "float32", ["N", 4]);
  const w = b.graph.constant(
    Float32Array.from([...Array(8).keys()], (i) => i / 7 - 0.5),
    [4, 2],
    "w",
  );
  const y = b.graph.withScope("layer", () => b.relu(b.op1("Gemm", [x, w, b.scalar(0.25)])));
  b.graph.output("y", y);
  b.graph.output("x_again", x); // an input as an output goes through Identity
  b.graph.output("sum", b.reduceSum(y, [0, 1], false));
  const metadata = { "autoencoders.model": "round-trip", note: "ünïcödé = ✓" };

  const m = decodeModel(encodeModel(b.graph, { name: "rt", metadata }), "rt.onnx");
  assert.deepEqual(m.inputs, [{ name: "x", dtype: "float32", shape: ["N", 4] }]);
  assert.deepEqual(m.outputs, [
    { name: "y", dtype: "float32", shape: ["N", 2] },
    { name: "x_again", dtype: "float32", shape: ["N", 4] },
    { name: "sum", dtype: "float32", shape: [] },
  ]);
  assert.deepEqual(m.metadata, metadata);
  assert.deepEqual(m.initializers.get("w"), {
    dims: [4, 2],
    data: (w.source as { data: Float32Array }).data,
  });
  assert.deepEqual(m.ops, ["Gemm", "Relu", "ReduceSum", "Identity"]);
});

Deno.test("inference models round-trip their interface and embedded weights", () => {
  const weights = randomWeights(DEEP, 2);
  const specs = paramSpecs(DEEP);
  for (const part of PARTS) {
    const embedded = decodeModel(encodeModel(buildInference(DEEP, part, weights).graph));
    const inputWidth = part === "decoder" ? 2 : 12;
    const outputs = {
      encoder: [{ name: "output", dtype: "float32", shape: ["N", 2] }],
      decoder: [{ name: "output", dtype: "float32", shape: ["N", 12] }],
      autoencoder: [
        { name: "output", dtype: "float32", shape: ["N", 12] },
        { name: "code", dtype: "float32", shape: ["N", 2] },
      ],
    }[part];
    const input = { name: "input", dtype: "float32", shape: ["N", inputWidth] };
    assert.deepEqual(embedded.inputs, [input], `${part}: inputs`);
    assert.deepEqual(embedded.outputs, outputs, `${part}: outputs`);
    const used = specs.filter((s) => part === "autoencoder" || s.name.startsWith(part));
    assert.deepEqual([...embedded.initializers.keys()].sort(), used.map((s) => s.name).sort());
    for (const s of used) {
      assert.deepEqual(embedded.initializers.get(s.name), {
        dims: s.shape,
        data: weights.get(s.name),
      });
    }

    const open = decodeModel(encodeModel(buildInference(DEEP, part).graph));
    assert.deepEqual(open.initializers.size, 0, `${part}: no weights embedded`);
    assert.deepEqual(
      open.inputs,
      [input, ...used.map((s) => ({ name: s.name, dtype: "float32", shape: s.shape }))],
    );
    assert.deepEqual(open.outputs, outputs);
  }
});

Deno.test("train step model has the documented interface", () => {
  const opt = adam();
  const specs = paramSpecs(TINY);
  const m = decodeModel(encodeModel(buildTrainStep(TINY, opt, { separateTarget: true }).graph));
  const f32 = (name: string, shape: Shape) => ({ name, dtype: "float32", shape });
  const states = specs.flatMap((s) =>
    opt.slots.map((slot) => f32(stateName(slot, s.name), s.shape))
  );
  assert.deepEqual(m.inputs, [
    f32("input", ["N", 6]),
    f32("target", ["N", 6]),
    ...specs.map((s) => f32(s.name, s.shape)),
    f32("step", []),
    f32("lr", []),
    ...states,
  ]);
  assert.deepEqual(m.outputs, [
    f32("loss", []),
    ...specs.map((s) => f32(nextName(s.name), s.shape)),
    ...states.map((s) => ({ ...s, name: nextName(s.name) })),
  ]);
});

Deno.test("decodeModel rejects bad bytes with an error naming the file", () => {
  const model = encodeModel(buildInference(TINY, "autoencoder", randomWeights(TINY, 3)).graph);
  const bad: [string, Uint8Array][] = [
    ["text", new TextEncoder().encode("this is not an ONNX model")],
    ["empty", new Uint8Array(0)],
    ...[0.1, 0.5, 0.9].map((f): [string, Uint8Array] => [
      `truncated to ${f}`,
      model.slice(0, Math.floor(model.length * f)),
    ]),
  ];
  for (const [what, bytes] of bad) {
    assertFails(
      what,
      () => decodeModel(bytes, "bad/junk.onnx"),
      /^Cannot read ONNX model "bad\/junk\.onnx": /,
    );
  }
  assert.equal(decodeModel(model, "good.onnx").outputs.length, 2, "the untruncated model reads");
});

// ---------------------------------------------------------------------------
// Shape validation when building

Deno.test("shape errors are reported when the graph is built, naming layer and shapes", () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      "Dense fed 5 features where its kernel takes 6",
      () => {
        const b = new Builder();
        const { ctx } = paramsAsInputs(b);
        for (const s of paramSpecs(TINY)) ctx.param(s); // as the train step declares them
        emitForward(ctx, TINY, "encoder", b.graph.input("input", "float32", ["N", 5]));
      },
      /^Cannot build Dense layer "encoder\.0": input has 5 features but the layer expects 6$/,
    ],
    [
      "Dense on images",
      () => placeLayers({ ...TINY, inputShape: [1, 28, 28] }),
      /^Cannot build Dense layer "encoder\.0": .*got \[1, 28, 28\]; flatten the images first$/,
    ],
    [
      "decoder output differs from the input",
      () => placeLayers({ ...TINY, decoder: [new Dense(5, "sigmoid")] }),
      /^Cannot build autoencoder: the decoder outputs \[5\] but the input is \[6\]$/,
    ],
    [
      "missing weights",
      () => buildInference(TINY, "decoder", new Map()),
      /^Cannot build model: no weights for "decoder\.0\.kernel"$/,
    ],
    [
      "weights of the wrong size",
      () => {
        const weights = randomWeights(TINY, 4);
        weights.set("encoder.0.kernel", new Float32Array(12));
        buildInference(TINY, "encoder", weights);
      },
      /^Cannot build model: weights "encoder\.0\.kernel" hold 12 values but its shape is \[6, 3\]$/,
    ],
    [
      "shapes that do not broadcast",
      () => {
        const b = new Builder();
        const [x, y] = [b.graph.input("x", "float32", [3, 4]), b.graph.input("y", "float32", [5])];
        b.graph.withScope("decoder.1", () => b.add(x, y));
      },
      /^Cannot build Add in "decoder\.1": shapes \[3, 4\] and \[5\] do not broadcast$/,
    ],
    [
      "unknown attribute",
      () => {
        const b = new Builder();
        b.op1("Relu", [b.graph.input("x", "float32", [2])], { alpha: 1 });
      },
      /^Cannot build Relu: unknown attribute "alpha"$/,
    ],
  ];
  for (const [what, build, message] of cases) assertFails(what, build, message);
});
