/**
 * The training program as a value (`compileProgram`: the state list, the train and
 * evaluation graphs) and the input corruptions other than Gaussian noise
 * (`maskingNoise`, `saltAndPepper`): seeded and reproducible, changing the share of
 * values asked for, leaving the target clean, and training a denoiser whose loss
 * falls in one epoch on 500 digits of the embedded subset.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  activityL1,
  Autoencoder,
  binaryCrossEntropy,
  compileProgram,
  type Corruption,
  Dense,
  loadMnistSubset,
  maskingNoise,
  saltAndPepper,
} from "../mod.ts";
import { Random } from "../src/nn/random.ts";
import { generatorState } from "../training/state.ts";

const ARCH = {
  inputShape: [4],
  encoder: [new Dense(2, "relu")],
  decoder: [new Dense(4, "sigmoid")],
};

/** `name|role|shape` of every state tensor. */
const listed = (states: readonly { name: string; role: string; shape: readonly number[] }[]) =>
  states.map((s) => `${s.name}|${s.role}|[${s.shape}]`);

/** Names of a graph's inputs, with their shapes. */
const inputsOf = (graph: { inputs: readonly { source: unknown; shape: readonly unknown[] }[] }) =>
  graph.inputs.map((v) => `${(v.source as { name: string }).name}[${v.shape}]`);

const PARAMS = [
  ["encoder.0.kernel", [4, 2]],
  ["encoder.0.bias", [2]],
  ["decoder.0.kernel", [2, 4]],
  ["decoder.0.bias", [4]],
] as const;

Deno.test("compileProgram lists every state tensor: parameters, Adam's slots after each, step, shuffle", () => {
  const program = compileProgram(ARCH);
  const expected = PARAMS.flatMap(([name, shape]) => [
    `${name}|parameter|[${shape}]`,
    `m.${name}|optimizer slot|[${shape}]`,
    `v.${name}|optimizer slot|[${shape}]`,
  ]);
  assert.deepEqual(listed(program.states), [...expected, "step|step|[]", "shuffle|generator|[4]"]);
  assert.deepEqual(program.carried, expected.map((s) => s.split("|")[0]));
  for (const s of program.states) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    assert.equal(s.initial().length, s.role === "step" ? 1 : size, s.name);
  }
  // Seeded: the same seed gives the same weights, another seed others.
  const kernel = (seed: number) => compileProgram(ARCH, { seed }).states[0].initial();
  assert.deepEqual(kernel(3), kernel(3));
  assert.notDeepEqual(kernel(3), kernel(4));
  assert.deepEqual(program.states.at(-1)!.initial(), generatorState("shuffle", 1).initial());
  assert.equal(program.separateTarget, false);
  assert.deepEqual(program.losses, ["loss"]);
});

Deno.test("compileProgram's train step reads the batch, the state and the rate and returns loss and next.*", () => {
  const program = compileProgram(ARCH);
  const slots = PARAMS.flatMap(([name, shape]) => [`m.${name}[${shape}]`, `v.${name}[${shape}]`]);
  assert.deepEqual(inputsOf(program.trainStep), [
    "input[N,4]",
    ...PARAMS.map(([name, shape]) => `${name}[${shape}]`),
    "step[]",
    "lr[]",
    ...slots,
  ]);
  const outputs = program.trainStep.outputs.map((o) => o.name);
  const next = (names: string[]) => names.map((n) => `next.${n.replace(/\[.*/, "")}`);
  assert.deepEqual(outputs, ["loss", ...next(PARAMS.map(([n]) => n)), ...next(slots)]);
  // Every carried state is returned as next.<name>.
  assert.deepEqual(outputs.slice(1).sort(), next([...program.carried]).sort());
  assert.deepEqual(inputsOf(program.evalStep), [
    "input[N,4]",
    ...PARAMS.map(([name, shape]) => `${name}[${shape}]`),
  ]);
  assert.deepEqual(program.evalStep.outputs.map((o) => o.name), ["loss"]);
  assert.ok(program.onnx("train").length > 0 && program.onnx("eval").length > 0);
});

