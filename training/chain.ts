/**
 * The machinery of optimizers, in the manner of optax: an optimizer is a chain of
 * small {@linkcode Transform}s, each with its own state slots, its update in the
 * graph and the same update in plain TypeScript (float64), which the tests hold
 * the graph to. The learning rate and its schedule are steps of the chain like
 * any other; the algorithms' steps and the table of optimizers by name are in
 * `optimizers.ts`.
 *
 * Per parameter, the state tensors, the step count `t` (1-based) and the learning
 * rate go into the graph as inputs; the updated parameter and state come out.
 * Updates are added to the parameters (the learning-rate step multiplies by
 * `-lr`), as in optax.
 *
 * @module
 */

import { AutoencoderError, quote } from "../src/errors.ts";
import type { Value } from "../src/ir/graph.ts";
import type { Builder } from "../src/ops/builder.ts";

/** Graph inputs an optimizer update sees besides the parameter and its gradient. */
export interface UpdateInputs {
  /** Step number `t`, 1 for the first update, a float32 scalar. */
  step: Value;
  /** Learning rate, a float32 scalar (a graph input so schedules need no rebuild). */
  lr: Value;
}

/**
 * An update as a chain carries it: `scale · numerator / denominator`. Scalar
 * factors (the learning rate, a schedule, a bias correction) multiply `scale`, a
 * scalar, and meet the per-element `numerator` once, before `denominator` divides
 * it: the order Keras writes `lr · m / (√v + ε)` in, so a schedule costs no
 * per-element operation and Keras's rounding is kept.
 *
 * `T` is `Value` in the graph and `number` in the reference.
 */
export interface Update<T> {
  /** Per-element tensor; the gradient at the start of the chain. */
  numerator: T;
  /** Per-element divisor (a preconditioner such as `√v + ε`), if any. */
  denominator?: T;
  /** Scalar factor, if any. */
  scale?: T;
}

/** What a chain step sees besides the update and its own state. */
export interface StepInputs<T> {
  /** The parameter before the update. */
  param: T;
  /** Step number `t`, 1 for the first update. */
  step: T;
  /** The learning rate fed for this step. */
  lr: T;
}

/** A chain step's result: the update it passes on and its next state, in slot order. */
export interface StepResult<T> {
  /** The update for the next step of the chain. */
  update: Update<T>;
  /** The step's next state, in the order of its slots. */
  state: T[];
}

/** A per-parameter state tensor of a chain step: its name and its initial value. */
export interface Slot {
  /** Name; the state tensor of parameter `p` is `<name>.<p>` in graphs and checkpoints. */
  readonly name: string;
  /** Initial value from the parameter's values (default zeros). */
  readonly init?: (param: Float32Array) => Float32Array;
}

/**
 * One step of an optimizer chain (optax's `GradientTransformation`): it reads the
 * update so far and its own state, and gives the next update and state.
 */
export interface Transform {
  /** The step's state slots. */
  readonly slots: readonly Slot[];
  /** Emits the step into the graph. */
  emit(
    b: Builder,
    update: Update<Value>,
    state: readonly Value[],
    inputs: StepInputs<Value>,
  ): StepResult<Value>;
  /** The same step in plain TypeScript (float64), elementwise. */
  reference(
    update: Update<number>,
    state: readonly number[],
    inputs: StepInputs<number>,
  ): StepResult<number>;
}

/** An optimizer: named state slots per parameter, an update in the graph, and its reference. */
export interface Optimizer {
  /** Name, e.g. `"adam"`; checkpoints record it. */
  readonly name: string;
  /** Default learning rate. */
  readonly learningRate: number;
  /** Names of the per-parameter state tensors (each the parameter's shape). */
  readonly slots: readonly string[];
  /**
   * The initial state of one parameter (optax's `init`).
   *
   * @returns One tensor per slot, in `slots` order.
   */
  init(param: Float32Array): Float32Array[];
  /**
   * Emits the update of one parameter.
   *
   * @returns The new parameter and the new state, in `slots` order.
   */
  update(b: Builder, param: Value, grad: Value, state: readonly Value[], inputs: UpdateInputs): {
    param: Value;
    state: Value[];
  };
  /** The same update in plain TypeScript (float64), elementwise. */
  reference(param: number, grad: number, state: number[], step: number, lr: number): {
    param: number;
    state: number[];
  };
}

