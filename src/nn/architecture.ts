/**
 * An autoencoder architecture: an input shape, an encoder and a decoder (layer
 * lists). This file turns one into parameter lists and forward graphs.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { type Shape, showShape, type Value } from "../ir/graph.ts";
import { Builder } from "../ops/builder.ts";
import type { Loss } from "./losses.ts";
import {
  activate,
  type Activation,
  type Layer,
  type LayerContext,
  type NoiseSpec,
  type ParamSpec,
} from "./layers.ts";
import { FORWARD_REWRITES } from "../lower/lower.ts";

/** The layers of an autoencoder. */
export interface Architecture {
  /** Shape of one sample, e.g. `[784]` or `[1, 28, 28]`. */
  inputShape: number[];
  /** Layers from the input to the code. */
  encoder: Layer[];
  /** Layers from the code to the reconstruction; the last one ends in a sigmoid. */
  decoder: Layer[];
  /** The terms of the training loss (default: binary cross-entropy alone). */
  loss?: Loss;
}

/** Which part of the network a graph computes. */
export type Part = "encoder" | "decoder" | "autoencoder";

/** A layer with its dotted name and input shape. */
export interface PlacedLayer {
  /** e.g. `encoder.0`. */
  name: string;
  /** The layer. */
  layer: Layer;
  /** Input shape without the batch dimension. */
  input: number[];
  /** Output shape without the batch dimension. */
  output: number[];
  /** How many numbers its parameters hold. */
  paramCount: number;
}

/**
 * Names each layer and works out its shapes, validating the whole chain.
 *
 * @param arch The architecture.
 * @returns Layers in order with their names and shapes.
 *
 * @example
 * ```ts
 * import { Dense } from "./layers.ts";
 * import { placeLayers } from "./architecture.ts";
 * const placed = placeLayers({ inputShape: [784], encoder: [new Dense(32, "relu")], decoder: [new Dense(784, "sigmoid")] });
 * console.assert(placed[1].name === "decoder.0");
 * ```
 */
export function placeLayers(arch: Architecture): PlacedLayer[] {
  const placed: PlacedLayer[] = [];
  let shape = arch.inputShape;
  for (const [part, layers] of [["encoder", arch.encoder], ["decoder", arch.decoder]] as const) {
    layers.forEach((layer, i) => {
      const name = `${part}.${i}`;
      const output = layer.outputShape(shape, name);
      const paramCount = layer.params(shape, name)
        .reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
      placed.push({ name, layer, input: shape, output, paramCount });
      shape = output;
    });
  }
  const last = placed.at(-1);
  if (!last || arch.encoder.length === 0) {
    throw new AutoencoderError(
      "Cannot build autoencoder: the encoder and the decoder need a layer each",
      { kind: "bad-input" },
    );
  }
  if (last.output.join() !== arch.inputShape.join()) {
    throw new AutoencoderError(
      `Cannot build autoencoder: the decoder outputs [${last.output}] but the input is [${arch.inputShape}]`,
      { kind: "bad-input" },
    );
  }
  return placed;
}

/**
 * Every parameter of the architecture, in layer order.
 *
 * @param arch The architecture.
 * @returns The parameter specs.
 */
export function paramSpecs(arch: Architecture): ParamSpec[] {
  return placeLayers(arch).flatMap(({ name, layer, input }) => layer.params(input, name));
}

/**
 * Every standard-normal input the architecture's layers draw from while training,
 * in layer order.
 *
 * @param arch The architecture.
 * @returns The noise specs (none for a deterministic network).
 */
export function noiseSpecs(arch: Architecture): NoiseSpec[] {
  return placeLayers(arch).flatMap(({ name, layer, input }) => layer.noise?.(input, name) ?? []);
}

/** Shape of the code (the encoder's output), without the batch dimension. */
export function codeShape(arch: Architecture): number[] {
  return placeLayers(arch)[arch.encoder.length - 1].output;
}

/** The values of a forward pass. */
export interface Forward {
  /** The part's output, after its last layer's activation. */
  output: Value;
  /** The last layer's value before its activation (the logits of a final sigmoid). */
  preActivation: Value;
  /** The last layer's activation. */
  activation: Activation;
  /** The code, when the part includes the encoder. */
  code?: Value;
  /**
   * Every layer's output by dotted name, the values layers publish (`encoder.1.mean`),
   * `code`, and what the code's layer publishes as `code.<name>` (`code.mean`).
   */
  activations: Map<string, Value>;
}

