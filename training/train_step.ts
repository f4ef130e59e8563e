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
 * loss: the sum of the loss's terms (`Architecture.loss`, binary cross-entropy by
 * default); `penalty` gives the regularizers' share alone when the loss has any.
 * The evaluation graph's `loss` leaves the regularizers out.
 *
 * The fit loop feeds the `next.*` outputs back as the next step's inputs. A graph
 * of several updates (`steps`) chains them inside: it takes a batch per update
 * (`input.<k>`, ...) and gives each update's losses (`loss.<k>`, ...), but only the
 * state after the last, so that the state crosses from the runtime to JavaScript
 * once per run.
 *
 * @module
 */

import type { Value } from "../src/ir/graph.ts";
import { Builder } from "../src/ops/builder.ts";
import { grad } from "../src/autodiff/grad.ts";
import { AutoencoderError } from "../src/errors.ts";
import {
  type Architecture,
  emitForward,
  type Forward,
  paramsAsInputs,
  paramSpecs,
} from "../src/nn/architecture.ts";
import type { LayerContext } from "../src/nn/layers.ts";
import { DEFAULT_LOSS, type Loss, type LossInputs } from "../src/nn/losses.ts";
import type { Optimizer } from "./optimizers.ts";
import { nextName, stateName, STEP } from "./state.ts";

/** Options of {@link buildTrainStep}. */
export interface TrainStepOptions {
  /** Feed a separate `target` (denoising); otherwise the input is its own target. */
  separateTarget?: boolean;
  /**
   * Updates per run (default 1): the graph applies this many steps one after the
   * other, each on its own batch, and returns only the state after the last (see
   * {@link stepName}).
   */
  steps?: number;
}

/**
 * The name of a per-step input or output (`input`, `target`, a noise input, `loss`,
 * `penalty`) in a graph of `steps` updates: the name itself in a one-step graph,
 * `<name>.<k>` for update `k` (from 0) in a longer one.
 *
 * @param name The name in a one-step graph.
 * @param k The update, from 0.
 * @param steps Updates per run.
 * @returns The name in the graph.
 */
export function stepName(name: string, k: number, steps: number): string {
  return steps === 1 ? name : `${name}.${k}`;
}

/**
 * Builds the train-step graph.
 *
 * @param arch The architecture.
 * @param optimizer The optimizer whose update the graph applies.
 * @param options Target handling, updates per run.
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
 * console.assert(buildTrainStep(arch, adam(), { steps: 2 }).graph.outputs[1].name === "loss.1");
 * ```
 */
export function buildTrainStep(
  arch: Architecture,
  optimizer: Optimizer,
  options: TrainStepOptions = {},
): Builder {
  const b = new Builder();
  const g = b.graph;
  const steps = options.steps ?? 1;
  const name = (n: string, k: number) => stepName(n, k, steps);
  let current = new Map<string, Value>(); // the parameters step k reads
  let slots = new Map<string, Value[]>(); // and their optimizer state (after step 0)
  let step!: Value, lr!: Value;
  for (let k = 0; k < steps; k++) {
    const x = g.input(name("input", k), "float32", ["N", ...arch.inputShape]);
    const target = options.separateTarget ? g.input(name("target", k), x.dtype, x.shape) : x;
    if (k === 0) {
      const asInputs = paramsAsInputs(b);
      for (const spec of paramSpecs(arch)) asInputs.ctx.param(spec); // inputs in layer order
      current = asInputs.inputs;
    }
    const read = current;
    const ctx: LayerContext = {
      b,
      param: (spec) => read.get(spec.name)!,
      noise: (spec) => g.input(name(spec.name, k), "float32", ["N", ...spec.shape]),
    };
    const forward = emitForward(ctx, arch, "autoencoder", x);
    const terms = g.withScope("loss", () => emitTerms(b, arch.loss, forward, target));
    let loss = terms.reconstruction;
    if (terms.penalty) {
      loss = b.add(loss, terms.penalty);
      g.output(name("penalty", k), terms.penalty);
    }
    const grads = grad(b, loss, [...current.values()]);
    if (k === 0) {
      step = g.input(STEP, "float32", []);
      lr = g.input("lr", "float32", []);
    }
    g.output(name("loss", k), loss);
    const t = k === 0 ? step : b.add(step, b.scalar(k));
    const next = new Map<string, Value>(), nextSlots = new Map<string, Value[]>();
    for (const [param, p] of current) {
      const state = slots.get(param) ??
        optimizer.slots.map((slot) => g.input(stateName(slot, param), "float32", p.shape));
      const updated = g.withScope(
        `optimizer.${param}`,
        () => optimizer.update(b, p, grads.get(p)!, state, { step: t, lr }),
      );
      next.set(param, updated.param);
      nextSlots.set(param, updated.state);
      if (k === steps - 1) g.output(nextName(param), updated.param);
    }
    [current, slots] = [next, nextSlots];
  }
  for (const [param, state] of slots) {
    optimizer.slots.forEach((slot, i) => g.output(nextName(stateName(slot, param)), state[i]));
  }
  return b;
}

