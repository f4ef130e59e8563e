/**
 * The sampling code layer of a variational autoencoder, {@link GaussianSample}, and the
 * names of its heads.
 *
 * @module
 */

import type { Shape, Value } from "../ir/graph.ts";
import {
  type Activation,
  Dense,
  type Layer,
  type LayerContext,
  type NoiseSpec,
  type ParamSpec,
  positiveInteger,
} from "./layers.ts";

/**
 * The code layer of a variational autoencoder: two affine heads on flat inputs,
 * `mean = x @ W_μ + b_μ` and `log_var = x @ W_σ + b_σ` (`[N, in]` to `[N, units]`
 * each, Glorot-uniform kernels, zero biases), and the reparameterised draw
 * `z = mean + exp(½·log_var)·ε` with `ε ~ N(0, I)` a graph input fed from a seeded
 * generator (`noise.<name>`). Both heads are published (`<name>.mean`,
 * `<name>.log_var`) for the KL term; in inference graphs, which take no `ε`, the
 * layer gives `mean`.
 *
 * @example
 * ```ts
 * import { GaussianSample } from "./sampling.ts";
 * const layer = new GaussianSample(2);
 * console.assert(layer.params([256], "encoder.1").length === 4);
 * console.assert(layer.noise([256], "encoder.1")[0].name === "noise.encoder.1");
 * ```
 */
export class GaussianSample implements Layer {
  /** Always `"GaussianSample"`. */
  readonly type = "GaussianSample";
  /** The draw has no activation. */
  readonly activation: Activation = "linear";
  readonly #heads: [Dense, Dense];

  /**
   * Creates the layer.
   *
   * @param units Size of the code (the latent dimension).
   */
  constructor(readonly units: number) {
    positiveInteger(units, "units", "GaussianSample");
    this.#heads = [new Dense(units), new Dense(units)];
  }

  /** Output shape (without the batch dimension) for an input shape; validates it. */
  outputShape(input: Shape, name: string): number[] {
    return this.#heads[0].outputShape(input, name);
  }

  /** The parameters: `<name>.mean.kernel`, `.bias`, then `<name>.log_var.kernel`, `.bias`. */
  params(input: Shape, name: string): ParamSpec[] {
    return GAUSSIAN_HEADS.flatMap((head, i) => this.#heads[i].params(input, `${name}.${head}`));
  }

  /** One draw of `ε` per sample and unit. */
  noise(_input: Shape, name: string): NoiseSpec[] {
    return [{ name: `noise.${name}`, shape: [this.units] }];
  }

  /** Emits the heads, publishes them, and returns the draw (or the mean, without `ε`). */
  apply(ctx: LayerContext, x: Value, name: string): Value {
    const b = ctx.b;
    const [mean, logVar] = GAUSSIAN_HEADS.map((head, i) => {
      const v = this.#heads[i].apply(ctx, x, `${name}.${head}`);
      ctx.publish?.(`${name}.${head}`, v);
      return v;
    });
    const eps = ctx.noise?.(this.noise(x.shape.slice(1), name)[0]);
    if (!eps) return mean;
    return b.add(mean, b.mul(b.exp(b.mul(b.scalar(0.5), logVar)), eps));
  }
}

/** The heads of {@link GaussianSample}, as published and output by inference graphs. */
export const GAUSSIAN_HEADS: readonly ["mean", "log_var"] = ["mean", "log_var"];
