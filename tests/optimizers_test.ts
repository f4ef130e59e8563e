/**
 * The optimizers of `training/optimizers.ts`, read from its one table: every
 * optimizer's graph, through ONNX Runtime in float32 and through the float64
 * interpreter, follows its plain-TypeScript reference for several steps; the
 * references are Keras's formulas; the command line and `fit` take every name;
 * state names stay those existing checkpoints hold.
 */

import assert from "node:assert/strict";
import { loadMnistSubset, UndercompleteAutoencoder } from "../mod.ts";
import type { FitOptions } from "../src/autoencoder.ts";
import { trainOptions } from "../src/cli/train_options.ts";
import { AutoencoderError } from "../src/errors.ts";
import type { Graph } from "../src/ir/graph.ts";
import { Random } from "../src/nn/random.ts";
import { Builder } from "../src/ops/builder.ts";
import { evaluate } from "../src/ops/interpret.ts";
import { tensor } from "../src/ops/tensor64.ts";
import type { Tensor64 } from "../src/ops/types.ts";
import {
  chain,
  defineOptimizer,
  exponentialDecay,
  type Optimizer,
  OPTIMIZER_NAMES,
  optimizerByName,
  OPTIMIZERS,
  scaleByAdam,
  scaleByLearningRate,
  scaleBySchedule,
  sgd,
  type Transform,
  updateNumber,
  updateTensor,
} from "../training/optimizers.ts";
import { nextName } from "../training/state.ts";
import { assertAllClose, referenceUpdate, runOrt, withSession } from "./numeric.ts";

const SHAPE = [2, 3];
const STEPS = 4;

/**
 * Adagrad as a user would add it: a step whose slot starts at 0.1, not zero
 * (`a = a + g²`, update `g / √a`), then the learning rate.
 */
const scaleByAdagrad: Transform = {
  slots: [{ name: "sum", init: (p) => new Float32Array(p.length).fill(0.1) }],
  emit(b, u, [a]) {
    const g = updateTensor(b, u);
    const a1 = b.add(a, b.mul(g, g));
    return { update: { numerator: g, denominator: b.sqrt(a1) }, state: [a1] };
  },
  reference(u, [a]) {
    const g = updateNumber(u);
    const a1 = a + g * g;
    return { update: { numerator: g, denominator: Math.sqrt(a1) }, state: [a1] };
  },
};

/** Every optimizer in the table with its defaults, then settings the defaults leave unused. */
const CASES: [string, Optimizer][] = [
  ...OPTIMIZER_NAMES.map((name): [string, Optimizer] => [name, OPTIMIZERS[name]()]),
  ["sgd, momentum 0.9", sgd({ momentum: 0.9 })],
  [
    "adam with exponential decay",
    defineOptimizer(
      "adam-decay",
      1e-2,
      scaleByAdam(),
      scaleBySchedule(exponentialDecay(0.5, 2)),
      scaleByLearningRate(),
    ),
  ],
  [
    "adagrad (a slot starting at 0.1)",
    defineOptimizer("adagrad", 0.1, scaleByAdagrad, scaleByLearningRate()),
  ],
];

/** A graph that applies one optimizer update to `p` (inputs `p`, `g`, the slots, `step`, `lr`). */
function optimizerGraph(opt: Optimizer): Graph {
  const b = new Builder(), g = b.graph;
  const [p, gr, ...state] = ["p", "g", ...opt.slots].map((n) => g.input(n, "float32", SHAPE));
  const step = g.input("step", "float32", []), lr = g.input("lr", "float32", []);
  const next = opt.update(b, p, gr, state, { step, lr });
  g.output(nextName("p"), next.param);
  opt.slots.forEach((slot, i) => g.output(nextName(slot), next.state[i]));
  return g;
}

/**
 * Values drawn uniformly from (-1, 1), element `i` scaled by `10^-i` when `spread`
 * (so that ε matters in some), rounded to float32, as a tensor of `SHAPE`.
 */
