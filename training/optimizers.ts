/**
 * Optimizers as graph emitters with explicit state, in the manner of optax: an
 * optimizer is a chain of small {@linkcode Transform}s, each with its own state
 * slots, its update in the graph and the same update in plain TypeScript
 * (float64), which the tests hold the graph to. The learning rate and its
 * schedule are steps of the chain like any other.
 *
 * Per parameter, the state tensors, the step count `t` (1-based) and the learning
 * rate go into the graph as inputs; the updated parameter and state come out.
 * Updates are added to the parameters (the learning-rate step multiplies by
 * `-lr`), as in optax.
 *
 * {@linkcode OPTIMIZERS} is the one table of optimizers by name: the command
 * line's choices, the `optimizer` option's type and the tests all read it, so a
 * new optimizer is one function and one entry here.
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
 * @param steps The chain; end it with {@linkcode scaleByLearningRate}.
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
      return { param: b.add(param, resolve(next.update, ops(b))), state: next.state };
    },
    reference(param, grad, state, t, lr) {
      const next = step.reference({ numerator: grad }, state, { param, step: t, lr });
      return { param: param + resolve(next.update, NUMBERS), state: next.state };
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
 * import { defineOptimizer, scaleByLearningRate } from "./optimizers.ts";
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
 * import { exponentialDecay, scaleBySchedule } from "./optimizers.ts";
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
 * import { exponentialDecay } from "./optimizers.ts";
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

/** Adam hyperparameters. */
export interface AdamOptions {
  /** Default 1e-3. */
  learningRate?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
}

/**
 * Adam's moments and bias correction, Keras-1 form: `m = β1 m + (1-β1) g`,
 * `v = β2 v + (1-β2) g²`, update `√(1-β2^t) / (1-β1^t) · m / (√v + ε)`. Slots
 * `m` and `v`.
 *
 * @param options β1, β2 and ε (Keras defaults); `learningRate` is not read here.
 * @returns The step.
 *
 * @example
 * ```ts
 * import { scaleByAdam } from "./optimizers.ts";
 * console.assert(scaleByAdam().slots.length === 2);
 * ```
 */
export function scaleByAdam(options: AdamOptions = {}): Transform {
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = options;
  return {
    slots: [{ name: "m" }, { name: "v" }],
    emit(b, u, [m, v], { step }) {
      const c = (x: number) => b.scalar(x);
      const g = resolve(u, ops(b));
      const m1 = b.add(b.mul(c(beta1), m), b.mul(c(1 - beta1), g));
      const v1 = b.add(b.mul(c(beta2), v), b.mul(c(1 - beta2), b.mul(g, g)));
      const correction = b.div(
        b.sqrt(b.sub(c(1), b.pow(c(beta2), step))),
        b.sub(c(1), b.pow(c(beta1), step)),
      );
      const update = {
        scale: correction,
        numerator: m1,
        denominator: b.add(b.sqrt(v1), c(epsilon)),
      };
      return { update, state: [m1, v1] };
    },
    reference(u, [m, v], { step: t }) {
      const g = resolve(u, NUMBERS);
      const m1 = beta1 * m + (1 - beta1) * g;
      const v1 = beta2 * v + (1 - beta2) * g * g;
      const correction = Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
      const update = { scale: correction, numerator: m1, denominator: Math.sqrt(v1) + epsilon };
      return { update, state: [m1, v1] };
    },
  };
}

/**
 * Adam in its Keras-1 form: {@linkcode scaleByAdam} then the learning rate,
 * `p -= lr √(1-β2^t) / (1-β1^t) · m / (√v + ε)`.
 *
 * @param options Hyperparameters (Keras defaults).
 * @returns The optimizer.
 *
 * @example
 * ```ts
 * import { adam } from "./optimizers.ts";
 * const opt = adam();
 * const { param } = opt.reference(1, 0.5, [0, 0], 1, opt.learningRate);
 * console.assert(Math.abs(param - (1 - 1e-3)) < 1e-6);
 * ```
 */
export function adam(options: AdamOptions = {}): Optimizer {
  return defineOptimizer(
    "adam",
    options.learningRate ?? 1e-3,
    scaleByAdam(options),
    scaleByLearningRate(),
  );
}

/** Adadelta hyperparameters. */
export interface AdadeltaOptions {
  /** Default 1.0 (Keras 1; the blog's setting). */
  learningRate?: number;
  /** Default 0.95. */
  rho?: number;
  /** Default 1e-8. */
  epsilon?: number;
}