/**
 * Builds the evaluation graph: `input` (and `target`), the parameters (and the
 * layers' noise) in, `loss` (the loss's terms but its regularizers, for the batch)
 * out, and with several such terms each one as `term.<name>` (a variational
 * autoencoder's `term.bce(sum)` and `term.kl(code)`).
 *
 * @param arch The architecture.
 * @param options Target handling.
 * @returns The graph's builder.
 */
export function buildEvalStep(arch: Architecture, options: TrainStepOptions = {}): Builder {
  const b = new Builder();
  const x = b.graph.input("input", "float32", ["N", ...arch.inputShape]);
  const target = options.separateTarget ? b.graph.input("target", "float32", x.shape) : x;
  const { ctx } = paramsAsInputs(b, true);
  const forward = emitForward(ctx, arch, "autoencoder", x);
  const terms = emitTerms(b, arch.loss, forward, target, false);
  b.graph.output("loss", terms.reconstruction);
  if (terms.parts.length > 1) {
    for (const [name, v] of terms.parts) b.graph.output(termOutput(name), v);
  }
  return b;
}

/**
 * Name of the evaluation graph's output holding one loss term.
 *
 * @param term The term's name, e.g. `"kl(code)"`.
 * @returns `term.<name>`.
 */
export function termOutput(term: string): string {
  return `term.${term}`;
}

/**
 * Emits a loss's terms: the sum of those that are not regularizers and, when
 * `training` and there are any, the sum of the regularizers.
 */
function emitTerms(
  b: Builder,
  loss: Loss = DEFAULT_LOSS,
  forward: Forward,
  target: Value,
  training = true,
): { reconstruction: Value; penalty?: Value; parts: [string, Value][] } {
  const inputs: LossInputs = {
    b,
    output: forward.output,
    preActivation: forward.preActivation,
    activation: forward.activation,
    target,
    activations: forward.activations,
  };
  const emitted = (terms: Loss) => terms.map((t): [string, Value] => [t.name, t.emit(inputs)]);
  const sum = (parts: [string, Value][]) =>
    parts.length ? parts.map(([, v]) => v).reduce((a, v) => b.add(a, v)) : undefined;
  const parts = emitted(loss.filter((t) => !t.regularizer));
  const reconstruction = sum(parts);
  if (!reconstruction) {
    throw new AutoencoderError(
      `Cannot build the loss: it has only regularizers (${
        loss.map((t) => t.name).join(", ")
      }); add a reconstruction term such as "bce" or "mse"`,
    );
  }
  const penalty = training ? sum(emitted(loss.filter((t) => t.regularizer))) : undefined;
  return { reconstruction, penalty, parts };
}