function draw(r: Random, spread = false): Tensor64 {
  const value = (i: number) => r.uniform(-1, 1) * (spread ? 10 ** -i : 1);
  return tensor(SHAPE, Float32Array.from({ length: 6 }, (_, i) => value(i)));
}

/** `next - before`, elementwise. */
function delta(next: Tensor64, before: Tensor64): Float64Array {
  return next.data.map((x, i) => x - before.data[i]);
}

Deno.test("every optimizer's graph follows its reference, through ORT and the interpreter", async (t) => {
  for (const [label, opt] of CASES) {
    const graph = optimizerGraph(opt);
    const names = ["p", ...opt.slots];
    await t.step(label, () =>
      withSession(graph, async (session) => {
        const r = new Random(11);
        const p = draw(r);
        const init = opt.init(Float32Array.from(p.data));
        const start = [p, ...init.map((s) => tensor(SHAPE, s))];
        // Several steps through ORT, the interpreter and the reference, each fed its own outputs.
        let [ort, interp, ref] = [start, start, start];
        for (let step = 1; step <= STEPS; step++) {
          const g = draw(r, true);
          const feeds = (values: Tensor64[]) => ({
            ...Object.fromEntries(names.map((n, k) => [n, values[k]])),
            g,
            step: tensor([], [step]),
            lr: tensor([], [opt.learningRate]),
          });
          const fromOrt = await runOrt(session, feeds(ort));
          const fromInterp = evaluate(graph, feeds(interp));
          const moved = delta(fromInterp[nextName("p")], interp[0]);
          ort = names.map((n) => tensor(SHAPE, fromOrt[nextName(n)]));
          interp = names.map((n) => fromInterp[nextName(n)]);
          const before = ref[0];
          ref = referenceUpdate(opt, ref, g, step, opt.learningRate);
          // The step itself, in float64 but for the graph's float32 constants (1 - β2^t
          // loses 1e-5 of β2's rounding): ε and the small gradients show here.
          assertAllClose(moved, delta(ref[0], before), 1e-4, `${label} step ${step} (update)`);
          names.forEach((n, k) => {
            const what = `${label} step ${step} ${nextName(n)}`;
            assertAllClose(ort[k].data, ref[k].data, 1e-6, `${what} (ORT)`);
            assertAllClose(interp[k].data, ref[k].data, 1e-6, `${what} (interpreter)`);
          });
          assert.notDeepEqual(ref[0].data, start[0].data, `${label}: the parameter did not move`);
        }
      }));
  }
});

/**
 * Keras's update of one value, written out as its documentation states it:
 * `(p, g, state, t, lr) -> [p, ...state]`.
 */
const KERAS: Record<
  string,
  (p: number, g: number, s: number[], t: number, lr: number) => number[]
> = {
  adam: (p, g, [m, v], t, lr) => {
    const m1 = 0.9 * m + 0.1 * g, v1 = 0.999 * v + 0.001 * g * g;
    const lrT = lr * Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t);
    return [p - lrT * m1 / (Math.sqrt(v1) + 1e-8), m1, v1];
  },
  adadelta: (p, g, [a, d], _t, lr) => {
    const a1 = 0.95 * a + 0.05 * g * g;
    const u = g * Math.sqrt(d + 1e-8) / Math.sqrt(a1 + 1e-8);
    return [p - lr * u, a1, 0.95 * d + 0.05 * u * u];
  },
  sgd: (p, g, _state, _t, lr) => [p - lr * g, -lr * g],
  rmsprop: (p, g, [v], _t, lr) => {
    const v1 = 0.9 * v + 0.1 * g * g;
    return [p - lr * g / (Math.sqrt(v1) + 1e-7), v1];
  },
};