/** Arithmetic an update needs, in the graph or on numbers. */
interface Arithmetic<T> {
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
}

const NUMBERS: Arithmetic<number> = { mul: (a, b) => a * b, div: (a, b) => a / b };
const ops = (b: Builder): Arithmetic<Value> => ({
  mul: (x, y) => b.mul(x, y),
  div: (x, y) => b.div(x, y),
});

/** `scale · numerator / denominator` as one tensor. */
function resolve<T>(u: Update<T>, { mul, div }: Arithmetic<T>): T {
  const scaled = u.scale === undefined ? u.numerator : mul(u.scale, u.numerator);
  return u.denominator === undefined ? scaled : div(scaled, u.denominator);
}

/**
 * An update as one tensor of the graph, `scale · numerator / denominator`: what a
 * step that needs the update itself (a moment, a momentum) reads.
 *
 * @param b The graph's builder.
 * @param update The update so far.
 * @returns The tensor (the numerator itself when there is no scale or denominator).
 *
 * @example
 * ```ts
 * import { Builder } from "../src/ops/builder.ts";
 * import { updateTensor } from "./chain.ts";
 * const b = new Builder();
 * const g = b.graph.input("g", "float32", [3]);
 * console.assert(updateTensor(b, { numerator: g }) === g);
 * ```
 */
export function updateTensor(b: Builder, update: Update<Value>): Value {
  return resolve(update, ops(b));
}

/**
 * {@linkcode updateTensor} in plain TypeScript.
 *
 * @param update The update so far, elementwise.
 * @returns `scale · numerator / denominator`.
 *
 * @example
 * ```ts
 * import { updateNumber } from "./chain.ts";
 * console.assert(updateNumber({ scale: 2, numerator: 3, denominator: 4 }) === 1.5);
 * ```
 */
export function updateNumber(update: Update<number>): number {
  return resolve(update, NUMBERS);
}

/** The update with its scalar factor multiplied by `factor`. */
function rescale<T>(u: Update<T>, factor: T, { mul }: Arithmetic<T>): Update<T> {
  return { ...u, scale: u.scale === undefined ? factor : mul(u.scale, factor) };
}

/** Runs `steps` in order, each on its share of `state`. */
function thread<T>(
  steps: readonly Transform[],
  update: Update<T>,
  state: readonly T[],
  run: (step: Transform, update: Update<T>, state: readonly T[]) => StepResult<T>,
): StepResult<T> {
  const next: T[] = [];
  for (const step of steps) {
    const result = run(step, update, state.slice(next.length, next.length + step.slots.length));
    update = result.update;
    next.push(...result.state);
  }
  return { update, state: next };
}

/**
 * Chains steps into one (optax's `chain`): each step reads the update the one
 * before it gave; the state is the steps' slots in order.
 *
 * @param steps The steps, first applied first.
 * @returns The chained step.
 * @throws {AutoencoderError} When two steps name a slot alike.
 *
 * @example
 * ```ts
 * import { chain, scaleByAdam, scaleByLearningRate } from "./optimizers.ts";
 * const step = chain(scaleByAdam(), scaleByLearningRate());
 * console.assert(step.slots.map((s) => s.name).join() === "m,v");
 * ```
 */
export function chain(...steps: Transform[]): Transform {
  const slots = steps.flatMap((s) => s.slots);
  const names = slots.map((s) => s.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) {
    throw new AutoencoderError(
      `Cannot chain the optimizer steps: two steps have a slot named ${
        quote(twice)
      }; give each slot its own name`,
    );
  }
  return {
    slots,
    emit: (b, update, state, inputs) =>
      thread(steps, update, state, (s, u, st) => s.emit(b, u, st, inputs)),
    reference: (update, state, inputs) =>
      thread(steps, update, state, (s, u, st) => s.reference(u, st, inputs)),
  };
}

/**
 * Makes an optimizer of a chain of steps: the parameter plus the chain's update
 * of its gradient.
 *
 * @param name The optimizer's name (checkpoints record it).
 * @param learningRate Its default learning rate.
 * @param steps The chain, with a {@linkcode scaleByLearningRate} step (without one the
 * learning rate is not read and the update is not a descent step).
 * @returns The optimizer.
 *
 * @example
 * ```ts
 * import {
 *   defineOptimizer, exponentialDecay, scaleByAdam, scaleByLearningRate, scaleBySchedule,
 * } from "./optimizers.ts";
 * // Adam whose learning rate halves every 1000 steps.
 * const opt = defineOptimizer(
 *   "adam-decay", 1e-3,
 *   scaleByAdam(), scaleBySchedule(exponentialDecay(0.5, 1000)), scaleByLearningRate(),
 * );
 * console.assert(opt.slots.join() === "m,v");
 * ```
 */
