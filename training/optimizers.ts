/**
 * Optimizers as graph emitters with explicit state, in the manner of optax's
 * `init` / `update`: the state tensors of each parameter, the step count `t`
 * (1-based) and the learning rate go into the graph as inputs, and the updated
 * parameter and state come out. Each optimizer also has a plain-TypeScript
 * reference of the same update, which the tests hold the graph to.
 *
 * @module
 */

import { AutoencoderError } from "../src/errors.ts";
import type { Value } from "../src/ir/graph.ts";
import type { Builder } from "../src/ops/builder.ts";

/** Graph inputs an optimizer update sees besides the parameter and its gradient. */
export interface UpdateInputs {
  /** Step number `t`, 1 for the first update, a float32 scalar. */
  step: Value;
  /** Learning rate, a float32 scalar (a graph input so schedules need no rebuild). */
  lr: Value;
}

/** An optimizer: named state slots per parameter, an update in the graph, and its reference. */
export interface Optimizer {
  /** Name, e.g. `"adam"`. */
  readonly name: string;
  /** Default learning rate. */
  readonly learningRate: number;
  /** Names of the per-parameter state tensors (each the parameter's shape, zeros at start). */
  readonly slots: readonly string[];
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
 * Adam in its Keras-1 form: `m = β1 m + (1-β1) g`, `v = β2 v + (1-β2) g²`,
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
  const { learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = options;
  return {
    name: "adam",
    learningRate,
    slots: ["m", "v"],
    update(b, p, g, [m, v], { step, lr }) {
      const c = (x: number) => b.scalar(x);
      const m1 = b.add(b.mul(c(beta1), m), b.mul(c(1 - beta1), g));
      const v1 = b.add(b.mul(c(beta2), v), b.mul(c(1 - beta2), b.mul(g, g)));
      const correction = b.div(
        b.sqrt(b.sub(c(1), b.pow(c(beta2), step))),
        b.sub(c(1), b.pow(c(beta1), step)),
      );
      const lrT = b.mul(lr, correction);
      const delta = b.div(b.mul(lrT, m1), b.add(b.sqrt(v1), c(epsilon)));
      return { param: b.sub(p, delta), state: [m1, v1] };
    },
    reference(p, g, [m, v], t, lr) {
      const m1 = beta1 * m + (1 - beta1) * g;
      const v1 = beta2 * v + (1 - beta2) * g * g;
      const lrT = lr * Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
      return { param: p - lrT * m1 / (Math.sqrt(v1) + epsilon), state: [m1, v1] };
    },
  };
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
 * Adadelta in its Keras-1 form: `a = ρ a + (1-ρ) g²`,
 * `u = g √(d + ε) / √(a + ε)`, `p -= lr u`, `d = ρ d + (1-ρ) u²`. Keras 1's
 * default learning rate 1.0 is the one the blog trained with.
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
  const { learningRate = 1.0, rho = 0.95, epsilon = 1e-8 } = options;
  return {
    name: "adadelta",
    learningRate,
    slots: ["accumulator", "delta_accumulator"],
    update(b, p, g, [a, d], { lr }) {
      const c = (x: number) => b.scalar(x);
      const a1 = b.add(b.mul(c(rho), a), b.mul(c(1 - rho), b.mul(g, g)));
      const u = b.div(b.mul(g, b.sqrt(b.add(d, c(epsilon)))), b.sqrt(b.add(a1, c(epsilon))));
      const d1 = b.add(b.mul(c(rho), d), b.mul(c(1 - rho), b.mul(u, u)));
      return { param: b.sub(p, b.mul(lr, u)), state: [a1, d1] };
    },
    reference(p, g, [a, d], _t, lr) {
      const a1 = rho * a + (1 - rho) * g * g;
      const u = g * Math.sqrt(d + epsilon) / Math.sqrt(a1 + epsilon);
      return { param: p - lr * u, state: [a1, rho * d + (1 - rho) * u * u] };
    },
  };
}

/** SGD hyperparameters. */
export interface SgdOptions {
  /** Default 0.01 (Keras). */
  learningRate?: number;
  /** Default 0 (plain SGD). */
  momentum?: number;
}

/**
 * Stochastic gradient descent with optional (Keras-style) momentum:
 * `v = μ v - lr g`, `p += v`.
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
  const { learningRate = 0.01, momentum = 0 } = options;
  return {
    name: "sgd",
    learningRate,
    slots: ["velocity"],
    update(b, p, g, [v], { lr }) {
      const v1 = b.sub(b.mul(b.scalar(momentum), v), b.mul(lr, g));
      return { param: b.add(p, v1), state: [v1] };
    },
    reference(p, g, [v], _t, lr) {
      const v1 = momentum * v - lr * g;
      return { param: p + v1, state: [v1] };
    },
  };
}

/** Optimizer names accepted by {@link optimizerByName}. */
export const OPTIMIZERS = ["adam", "adadelta", "sgd"] as const;

/**
 * Looks an optimizer up by name with its default settings.
 *
 * @param name `"adam"`, `"adadelta"` or `"sgd"`.
 * @returns The optimizer.
 *
 * @example
 * ```ts
 * import { optimizerByName } from "./optimizers.ts";
 * console.assert(optimizerByName("adam").name === "adam");
 * ```
 */
export function optimizerByName(name: string): Optimizer {
  switch (name) {
    case "adam":
      return adam();
    case "adadelta":
      return adadelta();
    case "sgd":
      return sgd();
  }
  throw new AutoencoderError(
    `Cannot use optimizer "${name}": it is not known; choose one of ${OPTIMIZERS.join(", ")}`,
  );
}