/**
 * Adadelta's step, Keras-1 form: `a = ρ a + (1-ρ) g²`,
 * `u = g √(d + ε) / √(a + ε)`, `d = ρ d + (1-ρ) u²`, update `u`. Slots
 * `accumulator` and `delta_accumulator`.
 *
 * @param options ρ and ε (Keras-1 defaults); `learningRate` is not read here.
 * @returns The step.
 *
 * @example
 * ```ts
 * import { scaleByAdadelta } from "./optimizers.ts";
 * console.assert(scaleByAdadelta().slots[0].name === "accumulator");
 * ```
 */
export function scaleByAdadelta(options: AdadeltaOptions = {}): Transform {
  const { rho = 0.95, epsilon = 1e-8 } = options;
  return {
    slots: [{ name: "accumulator" }, { name: "delta_accumulator" }],
    emit(b, update, [a, d]) {
      const c = (x: number) => b.scalar(x);
      const g = resolve(update, ops(b));
      const a1 = b.add(b.mul(c(rho), a), b.mul(c(1 - rho), b.mul(g, g)));
      const u = b.div(b.mul(g, b.sqrt(b.add(d, c(epsilon)))), b.sqrt(b.add(a1, c(epsilon))));
      const d1 = b.add(b.mul(c(rho), d), b.mul(c(1 - rho), b.mul(u, u)));
      return { update: { numerator: u }, state: [a1, d1] };
    },
    reference(update, [a, d]) {
      const g = resolve(update, NUMBERS);
      const a1 = rho * a + (1 - rho) * g * g;
      const u = g * Math.sqrt(d + epsilon) / Math.sqrt(a1 + epsilon);
      return { update: { numerator: u }, state: [a1, rho * d + (1 - rho) * u * u] };
    },
  };
}

/**
 * Adadelta in its Keras-1 form: {@linkcode scaleByAdadelta} then the learning
 * rate, `p -= lr u`. Keras 1's default learning rate 1.0 is the one the blog
 * trained with.
 *
 * @param options Hyperparameters (Keras-1 defaults).
 * @returns The optimizer.
 *
 * @example
 * ```ts
 * import { adadelta } from "./optimizers.ts";
 * console.assert(adadelta().learningRate === 1);
 * ```
 */
export function adadelta(options: AdadeltaOptions = {}): Optimizer {
  return defineOptimizer(
    "adadelta",
    options.learningRate ?? 1.0,
    scaleByAdadelta(options),
    scaleByLearningRate(),
  );
}

/** RMSprop hyperparameters. */
export interface RmspropOptions {
  /** Default 1e-3 (Keras). */
  learningRate?: number;
  /** Default 0.9. */
  rho?: number;
  /** Default 1e-7 (Keras 2 and tf.keras; Keras 1 had 1e-8). */
  epsilon?: number;
}

/**
 * RMSprop's scaling: `v = ρ v + (1-ρ) g²`, update `g / (√v + ε)`. Slot `rms`.
 *
 * @param options ρ and ε (Keras defaults); `learningRate` is not read here.
 * @returns The step.
 *
 * @example
 * ```ts
 * import { scaleByRms } from "./optimizers.ts";
 * console.assert(scaleByRms().slots[0].name === "rms");
 * ```
 */
export function scaleByRms(options: RmspropOptions = {}): Transform {
  const { rho = 0.9, epsilon = 1e-7 } = options;
  return {
    slots: [{ name: "rms" }],
    emit(b, update, [v]) {
      const c = (x: number) => b.scalar(x);
      const g = resolve(update, ops(b));
      const v1 = b.add(b.mul(c(rho), v), b.mul(c(1 - rho), b.mul(g, g)));
      return { update: { numerator: g, denominator: b.add(b.sqrt(v1), c(epsilon)) }, state: [v1] };
    },
    reference(update, [v]) {
      const g = resolve(update, NUMBERS);
      const v1 = rho * v + (1 - rho) * g * g;
      return { update: { numerator: g, denominator: Math.sqrt(v1) + epsilon }, state: [v1] };
    },
  };
}