export function defineOptimizer(
  name: string,
  learningRate: number,
  ...steps: Transform[]
): Optimizer {
  const step = chain(...steps);
  return {
    name,
    learningRate,
    slots: step.slots.map((s) => s.name),
    init: (param) => step.slots.map((s) => s.init?.(param) ?? new Float32Array(param.length)),
    update(b, param, grad, state, { step: t, lr }) {
      const next = step.emit(b, { numerator: grad }, state, { param, step: t, lr });
      return { param: b.add(param, updateTensor(b, next.update)), state: next.state };
    },
    reference(param, grad, state, t, lr) {
      const next = step.reference({ numerator: grad }, state, { param, step: t, lr });
      return { param: param + updateNumber(next.update), state: next.state };
    },
  };
}

// ---------------------------------------------------------------------------
// Steps

/**
 * Multiplies the update by `-lr`, the learning rate fed for the step (so
 * callbacks can change it without a rebuild), turning it into a descent step.
 *
 * @returns The step (no state).
 *
 * @example
 * ```ts
 * import { defineOptimizer, scaleByLearningRate } from "./chain.ts";
 * const plain = defineOptimizer("gd", 0.1, scaleByLearningRate());
 * console.assert(plain.reference(1, 2, [], 1, 0.1).param === 0.8);
 * ```
 */
export function scaleByLearningRate(): Transform {
  return {
    slots: [],
    emit: (b, u, _state, { lr }) => ({ update: rescale(u, b.neg(lr), ops(b)), state: [] }),
    reference: (u, _state, { lr }) => ({ update: rescale(u, -lr, NUMBERS), state: [] }),
  };
}

/** A factor of the learning rate as a function of the step `t` (1 for the first update). */
export interface Schedule {
  /** Emits the factor at step `t` (a float32 scalar). */
  emit(b: Builder, t: Value): Value;
  /** The factor at step `t`, in plain TypeScript. */
  at(t: number): number;
}

/**
 * Multiplies the update by a schedule's factor at the current step.
 *
 * @param schedule The schedule, e.g. {@linkcode exponentialDecay}.
 * @returns The step (no state).
 *
 * @example
 * ```ts
 * import { exponentialDecay, scaleBySchedule } from "./chain.ts";
 * const step = scaleBySchedule(exponentialDecay(0.5, 10));
 * const { update } = step.reference({ numerator: 1 }, [], { param: 0, step: 11, lr: 1 });
 * console.assert(update.scale === 0.5);
 * ```
 */
export function scaleBySchedule(schedule: Schedule): Transform {
  return {
    slots: [],
    emit: (b, u, _state, { step }) => ({
      update: rescale(u, schedule.emit(b, step), ops(b)),
      state: [],
    }),
    reference: (u, _state, { step }) => ({
      update: rescale(u, schedule.at(step), NUMBERS),
      state: [],
    }),
  };
}

/**
 * Exponential decay as Keras's `ExponentialDecay` (not staircased):
 * `rate^((t - 1) / steps)`, so the first update has the full learning rate.
 *
 * @param rate Factor per `steps` updates, in (0, 1].
 * @param steps Updates over which the factor is `rate`.
 * @returns The schedule.
 * @throws {AutoencoderError} When `rate` or `steps` is out of range.
 *
 * @example
 * ```ts
 * import { exponentialDecay } from "./chain.ts";
 * console.assert(exponentialDecay(0.5, 100).at(201) === 0.25);
 * ```
 */
export function exponentialDecay(rate: number, steps: number): Schedule {
  if (!(rate > 0 && rate <= 1) || !(steps > 0 && Number.isFinite(steps))) {
    throw new AutoencoderError(
      `Cannot make the exponential decay: the rate must be in (0, 1] and the steps a finite number > 0, got rate ${rate} and steps ${steps}`,
    );
  }
  return {
    emit: (b, t) => b.pow(b.scalar(rate), b.div(b.sub(t, b.scalar(1)), b.scalar(steps))),
    at: (t) => rate ** ((t - 1) / steps),
  };
}
