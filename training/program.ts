/**
 * The training program as a value: an architecture compiled with a loss, an
 * optimizer and a declaration of its inputs gives the train-step graph, the
 * evaluation graph and the list of every state tensor. The fit loop, checkpoints,
 * the command line, the benchmarks and the browser page run this value; none of
 * them builds a graph of its own.
 *
 * @module
 */

import type { Graph } from "../src/ir/graph.ts";
import { type Architecture, noiseSpecs, paramSpecs } from "../src/nn/architecture.ts";
import type { NoiseSpec } from "../src/nn/layers.ts";
import { DEFAULT_LOSS, type Loss } from "../src/nn/losses.ts";
import { Random } from "../src/nn/random.ts";
import { encodeModel } from "../src/onnx/model.ts";
import type { Provider } from "../src/runtime/types.ts";
import { emptyHistory, type TrainState } from "./fit.ts";
import type { Inputs } from "./inputs.ts";
import { adam, type Optimizer } from "./optimizers.ts";
import {
  CORRUPTION,
  generatorState,
  initialParameters,
  SHUFFLE,
  stateName,
  type StateTensor,
  STEP,
} from "./state.ts";
import { buildEvalStep, buildTrainStep } from "./train_step.ts";

/** What {@link compileProgram} compiles an architecture with. */
export interface ProgramOptions {
  /** The loss (default: the architecture's, else binary cross-entropy). */
  loss?: Loss;
  /** The optimizer (default Adam). */
  optimizer?: Optimizer;
  /** What the model sees and reproduces (default: each sample, itself). */
  inputs?: Inputs;
  /**
   * Seed of the initial values (parameters: `seed`, shuffling `seed + 1`, corruption
   * `seed + 2`, the layers' noise `seed + 3`, `seed + 4`, ...).
   */
  seed?: number;
}

/** A compiled training program. */
export interface TrainingProgram {
  /** The architecture, with the loss it was compiled with. */
  readonly architecture: Architecture;
  /** The optimizer the train step applies. */
  readonly optimizer: Optimizer;
  /** What the model sees and reproduces (a corruption's seed filled in). */
  readonly inputs: Inputs;
  /** Whether the graphs take a `target` beside the `input` (the input is corrupted). */
  readonly separateTarget: boolean;
  /**
   * The standard-normal inputs of the train and evaluation graphs (a variational
   * encoder's `ε`), each fed from the generator of the same name in `states`.
   */
  readonly noise: readonly NoiseSpec[];
  /** The loss outputs of the train step: `loss`, and `penalty` when the loss has regularizers. */
  readonly losses: readonly string[];
  /** Every state tensor of a run: parameters, optimizer slots, the step, the generators. */
  readonly states: readonly StateTensor[];
  /** The state tensors each train step reads and returns as `next.<name>`: each parameter, then its optimizer slots. */
  readonly carried: readonly string[];
  /** The train-step graph (built when first read). */
  readonly trainStep: Graph;
  /** The evaluation graph (built when first read). */
  readonly evalStep: Graph;
  /**
   * One of the graphs as ONNX bytes.
   *
   * @param which `"train"` (default) or `"eval"`.
   * @param provider The provider it will run on, whose rewrites lower it (default `"cpu"`).
   * @param steps For `"train"`: updates chained per run (default 1; see `buildTrainStep`).
   * @returns The model's bytes.
   */
  onnx(which?: "train" | "eval", provider?: Provider, steps?: number): Uint8Array;
}

/**
 * Compiles an architecture into a training program.
 *
 * @param arch The architecture.
 * @param options Loss, optimizer, inputs and seed.
 * @returns The program; its graphs are built when first read.
 *
 * @example
 * ```ts
 * import { Dense } from "../src/nn/layers.ts";
 * import { compileProgram } from "./program.ts";
 * const arch = { inputShape: [4], encoder: [new Dense(2, "relu")], decoder: [new Dense(4, "sigmoid")] };
 * const program = compileProgram(arch);
 * console.assert(program.states.some((s) => s.name === "m.encoder.0.kernel" && s.role === "optimizer slot"));
 * console.assert(program.trainStep.outputs[0].name === "loss");
 * ```
 */