/**
 * Emits part of the network on `x`, layer by layer, with the forward rewrites of
 * src/lower applied (max pooling of a ReLU is emitted as the ReLU of the pooling).
 * Values nothing reads (an activation only a loss term might have used) are dropped
 * when the graph is encoded.
 *
 * @param ctx Builder and parameter source.
 * @param arch The architecture.
 * @param part Which layers to run.
 * @param x `[N, ...input of the part]`.
 * @returns The part's output, the last layer's pre-activation, the code and every layer's output.
 */
export function emitForward(ctx: LayerContext, arch: Architecture, part: Part, x: Value): Forward {
  const b = ctx.b, placed = placeLayers(arch);
  const from = part === "decoder" ? arch.encoder.length : 0;
  const to = part === "encoder" ? arch.encoder.length : placed.length;
  const activations = new Map<string, Value>();
  const inner: LayerContext = { ...ctx, publish: (name, v) => activations.set(name, v) };
  let h = x, z = x, activation: Activation = "linear";
  b.withRewrites(FORWARD_REWRITES, () => {
    for (const { name, layer } of placed.slice(from, to)) {
      z = b.graph.withScope(name, () => layer.apply(inner, h, name));
      h = b.graph.withScope(name, () => activate(b, z, layer.activation));
      activation = layer.activation;
      activations.set(name, h);
    }
  });
  if (to >= arch.encoder.length && from < arch.encoder.length) {
    const codeLayer = placed[arch.encoder.length - 1].name;
    for (const [name, v] of [...activations]) {
      if (name.startsWith(`${codeLayer}.`)) {
        activations.set(`code${name.slice(codeLayer.length)}`, v);
      }
    }
    activations.set("code", activations.get(codeLayer)!);
  }
  return { output: h, preActivation: z, activation, code: activations.get("code"), activations };
}

/**
 * A parameter source that makes each parameter a graph input named after it.
 *
 * @param b Builder.
 * @param noise Make the layers' standard-normal draws graph inputs too (training
 * and evaluation graphs); without, sampling layers give their mean.
 * @returns The context and the parameter inputs it created, by name.
 */
export function paramsAsInputs(
  b: Builder,
  noise = false,
): { ctx: LayerContext; inputs: Map<string, Value> } {
  const inputs = new Map<string, Value>();
  const ctx: LayerContext = {
    b,
    param(spec) {
      let v = inputs.get(spec.name);
      if (!v) inputs.set(spec.name, v = b.graph.input(spec.name, "float32", spec.shape));
      return v;
    },
  };
  if (noise) ctx.noise = (spec) => b.graph.input(spec.name, "float32", ["N", ...spec.shape]);
  return { ctx, inputs };
}

/**
 * The inference graph of one part: input `input` (`[N, ...]`), outputs `output`
 * and, for the whole autoencoder, `code` as well; with the encoder, what the code's
 * layer publishes too (a variational encoder's `mean` and `log_var`). With `weights` the parameters
 * are stored in the graph (a self-contained model to export, and the library's CPU
 * sessions of parts with convolutions); without, they are graph inputs (the library's
 * other inference sessions, which then need no rebuild after training).
 *
 * @param arch The architecture.
 * @param part Which part.
 * @param weights Parameter values by name, to embed.
 * @returns The graph's builder.
 */
export function buildInference(
  arch: Architecture,
  part: Part,
  weights?: ReadonlyMap<string, Float32Array>,
): Builder {
  const b = new Builder();
  const inputShape: Shape = part === "decoder" ? codeShape(arch) : arch.inputShape;
  const x = b.graph.input("input", "float32", ["N", ...inputShape]);
  const ctx: LayerContext = weights
    ? {
      b,
      param: (spec) => {
        const data = weights.get(spec.name);
        if (!data) {
          throw new AutoencoderError(`Cannot build model: no weights for "${spec.name}"`, {
            kind: "bad-input",
          });
        }
        if (data.length !== spec.shape.reduce((a, d) => a * d, 1)) {
          throw new AutoencoderError(
            `Cannot build model: weights "${spec.name}" hold ${data.length} values but its shape is ${
              showShape(spec.shape)
            }`,
            { kind: "bad-input" },
          );
        }
        return b.graph.constant(data, spec.shape, spec.name);
      },
    }
    : paramsAsInputs(b).ctx;
  const { output, code, activations } = emitForward(ctx, arch, part, x);
  b.graph.output("output", output);
  if (part === "autoencoder") b.graph.output("code", code!);
  for (const [name, v] of activations) {
    if (name.startsWith("code.")) b.graph.output(name.slice("code.".length), v);
  }
  return b;
}