Deno.test("the table's references are Keras's formulas with Keras's defaults", () => {
  const defaults = { adam: 1e-3, adadelta: 1.0, sgd: 0.01, rmsprop: 1e-3 };
  for (const name of OPTIMIZER_NAMES) {
    const opt = OPTIMIZERS[name](), keras = KERAS[name];
    if (!keras) continue; // an optimizer Keras does not have is held to its own reference only
    assert.equal(
      opt.learningRate,
      defaults[name as keyof typeof defaults],
      `${name}: learning rate`,
    );
    const r = new Random(5);
    let ours = [r.uniform(-1, 1), ...opt.slots.map(() => 0)], theirs = ours;
    for (let t = 1; t <= STEPS; t++) {
      const g = r.uniform(-1, 1);
      const next = opt.reference(ours[0], g, ours.slice(1), t, opt.learningRate);
      ours = [next.param, ...next.state];
      theirs = keras(theirs[0], g, theirs.slice(1), t, opt.learningRate);
      assertAllClose(ours, theirs, 1e-12, `${name} step ${t}`);
    }
  }
});

Deno.test("the table names each optimizer as the optimizer names itself", () => {
  assert.deepEqual(OPTIMIZER_NAMES, Object.keys(OPTIMIZERS));
  for (const name of OPTIMIZER_NAMES) {
    assert.equal(OPTIMIZERS[name]().name, name);
    assert.equal(optimizerByName(name).name, name);
  }
  for (const bad of ["adagrad", "constructor", "__proto__", "toString", "a\x1b[2J"]) {
    assert.throws(() => optimizerByName(bad), (e: unknown) => {
      assert.ok(e instanceof AutoencoderError);
      assert.equal(
        e.message,
        `Cannot use optimizer ${JSON.stringify(bad)}: it is not known; choose one of ${
          OPTIMIZER_NAMES.join(", ")
        }`,
      );
      return true;
    });
  }
});

Deno.test("state names stay those existing checkpoints hold", () => {
  // `<slot>.<param>` in graphs and checkpoints: renaming a slot orphans saved state.
  const saved = {
    adam: ["m", "v"],
    adadelta: ["accumulator", "delta_accumulator"],
    sgd: ["velocity"],
  };
  for (const [name, slots] of Object.entries(saved)) {
    assert.deepEqual(optimizerByName(name).slots, slots, name);
  }
  for (const name of OPTIMIZER_NAMES) {
    const init = OPTIMIZERS[name]().init(new Float32Array([1, 2, 3]));
    assert.ok(init.every((s) => s.length === 3 && s.every((x) => x === 0)), `${name}: zeros`);
  }
});

Deno.test("two steps of a chain cannot share a slot name", () => {
  assert.throws(
    () => chain(scaleByAdam(), scaleByAdam()),
    /^AutoencoderError: Cannot chain the optimizer steps: two steps have a slot named "m"; give each slot its own name$/,
  );
  assert.throws(
    () => exponentialDecay(2, 10),
    /^AutoencoderError: Cannot make the exponential decay/,
  );
});

Deno.test("the command line and fit take every optimizer of the table", async () => {
  const help = new TextDecoder().decode(
    (await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../src/cli/train.ts", import.meta.url).pathname,
        "--help",
      ],
    }).output()).stdout,
  );
  assert.match(help, new RegExp(`--optimizer NAME +${OPTIMIZER_NAMES.join(" \\| ")} `));
  const { train } = await loadMnistSubset();
  const images = train.images.subarray(0, 512 * 784);
  for (const name of OPTIMIZER_NAMES) {
    const options = await trainOptions(["--optimizer", name]);
    assert.equal(options?.optimizer.name, name);
    const choice: FitOptions["optimizer"] = name; // the option's type is the table's names
    const model = new UndercompleteAutoencoder({ codeSize: 32, seed: 0 });
    try {
      const { loss } = await model.fit(images, { epochs: 3, batchSize: 64, optimizer: choice });
      assert.ok(loss.every(Number.isFinite) && loss[2] < loss[0], `${name}: loss ${loss}`);
    } finally {
      await model.dispose();
    }
  }
});
