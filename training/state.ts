/**
 * The state of a training run, as a list of named tensors: the parameters, the
 * optimizer's slots, the step count and the seeded generators. This module is the
 * one home of their names: it builds them (`<slot>.<param>`, `next.<name>`) and parses
 * them back.
 *
 * @module
 */

import type { ParamSpec } from "../src/nn/layers.ts";
import { Random } from "../src/nn/random.ts";

/** What a state tensor is to the training run. */
export type StateRole = "parameter" | "optimizer slot" | "step" | "generator";

/** One tensor of a training run's state. */
export interface StateTensor {
  /** Its name: a graph input (parameters, slots, `step`) or a generator's name. */
  readonly name: string;
  /** Its shape (`[]` for the step, `[4]` for a generator). */
  readonly shape: readonly number[];
  /** What it is. */
  readonly role: StateRole;
  /** Its value before any training (parameters: drawn from the seeded initializers). */
  initial(): Float32Array | Uint32Array;
}

/** Name of the step count, a graph input (`t` of the optimizers, 1 for the first update). */
export const STEP = "step";

/** Name of the generator that shuffles the samples each epoch. */
export const SHUFFLE = "shuffle";

/** Name of the generator that draws the input corruption (fresh noise each epoch). */
export const CORRUPTION = "corruption";

/**
 * Name of the graph input holding optimizer slot `slot` of parameter `param`.
 *
 * @param slot The slot, e.g. `"m"`.
 * @param param The parameter, e.g. `"encoder.0.kernel"`.
 * @returns `<slot>.<param>`, e.g. `"m.encoder.0.kernel"`.
 */
export function stateName(slot: string, param: string): string {
  return `${slot}.${param}`;
}

/**
 * The slot and parameter of an optimizer-slot name built by {@link stateName}.
 *
 * @param name The name, e.g. `"m.encoder.0.kernel"`.
 * @param params The parameter names it may belong to.
 * @returns The slot and parameter, or `undefined` if it names no slot of `params`.
 *
 * @example
 * ```ts
 * import { parseStateName } from "./state.ts";
 * const parsed = parseStateName("m.encoder.0.kernel", new Set(["encoder.0.kernel"]));
 * console.assert(parsed?.slot === "m" && parsed.param === "encoder.0.kernel");
 * ```
 */
export function parseStateName(
  name: string,
  params: ReadonlySet<string>,
): { slot: string; param: string } | undefined {
  const dot = name.indexOf("."); // slot names have no dot; parameter names do
  if (dot <= 0) return undefined;
  const param = name.slice(dot + 1);
  return params.has(param) ? { slot: name.slice(0, dot), param } : undefined;
}

/** Name of the graph output holding the next value of input `name`. */
export function nextName(name: string): string {
  return `next.${name}`;
}

/**
 * Initial parameter values: Glorot-uniform kernels drawn in order from one generator
 * seeded `seed`, zero biases.
 *
 * @param specs The parameters, in layer order.
 * @param seed The seed.
 * @returns Values by parameter name.
 */
export function initialParameters(
  specs: readonly ParamSpec[],
  seed: number,
): Map<string, Float32Array> {
  const rng = new Random(seed);
  return new Map(specs.map((spec) => [spec.name, initialize(spec, rng)]));
}

function initialize(spec: ParamSpec, rng: Random): Float32Array {
  const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
  if (spec.init.kind === "glorot_uniform") {
    const limit = Math.sqrt(6 / (spec.init.fanIn + spec.init.fanOut));
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-limit, limit);
  }
  return data;
}

/** A generator's state tensor, seeded `seed`. */
export function generatorState(name: string, seed: number): StateTensor {
  return {
    name,
    shape: [4],
    role: "generator",
    initial: () => Uint32Array.from(new Random(seed).state),
  };
}
