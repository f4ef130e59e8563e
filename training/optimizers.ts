/**
 * The optimizers: each algorithm's chain step (Adam's moments, Adadelta's,
 * RMSprop's scaling, Keras's momentum) and the optimizer that chains it with the
 * learning rate, built with `chain.ts`; and {@linkcode OPTIMIZERS}, the one table
 * of optimizers by name that the command line's choices, the `optimizer` option's
 * type and the tests read. A new optimizer is its step, its function and its
 * entry in the table, all in this file.
 *
 * @module
 */

import { AutoencoderError, quote } from "../src/errors.ts";
import {
  defineOptimizer,
  type Optimizer,
  scaleByLearningRate,
  type Transform,
  updateNumber,
  updateTensor,
} from "./chain.ts";

export {
  chain,
  defineOptimizer,
  exponentialDecay,
  type Optimizer,
  scaleByLearningRate,
  scaleBySchedule,
  type Schedule,
  type Slot,
  type StepInputs,
  type StepResult,
  type Transform,
  type Update,
  type UpdateInputs,
  updateNumber,
  updateTensor,
} from "./chain.ts";

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
      const g = updateTensor(b, u);
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
      const g = updateNumber(u);
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
      const g = updateTensor(b, update);
      const a1 = b.add(b.mul(c(rho), a), b.mul(c(1 - rho), b.mul(g, g)));
      const u = b.div(b.mul(g, b.sqrt(b.add(d, c(epsilon)))), b.sqrt(b.add(a1, c(epsilon))));
      const d1 = b.add(b.mul(c(rho), d), b.mul(c(1 - rho), b.mul(u, u)));
      return { update: { numerator: u }, state: [a1, d1] };
    },
    reference(update, [a, d]) {
      const g = updateNumber(update);
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
      const g = updateTensor(b, update);
      const v1 = b.add(b.mul(c(rho), v), b.mul(c(1 - rho), b.mul(g, g)));
      return { update: { numerator: g, denominator: b.add(b.sqrt(v1), c(epsilon)) }, state: [v1] };
    },
    reference(update, [v]) {
      const g = updateNumber(update);
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
      const v1 = b.add(b.mul(b.scalar(momentum), v), updateTensor(b, update));
      return { update: { numerator: v1 }, state: [v1] };
    },
    reference(update, [v]) {
      const v1 = momentum * v + updateNumber(update);
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
export const OPTIMIZERS: Readonly<Record<OptimizerName, () => Optimizer>> = {
  adam,
  adadelta,
  sgd,
  rmsprop,
};

/** A name in {@linkcode OPTIMIZERS}. */
export type OptimizerName = "adam" | "adadelta" | "sgd" | "rmsprop";

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
