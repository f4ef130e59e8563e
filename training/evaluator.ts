/**
 * Evaluation: a session on a training program's evaluation graph, which computes
 * the loss (its regularizers left out) of samples with a model's current weights.
 *
 * @module
 */

import { loweringFor } from "../src/lower/lower.ts";
import { paramSpecs } from "../src/nn/architecture.ts";
import type { RuntimeTensor } from "../src/runtime/types.ts";
import type { RunContext, Samples } from "./fit.ts";
import { validationNoise } from "./inputs.ts";
import type { TrainingProgram } from "./program.ts";
import { termOutput } from "./train_step.ts";

/** A session computing the mean loss of samples with the model's current parameters. */
export interface Evaluator {
  /**
   * @param samples The targets (and inputs, unless `input` is given).
   * @param input Inputs that differ from the targets (corrupted, for denoising).
   * @returns The mean loss over all samples.
   */
  evaluate(samples: Samples, input?: Float32Array): Promise<number>;
  /**
   * @param samples The targets (and inputs, unless `input` is given).
   * @param input Inputs that differ from the targets.
   * @returns The mean loss over all samples as `loss`, and, for a loss of several
   * terms (regularizers left out), each term's mean by its name.
   */
  evaluateTerms(samples: Samples, input?: Float32Array): Promise<Record<string, number>>;
  /** Frees the session. */
  release(): Promise<void>;
}

/**
 * Opens an evaluation session.
 *
 * @param ctx Runtime and session options.
 * @param program The program whose evaluation graph runs.
 * @param params The parameters, read at each `evaluate`.
 * @returns The evaluator.
 */
export async function openEvaluator(
  ctx: RunContext,
  program: TrainingProgram,
  params: ReadonlyMap<string, Float32Array>,
): Promise<Evaluator> {
  const { runtime } = ctx;
  const arch = program.architecture;
  const session = await runtime.createSession(
    program.onnx("eval", loweringFor(ctx.session.provider)),
    {
      ...ctx.session,
      layoutTransforms: false,
    },
  );
  const sampleSize = arch.inputShape.reduce((a, b) => a * b, 1);
  const terms = (program.architecture.loss ?? []).filter((t) => !t.regularizer).map((t) => t.name);
  const outputs = terms.length > 1 ? ["loss", ...terms.map(termOutput)] : ["loss"];
  const evaluateTerms = async (samples: Samples, input?: Float32Array) => {
    const feeds: Record<string, RuntimeTensor> = {};
    for (const spec of paramSpecs(arch)) {
      feeds[spec.name] = runtime.tensor(params.get(spec.name)!, spec.shape);
    }
    const noise = validationNoise(program.noise, samples.count);
    const sums = outputs.map(() => 0);
    const chunk = 1000;
    for (let first = 0; first < samples.count; first += chunk) {
      const n = Math.min(chunk, samples.count - first);
      const [from, to] = [first * sampleSize, (first + n) * sampleSize];
      const dims = [n, ...arch.inputShape];
      feeds.input = runtime.tensor((input ?? samples.data).subarray(from, to), dims);
      if (program.separateTarget) {
        feeds.target = runtime.tensor(samples.data.subarray(from, to), dims);
      }
      for (const { name, shape } of program.noise) {
        const size = shape.reduce((a, d) => a * d, 1);
        const rows = noise.get(name)!.subarray(first * size, (first + n) * size);
        feeds[name] = runtime.tensor(rows, [n, ...shape]);
      }
      const out = await session.run(feeds);
      for (const [i, name] of outputs.entries()) sums[i] += (await runtime.read(out[name]))[0] * n;
    }
    const means = sums.map((s) => s / samples.count);
    return Object.fromEntries([
      ["loss", means[0]],
      ...(terms.length > 1 ? terms.map((t, i) => [t, means[i + 1]]) : []),
    ]);
  };
  return {
    evaluate: async (samples, input) => (await evaluateTerms(samples, input)).loss,
    evaluateTerms,
    release: () => session.release(),
  };
}

/**
 * The mean loss of samples, from a session opened for this call and freed after it.
 *
 * @param ctx Runtime and session options.
 * @param program The program whose evaluation graph runs.
 * @param params The parameters.
 * @param samples The samples.
 * @returns The mean loss over all samples as `loss`, and each term's with several.
 */
export async function evaluateOnce(
  ctx: RunContext,
  program: TrainingProgram,
  params: ReadonlyMap<string, Float32Array>,
  samples: Samples,
): Promise<Record<string, number>> {
  const evaluator = await openEvaluator(ctx, program, params);
  try {
    return await evaluator.evaluateTerms(samples);
  } finally {
    await evaluator.release();
  }
}