/**
 * RMSprop as Keras has it (Keras 1 and 2, and tf.keras without momentum):
 * `v = ρ v + (1-ρ) g²`, `p -= lr · g / (√v + ε)`, with ε outside the square
 * root and `v` starting at zero. The blog's variational autoencoder trains with it.
 *
 * @param options Hyperparameters (Keras defaults: lr 1e-3, ρ 0.9, ε 1e-7).
 * @returns The optimizer.
 *
 * @example
 * ```ts
 * import { rmsprop } from "./optimizers.ts";
 * const opt = rmsprop();
 * // First step: v = 0.1 g², so the step is lr / (√0.1 + ε) whatever g's size.
 * const { param } = opt.reference(0, 2, [0], 1, opt.learningRate);
 * console.assert(Math.abs(param + 1e-3 / Math.sqrt(0.1)) < 1e-9);
 * ```
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  return defineOptimizer(
    "rmsprop",
    options.learningRate ?? 1e-3,
    scaleByRms(options),
    scaleByLearningRate(),
  );
}

/** SGD hyperparameters. */
export interface SgdOptions {
  /** Default 0.01 (Keras). */
  learningRate?: number;
  /** Default 0 (plain SGD). */
  momentum?: number;
}

/**
 * Keras-style momentum on an update that already holds the learning rate:
 * `v = μ v + u`, update `v`. Slot `velocity`. After {@linkcode scaleByLearningRate}
 * this is Keras's `v = μ v - lr g`, `p += v`.
 *
 * @param momentum μ.
 * @returns The step.
 *
 * @example
 * ```ts
 * import { momentum } from "./optimizers.ts";
 * const { update } = momentum(0.5).reference({ numerator: 1 }, [2], { param: 0, step: 1, lr: 1 });
 * console.assert(update.numerator === 2);
 * ```
 */
export function momentum(momentum: number): Transform {
  return {
    slots: [{ name: "velocity" }],
    emit(b, update, [v]) {
      const v1 = b.add(b.mul(b.scalar(momentum), v), resolve(update, ops(b)));
      return { update: { numerator: v1 }, state: [v1] };
    },
    reference(update, [v]) {
      const v1 = momentum * v + resolve(update, NUMBERS);
      return { update: { numerator: v1 }, state: [v1] };
    },
  };
}

/**
 * Stochastic gradient descent with Keras-style momentum: the learning rate,
 * then {@linkcode momentum}: `v = μ v - lr g`, `p += v`. The `velocity` slot is
 * kept at momentum 0 too, as checkpoints of plain SGD hold it.
 *
 * @param options Hyperparameters.
 * @returns The optimizer.
 *
 * @example
 * ```ts
 * import { sgd } from "./optimizers.ts";
 * console.assert(sgd().reference(1, 1, [0], 1, 0.5).param === 0.5);
 * ```
 */
export function sgd(options: SgdOptions = {}): Optimizer {
  return defineOptimizer(
    "sgd",
    options.learningRate ?? 0.01,
    scaleByLearningRate(),
    momentum(options.momentum ?? 0),
  );
}

// ---------------------------------------------------------------------------
// The table

/**
 * The optimizers by name, each with its defaults: the command line's
 * `--optimizer` choices, the names `fit` accepts and the optimizers the tests
 * hold to their references. A new optimizer is one entry here.
 */
export const OPTIMIZERS = { adam, adadelta, sgd, rmsprop } as const satisfies Record<
  string,
  () => Optimizer
>;

/** A name in {@linkcode OPTIMIZERS}. */
export type OptimizerName = keyof typeof OPTIMIZERS;

/** The names in {@linkcode OPTIMIZERS}, in table order. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.keys(
  OPTIMIZERS,
) as OptimizerName[];

/**
 * Looks an optimizer up by name with its default settings.
 *
 * @param name A name in {@linkcode OPTIMIZERS}.
 * @returns The optimizer.
 * @throws {AutoencoderError} When the name is not in the table.
 *
 * @example
 * ```ts
 * import { optimizerByName } from "./optimizers.ts";
 * console.assert(optimizerByName("rmsprop").name === "rmsprop");
 * ```
 */
export function optimizerByName(name: string): Optimizer {
  if (!Object.hasOwn(OPTIMIZERS, name)) {
    throw new AutoencoderError(
      `Cannot use optimizer ${quote(name)}: it is not known; choose one of ${
        OPTIMIZER_NAMES.join(", ")
      }`,
    );
  }
  return OPTIMIZERS[name as OptimizerName]();
}