Deno.test("a program with a corruption takes a clean target and has a seeded corruption generator", () => {
  const loss = [binaryCrossEntropy(), activityL1(1e-4)];
  const program = compileProgram(ARCH, { inputs: { input: maskingNoise(0.25) }, seed: 7, loss });
  assert.equal(program.separateTarget, true);
  assert.equal(program.inputs.input!.seed, 9); // the model's seed + 2
  const last = program.states.slice(-2);
  assert.deepEqual(listed(last), ["shuffle|generator|[4]", "corruption|generator|[4]"]);
  assert.deepEqual(last[1].initial(), generatorState("corruption", 9).initial());
  assert.deepEqual(inputsOf(program.trainStep).slice(0, 2), ["input[N,4]", "target[N,4]"]);
  assert.deepEqual(inputsOf(program.evalStep).slice(0, 2), ["input[N,4]", "target[N,4]"]);
  assert.deepEqual(program.losses, ["loss", "penalty"]);
  const losses = program.trainStep.outputs.map((o) => o.name).filter((n) => !n.startsWith("next."));
  assert.deepEqual(losses.sort(), ["loss", "penalty"]);
  // A seed given with the corruption is kept.
  const seeded = compileProgram(ARCH, { inputs: { input: saltAndPepper(0.1, { seed: 42 }) } });
  assert.deepEqual(seeded.states.at(-1)!.initial(), generatorState("corruption", 42).initial());
});

/** 100 000 values of 0.5: a change to 0 or 1 shows. */
const HALF = new Float32Array(100_000).fill(0.5);

function apply(
  corruption: Corruption,
  seed: number,
): { out: Float32Array; zeros: number; ones: number } {
  const clean = HALF.slice();
  const out = new Float32Array(clean.length);
  corruption.apply(new Random(seed), clean, out);
  assert.deepEqual(clean, HALF, "the clean values (the target) are left alone");
  let zeros = 0, ones = 0;
  for (const v of out) {
    if (v === 0) zeros++;
    else if (v === 1) ones++;
    else assert.equal(v, 0.5);
  }
  return { out, zeros: zeros / out.length, ones: ones / out.length };
}

Deno.test("maskingNoise sets the share of values asked for to 0, the same for the same seed", () => {
  for (const fraction of [0, 0.1, 0.5, 1]) {
    const { out, zeros, ones } = apply(maskingNoise(fraction), 5);
    assert.ok(Math.abs(zeros - fraction) < 0.01, `${zeros} for ${fraction}`);
    assert.equal(ones, 0);
    assert.deepEqual(apply(maskingNoise(fraction), 5).out, out);
    if (fraction > 0 && fraction < 1) {
      assert.notDeepEqual(apply(maskingNoise(fraction), 6).out, out);
    }
  }
  assert.throws(() => maskingNoise(1.5), /fraction must be a finite number from 0 to 1, got 1.5/);
});

Deno.test("saltAndPepper sets the share asked for to 0 or 1 with even odds, the same for the same seed", () => {
  for (const fraction of [0, 0.2, 1]) {
    const { out, zeros, ones } = apply(saltAndPepper(fraction), 5);
    assert.ok(Math.abs(zeros + ones - fraction) < 0.01, `${zeros + ones} for ${fraction}`);
    assert.ok(Math.abs(zeros - ones) < 0.01, `${zeros} zeros, ${ones} ones`);
    assert.deepEqual(apply(saltAndPepper(fraction), 5).out, out);
  }
  assert.notDeepEqual(apply(saltAndPepper(0.2), 5).out, apply(saltAndPepper(0.2), 6).out);
  assert.throws(() => saltAndPepper(-0.1), /fraction must be a finite number from 0 to 1/);
});

for (
  const [name, corruption] of [["maskingNoise", maskingNoise], [
    "saltAndPepper",
    saltAndPepper,
  ]] as const
) {
  Deno.test(`a denoiser trained on ${name} for 1 epoch on 500 digits: its loss falls, reproducibly`, async () => {
    const { train, test } = await loadMnistSubset();
    const x = train.images.subarray(0, 500 * 784), v = test.images.subarray(0, 200 * 784);
    const run = async () => {
      const model = new Autoencoder({
        name: "denoiser",
        inputShape: [784],
        encoder: [new Dense(32, "relu")],
        decoder: [new Dense(784, "sigmoid")],
      }, { seed: 0, threads: 1, inputs: { input: corruption(0.3) } });
      const before = await model.evaluate(v);
      const losses: number[] = [];
      const history = await model.fit(x, {
        epochs: 1,
        batchSize: 50,
        validationData: v,
        onBatchEnd: (logs) => {
          losses.push(logs.loss);
        },
      });
      const noisy = model.corrupt(v.subarray(0, 784), 1);
      assert.deepEqual(model.corrupt(v.subarray(0, 784), 1), noisy);
      await model.dispose();
      return { before, history, first: losses[0] };
    };
    const { before, history, first } = await run();
    assert.ok(history.valLoss[0] < before, `validation ${history.valLoss[0]} >= ${before}`);
    assert.ok(history.loss[0] < first, `epoch ${history.loss[0]} >= first batch ${first}`);
    assert.deepEqual((await run()).history.loss, history.loss);
  });
}
