/**
 * The training-step and evaluation graphs. One train step is a single ONNX graph:
 *
 * ```
 * inputs:  input [N, ...], (target [N, ...]), every parameter, every optimizer
 *          state tensor (`<slot>.<param>`), step, lr
 * outputs: (penalty), loss, `next.<param>` for every parameter, `next.<slot>.<param>`
 * ```
 *
 * `loss` is what the optimizer minimises and what Keras reports as the training
 * loss: the binary cross-entropy plus the activity penalties, which `penalty`
 * also gives alone when the architecture has any.
 *
 * ```
 * ```
 *
 * The fit loop feeds the `next.*` outputs back as the next step's inputs.
 *
 * @module
 */

import type { Value } from "../src/ir/graph.ts";
import { Builder } from "../src/ops/builder.ts";
import { grad } from "../src/autodiff/grad.ts";
import {
  type Architecture,
  emitForward,
  paramsAsInputs,
  paramSpecs,
} from "../src/nn/architecture.ts";
import { binaryCrossEntropyFromLogits } from "../src/nn/losses.ts";
import type { Optimizer } from "./optimizers.ts";

/** Options of {@link buildTrainStep}. */
export interface TrainStepOptions {
  /** Feed a separate `target` (denoising); otherwise the input is its own target. */
  separateTarget?: boolean;
}

/** Name of the graph input holding optimizer state `slot` of parameter `param`. */
export function stateName(slot: string, param: string): string {
  return `${slot}.${param}`;
}

/** Name of the graph output holding the next value of input `name`. */
export function nextName(name: string): string {
  return `next.${name}`;
}

/**
 * Builds the train-step graph.
 *
 * @param arch The architecture.
 * @param optimizer The optimizer whose update the graph applies.
 * @param options Target handling.
 * @returns The graph's builder, with inputs and outputs named as in the module doc.
 *
 * @example
 * ```ts
 * import { Dense } from "../src/nn/layers.ts";
 * import { adam } from "./optimizers.ts";
 * import { buildTrainStep } from "./train_step.ts";
 * const arch = { inputShape: [4], encoder: [new Dense(2, "relu")], decoder: [new Dense(4, "sigmoid")] };
 * const b = buildTrainStep(arch, adam());
 * console.assert(b.graph.outputs[0].name === "loss");
 * ```
 */
export function buildTrainStep(
  arch: Architecture,
  optimizer: Optimizer,
  options: TrainStepOptions = {},
): Builder {
  const b = new Builder();
  const g = b.graph;
  const x = g.input("input", "float32", ["N", ...arch.inputShape]);
  const target = options.separateTarget ? g.input("target", "float32", x.shape) : x;
  const { ctx, inputs: params } = paramsAsInputs(b);
  const penalties: Value[] = [];
  ctx.penalize = (p) => penalties.push(p);
  for (const spec of paramSpecs(arch)) ctx.param(spec); // inputs in layer order
  const { output: logits } = emitForward(ctx, arch, "autoencoder", x, true);
  let loss = g.withScope("loss", () => binaryCrossEntropyFromLogits(b, logits, target));
  if (penalties.length) {
    const penalty = penalties.reduce((a, p) => b.add(a, p));
    loss = b.add(loss, penalty);
    g.output("penalty", penalty);
  }
  const grads = grad(b, loss, [...params.values()]);

  const step = g.input("step", "float32", []);
  const lr = g.input("lr", "float32", []);
  g.output("loss", loss);
  const states: [string, Value][] = [];
  for (const [name, p] of params) {
    const state = optimizer.slots.map((slot) => g.input(stateName(slot, name), "float32", p.shape));
    const next = g.withScope(
      `optimizer.${name}`,
      () => optimizer.update(b, p, grads.get(p)!, state, { step, lr }),
    );
    g.output(nextName(name), next.param);
    optimizer.slots.forEach((slot, i) => states.push([stateName(slot, name), next.state[i]]));
  }
  for (const [name, v] of states) g.output(nextName(name), v);
  return b;
}

/**
 * Builds the evaluation graph: `input` (and `target`) and the parameters in,
 * `loss` (mean binary cross-entropy of the batch) out.
 *
 * @param arch The architecture.
 * @param options Target handling.
 * @returns The graph's builder.
 */
export function buildEvalStep(arch: Architecture, options: TrainStepOptions = {}): Builder {
  const b = new Builder();
  const x = b.graph.input("input", "float32", ["N", ...arch.inputShape]);
  const target = options.separateTarget ? b.graph.input("target", "float32", x.shape) : x;
  const { ctx } = paramsAsInputs(b);
  const { output: logits } = emitForward(ctx, arch, "autoencoder", x, true);
  b.graph.output("loss", binaryCrossEntropyFromLogits(b, logits, target));
  return b;
}
