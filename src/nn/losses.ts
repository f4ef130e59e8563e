/**
 * Losses, composed from primitive ops (they need no gradient rules of their own).
 *
 * @module
 */

import { AutoencoderError, quote } from "../errors.ts";
import type { Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";
import type { Activation } from "./layers.ts";
import { GAUSSIAN_HEADS } from "./sampling.ts";

/**
 * The longest run of σ(|z|) values {@link binaryCrossEntropyFromLogits} multiplies
 * together: each is in [½, 1], so a product of 120 stays above 2⁻¹²⁰, a normal float32.
 */
const PRODUCT_RUN = 120;

/**
 * The length of the runs a sample's `size` elements split into for one product each:
 * its largest divisor up to {@link PRODUCT_RUN}, or 0 when that is under 8 (a size
 * with no such divisor, e.g. a prime above 120: logs element by element) or the
 * size is not static.
 */
function productRun(size: number | undefined): number {
  if (size === undefined) return 0;
  for (let run = Math.min(size, PRODUCT_RUN); run >= 8; run--) if (size % run === 0) return run;
  return 0;
}

/**
 * Binary cross-entropy between `target` in [0, 1] and `sigmoid(logits)`, mean over
 * every element (pixels and batch) — the number Keras reports for
 * `loss='binary_crossentropy'`. Computed from logits as
 * `softplus(z) - t z`, which equals `-(t log σ(z) + (1 - t) log(1 - σ(z)))`
 * without overflow or `log(0)`; `softplus(z)` is written `relu(z) - log σ(|z|)`
 * (ORT's own Softplus kernel is scalar code, several times slower on CPU). The logs
 * are summed as the logs of products of runs of up to 120 σ(|z|) values, each run in
 * [2⁻¹²⁰, 1]: ORT's `Log` is scalar code too (0.29 ms on 256 × 784 values on the
 * CPU here, its `ReduceProd` 0.06 ms; bench/NOTES.md). The gradient is given whole,
 * `(σ(z) - t) / count`, three passes instead of the dozen that differentiating the
 * parts would emit.
 *
 * @param b Builder.
 * @param logits `[N, ...]` pre-sigmoid outputs.
 * @param target Same shape, values in [0, 1].
 * @returns A scalar.
 *
 * @example
 * ```ts
 * import { Builder } from "../ops/builder.ts";
 * import { binaryCrossEntropyFromLogits } from "./losses.ts";
 * const b = new Builder();
 * const z = b.graph.input("z", "float32", ["N", 784]);
 * const t = b.graph.input("t", "float32", ["N", 784]);
 * console.assert(binaryCrossEntropyFromLogits(b, z, t).shape.length === 0);
 * ```
 */
export function binaryCrossEntropyFromLogits(b: Builder, logits: Value, target: Value): Value {
  const axes = [...logits.shape.keys()];
  const sample = logits.shape.slice(1);
  const size = sample.every((d) => typeof d === "number")
    ? sample.reduce((p, d) => p * d, 1)
    : undefined;
  const run = productRun(size);
  const [loss] = b.custom([logits, target], (z, t) => {
    const sigmoids = b.sigmoid(b.abs(z)); // σ(|z|) ∈ [½, 1]
    if (run === 0) {
      const softplus = b.sub(b.relu(z), b.op1("Log", [sigmoids]));
      return [b.reduceMean(b.sub(softplus, b.mul(t, z)), axes, false)];
    }
    const runs = b.reshape(sigmoids, [0, size! / run, run]); // [N, runs, run]
    const products = b.op1("ReduceProd", [runs], { axes: [2], keepdims: 0 });
    // mean(log σ(|z|)) over the elements is the mean log-product over [N, runs] / run.
    const logs = b.reduceMean(b.op1("Log", [products]), [0, 1], false);
    const linear = b.reduceMean(b.sub(b.relu(z), b.mul(t, z)), axes, false);
    return [b.sub(linear, b.div(logs, b.scalar(run)))];
  }, (b, { inputs: [z, t] }, [g]) => {
    const scale = b.div(g!, b.countOf(z, axes));
    const dz = b.mul(b.sub(b.sigmoid(z), t), scale);
    return [dz, b.mul(b.neg(z), scale)];
  });
  return loss;
}

/**
 * Mean squared error between the reconstruction and the target, mean over every
 * element (pixels and batch), as Keras' `loss='mse'`.
 *
 * @param b Builder.
 * @param output `[N, ...]` reconstructions (after the final activation).
 * @param target Same shape.
 * @returns A scalar.
 */
export function meanSquaredError(b: Builder, output: Value, target: Value): Value {
  const d = b.sub(output, target);
  return b.reduceMean(b.mul(d, d), [...output.shape.keys()], false);
}

/** What a loss term reads from the network being trained. */
export interface LossInputs {
  /** The builder of the graph. */
  b: Builder;
  /** The reconstruction, `[N, ...input shape]`, after the last layer's activation. */
  output: Value;
  /** The last layer's value before its activation (the logits of a final sigmoid). */
  preActivation: Value;
  /** The last layer's activation. */
  activation: Activation;
  /** What the output must reproduce: the input, or the clean input of a denoising model. */
  target: Value;
  /**
   * Every layer's output by dotted name (`encoder.0`, `decoder.2`), and the code
   * (the encoder's output) as `code`.
   */
  activations: ReadonlyMap<string, Value>;
}

/**
 * One term of a training loss: a scalar built from the network's values. A loss is
 * a list of terms whose sum the optimizer minimises.
 *
 * @example
 * ```ts
 * import type { LossTerm } from "./losses.ts";
 * // A contractive-style penalty on the code: 1e-3 times its mean square.
 * const codeEnergy: LossTerm = {
 *   name: "code_energy",
 *   regularizer: true,
 *   emit: ({ b, activations }) => {
 *     const h = activations.get("code")!;
 *     const axes = [...h.shape.keys()];
 *     return b.mul(b.scalar(1e-3), b.reduceMean(b.mul(h, h), axes, false));
 *   },
 * };
 * console.assert(codeEnergy.regularizer);
 * ```
 */
export interface LossTerm {
  /** Name in logs and errors, e.g. `"bce"`, `"l1(code)"`. */
  readonly name: string;
  /**
   * A regularizer counts in the training loss only, and is reported apart as the
   * `penalty` (as Keras does with activity regularizers); the other terms make the
   * validation loss as well.
   */
  readonly regularizer: boolean;
  /** Emits the term: a scalar. */
  emit(inputs: LossInputs): Value;
}

/** A training loss: terms whose sum is minimised. */
export type Loss = readonly LossTerm[];

/** Options of {@link binaryCrossEntropy}. */
export interface BceOptions {
  /**
   * `"mean"` (default): the mean over pixels and batch, as Keras reports it. `"sum"`:
   * summed over each sample's values, mean over the batch — nats per sample, the
   * reconstruction part of a variational autoencoder's negative ELBO.
   */
  perSample?: "mean" | "sum";
}

/**
 * Binary cross-entropy (the blog's loss), mean over pixels and batch, or summed over
 * each sample's pixels. Computed from the logits when the last layer ends in a
 * sigmoid, which it must: targets and outputs are read as probabilities.
 *
 * @param options Mean or sum over each sample's values.
 * @returns The term (`"bce"`, or `"bce(sum)"`).
 *
 * @example
 * ```ts
 * import { binaryCrossEntropy } from "./losses.ts";
 * console.assert(binaryCrossEntropy().name === "bce");
 * console.assert(binaryCrossEntropy({ perSample: "sum" }).name === "bce(sum)");
 * ```
 */
export function binaryCrossEntropy(options: BceOptions = {}): LossTerm {
  const sum = options.perSample === "sum";
  return {
    name: sum ? "bce(sum)" : "bce",
    regularizer: false,
    emit({ b, preActivation, activation, target }) {
      if (activation !== "sigmoid") {
        throw new AutoencoderError(
          `Cannot use loss "bce": it needs a last layer with a sigmoid activation, got "${activation}"; end the decoder with a sigmoid or use loss "mse"`,
          { kind: "bad-input" },
        );
      }
      const mean = binaryCrossEntropyFromLogits(b, preActivation, target);
      if (!sum) return mean;
      const size = (preActivation.shape.slice(1) as number[]).reduce((a, d) => a * d, 1);
      return b.mul(b.scalar(size), mean);
    },
  };
}

/**
 * The KL divergence of a diagonal Gaussian `N(μ, σ²)` from `N(0, I)`, summed over the
 * code's units and averaged over the batch: `−½ Σ (1 + log σ² − μ² − σ²)` — the
 * regularizing part of a variational autoencoder's negative ELBO, in nats per sample.
 * It reads the activations `<at>.mean` and `<at>.log_var` that a sampling layer
 * publishes (`GaussianSample` of ./layers.ts). It is part of the validation loss (the ELBO),
 * not a regularizer.
 *
 * @param at Whose heads: `"code"` (default: the code's layer) or a layer's dotted name.
 * @returns The term (`"kl(code)"`).
 *
 * @example
 * ```ts
 * import { gaussianKl } from "./losses.ts";
 * console.assert(gaussianKl().name === "kl(code)" && !gaussianKl().regularizer);
 * ```
 */
export function gaussianKl(at = "code"): LossTerm {
  const name = `kl(${at})`;
  return {
    name,
    regularizer: false,
    emit({ b, activations }) {
      const [mean, logVar] = GAUSSIAN_HEADS.map((head) => {
        const v = activations.get(`${at}.${head}`);
        if (v) return v;
        throw new AutoencoderError(
          `Cannot build loss term ${quote(name)}: the network publishes no activation ${
            quote(`${at}.${head}`)
          }; give it a GaussianSample layer (its code layer for "code")`,
          { kind: "bad-input" },
        );
      });
      const inner = b.sub(b.sub(b.add(b.scalar(1), logVar), b.mul(mean, mean)), b.exp(logVar));
      const perSample = b.reduceSum(inner, [...mean.shape.keys()].slice(1), false);
      return b.mul(b.scalar(-0.5), b.reduceMean(perSample, [0], false));
    },
  };
}

/**
 * Mean squared error, mean over pixels and batch.
 *
 * @returns The term.
 *
 * @example
 * ```ts
 * import { meanSquaredErrorLoss } from "./losses.ts";
 * console.assert(meanSquaredErrorLoss().name === "mse");
 * ```
 */
export function meanSquaredErrorLoss(): LossTerm {
  return {
    name: "mse",
    regularizer: false,
    emit: ({ b, output, target }) => meanSquaredError(b, output, target),
  };
}

/**
 * Keras-1 L1 activity regularizer on a layer's output `h` (the code by default):
 * `weight * sum_over_units(mean_over_batch(|h|))`, in the training loss only.
 *
 * @param weight The penalty's weight (the blog's sparse model: 1e-4).
 * @param at The activation it reads: `"code"` or a layer's dotted name.
 * @returns The term.
 *
 * @example
 * ```ts
 * import { activityL1 } from "./losses.ts";
 * console.assert(activityL1(1e-4).name === "l1(code)");
 * ```
 */
export function activityL1(weight: number, at = "code"): LossTerm {
  if (!(weight >= 0 && Number.isFinite(weight))) {
    throw new AutoencoderError(
      `Cannot create an L1 activity penalty: the weight must be a finite number >= 0, got ${weight}`,
      { kind: "bad-input" },
    );
  }
  return {
    name: `l1(${at})`,
    regularizer: true,
    emit({ b, activations }) {
      const h = activations.get(at);
      if (!h) {
        throw new AutoencoderError(
          `Cannot build loss term "l1(${at})": the network has no activation "${at}"; use "code" or a layer name such as "encoder.0"`,
          { kind: "bad-input" },
        );
      }
      const perUnit = b.reduceMean(b.abs(h), [0], false);
      return b.mul(b.scalar(weight), b.reduceSum(perUnit, [...perUnit.shape.keys()], false));
    },
  };
}

/** A reconstruction loss's name. */
export type LossName = "bce" | "mse";

/** The reconstruction losses by name, for the command line and the model options. */
export const RECONSTRUCTION_LOSSES: Readonly<Record<LossName, () => LossTerm>> = {
  bce: () => binaryCrossEntropy(),
  mse: meanSquaredErrorLoss,
};

/** The loss a model trains with unless told otherwise: binary cross-entropy, the blog's. */
export const DEFAULT_LOSS: Loss = [binaryCrossEntropy()];

/**
 * A loss from a name or terms.
 *
 * @param loss A reconstruction loss's name, or terms.
 * @returns The terms.
 */
export function lossOf(loss: LossName | Loss = DEFAULT_LOSS): Loss {
  if (typeof loss !== "string") return loss;
  if (!Object.hasOwn(RECONSTRUCTION_LOSSES, loss)) {
    throw new AutoencoderError(
      `Cannot use loss ${quote(loss)}: it is not one of ${
        Object.keys(RECONSTRUCTION_LOSSES).join(", ")
      }; pass one of them, or a list of loss terms`,
      { kind: "bad-input" },
    );
  }
  return [RECONSTRUCTION_LOSSES[loss]()];
}
