/**
 * The blog's five models by name, with the epochs and batch size the blog trained
 * them with: the one table the command line, the export command and the
 * benchmarks share.
 *
 * @module
 */

import type { Autoencoder } from "../src/autoencoder.ts";
import { AutoencoderError } from "../src/errors.ts";
import { ConvAutoencoder, type ConvOptions } from "./conv.ts";
import { DeepAutoencoder, type DeepOptions } from "./deep.ts";
import { DenoisingAutoencoder, type DenoisingOptions } from "./denoising.ts";
import { SparseAutoencoder, type SparseOptions } from "./sparse.ts";
import { UndercompleteAutoencoder, type UndercompleteOptions } from "./undercomplete.ts";
import { type VaeOptions, VariationalAutoencoder } from "./vae.ts";
import type { OptimizerName } from "../training/optimizers.ts";

/** Options any of the five accepts (each ignores the others' own). */
export type AnyModelOptions =
  & UndercompleteOptions
  & SparseOptions
  & DenoisingOptions
  & DeepOptions
  & ConvOptions
  & VaeOptions;

/** A model of the blog with its training settings. */
export interface BlogModel {
  /** Makes the model. */
  create(options?: AnyModelOptions): Autoencoder;
  /** The blog's epochs. */
  epochs: number;
  /** The blog's batch size. */
  batchSize: number;
  /** The optimizer it trains with unless told otherwise (default Adam). */
  optimizer?: OptimizerName;
}

/** Names of the five models. */
export type BlogModelName = "undercomplete" | "sparse" | "deep" | "conv" | "denoising" | "vae";

/** The five models, in the blog's order, and the variational autoencoder (the Keras blog's). */
export const BLOG_MODELS: Readonly<Record<BlogModelName, BlogModel>> = {
  undercomplete: { create: (o) => new UndercompleteAutoencoder(o), epochs: 50, batchSize: 256 },
  sparse: { create: (o) => new SparseAutoencoder(o), epochs: 100, batchSize: 256 },
  deep: { create: (o) => new DeepAutoencoder(o), epochs: 100, batchSize: 256 },
  conv: { create: (o) => new ConvAutoencoder(o), epochs: 50, batchSize: 128 },
  denoising: { create: (o) => new DenoisingAutoencoder(o), epochs: 100, batchSize: 128 },
  vae: {
    create: (o) => new VariationalAutoencoder(o),
    epochs: 50,
    batchSize: 100,
    optimizer: "rmsprop",
  },
};

/**
 * Looks a model up by name.
 *
 * @param name `undercomplete`, `sparse`, `deep`, `conv`, `denoising` or `vae`.
 * @param action What the caller does with it, for the error message.
 * @returns The model's entry.
 *
 * @example
 * ```ts
 * import { blogModel } from "./registry.ts";
 * console.assert(blogModel("conv").batchSize === 128);
 * ```
 */
export function blogModel(name: string, action = "use"): BlogModel {
  if (!Object.hasOwn(BLOG_MODELS, name)) {
    throw new AutoencoderError(
      `Cannot ${action} model "${name}": it is not known; choose one of ${
        Object.keys(BLOG_MODELS).join(", ")
      }`,
    );
  }
  return BLOG_MODELS[name as BlogModelName];
}