export function compileProgram(arch: Architecture, options: ProgramOptions = {}): TrainingProgram {
  const architecture = { ...arch, loss: options.loss ?? arch.loss ?? DEFAULT_LOSS };
  const optimizer = options.optimizer ?? adam();
  const seed = options.seed ?? 0;
  const inputs = { ...options.inputs };
  if (inputs.input) inputs.input = { ...inputs.input, seed: inputs.input.seed ?? seed + 2 };
  const separateTarget = inputs.input !== undefined;
  const noise = noiseSpecs(architecture);
  const states = stateList(architecture, optimizer, seed, inputs);
  noise.forEach((spec, i) => states.push(generatorState(spec.name, seed + 3 + i)));
  let train: Graph | undefined, evaluation: Graph | undefined;
  const program: TrainingProgram = {
    architecture,
    optimizer,
    inputs,
    separateTarget,
    noise,
    losses: architecture.loss.some((t) => t.regularizer) ? ["loss", "penalty"] : ["loss"],
    states,
    carried: states.filter((s) => s.role === "parameter" || s.role === "optimizer slot")
      .map((s) => s.name),
    get trainStep() {
      return train ??= buildTrainStep(architecture, optimizer, { separateTarget }).graph;
    },
    get evalStep() {
      return evaluation ??= buildEvalStep(architecture, { separateTarget }).graph;
    },
    onnx: (which = "train", provider = "cpu", steps = 1) =>
      encodeModel(
        which === "eval"
          ? program.evalStep
          : steps === 1
          ? program.trainStep
          : buildTrainStep(architecture, optimizer, { separateTarget, steps }).graph,
        { name: which === "train" ? "train_step" : "eval", provider },
      ),
  };
  return program;
}

/** The state tensors of a run, parameters first, each followed by its optimizer slots. */
function stateList(
  arch: Architecture,
  optimizer: Optimizer,
  seed: number,
  inputs: Inputs,
): StateTensor[] {
  const specs = paramSpecs(arch);
  let params: Map<string, Float32Array> | undefined;
  const states: StateTensor[] = [];
  for (const spec of specs) {
    states.push({
      name: spec.name,
      shape: spec.shape,
      role: "parameter",
      initial: () => (params ??= initialParameters(specs, seed)).get(spec.name)!,
    });
    const size = spec.shape.reduce((a, b) => a * b, 1);
    optimizer.slots.forEach((slot, i) => {
      states.push({
        name: stateName(slot, spec.name),
        shape: spec.shape,
        role: "optimizer slot",
        initial: () => optimizer.init(new Float32Array(size))[i],
      });
    });
  }
  states.push({ name: STEP, shape: [], role: "step", initial: () => new Float32Array(1) });
  states.push(generatorState(SHUFFLE, seed + 1));
  if (inputs.input) {
    states.push(generatorState(CORRUPTION, inputs.input.seed!));
  }
  return states;
}

/**
 * A run's state before any training: the program's parameters and generators at
 * their initial values, no optimizer state, step and epoch 0, an empty history.
 *
 * @param program The program.
 * @returns The state.
 */
export function initialState(program: TrainingProgram): TrainState {
  const initial = (role: string) =>
    program.states.filter((s) => s.role === role).map((s) => [s.name, s.initial()] as const);
  const generators = initial("generator").map(([name, state]) => {
    const g = new Random(0);
    g.state = [...state];
    return [name, g] as const;
  });
  return {
    params: new Map(initial("parameter") as [string, Float32Array][]),
    optimizerState: new Map(),
    step: 0,
    epoch: 0,
    history: emptyHistory(),
    generators: new Map(generators),
  };
}
