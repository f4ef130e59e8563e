/**
 * Layers: each declares its parameters and emits its forward pass into a graph.
 * Parameters get stable dotted names (`encoder.0.kernel`) from the layer's scope.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { type Shape, showShape, type Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";

/** How a parameter starts. */
export type Initializer =
  | { kind: "glorot_uniform"; fanIn: number; fanOut: number }
  | { kind: "zeros" };

/** A trainable tensor declared by a layer. */
export interface ParamSpec {
  /** Dotted name, e.g. `encoder.0.kernel`. */
  name: string;
  /** Static shape. */
  shape: number[];
  /** Initial values. */
  init: Initializer;
}

/** A tensor of standard-normal draws a layer takes while it trains, declared like a parameter. */
export interface NoiseSpec {
  /** Name of the graph input and of the generator that fills it, e.g. `noise.encoder.1`. */
  name: string;
  /** Shape of one sample's draws (the graph input is `[N, ...shape]`). */
  shape: number[];
}

/** What a layer sees while it emits itself. */
export interface LayerContext {
  /** The builder of the graph being emitted. */
  b: Builder;
  /**
   * Returns the value standing for a parameter (a graph input while training,
   * a constant in exported models).
   */
  param(spec: ParamSpec): Value;
  /**
   * Returns the graph input of standard-normal draws `[N, ...spec.shape]` that the
   * program feeds from a seeded generator. Present in the training and evaluation
   * graphs only: in inference graphs a sampling layer gives its mean.
   */
  noise?(spec: NoiseSpec): Value;
  /**
   * Makes a value of the layer readable by name, e.g. `encoder.1.mean`: by loss terms
   * (`LossInputs.activations`) and, for the code's layer, as an output of the
   * inference graphs (`mean`).
   */
  publish?(name: string, value: Value): void;
}

/** An activation applied after a layer's linear part. */
export type Activation = "linear" | "relu" | "sigmoid";

/** A layer of an autoencoder. */
export interface Layer {
  /** Type name for summaries and errors, e.g. `"Dense"`. */
  readonly type: string;
  /** The activation after the layer's linear part. */
  readonly activation: Activation;
  /** Output shape (without the batch dimension) for an input shape; validates it. */
  outputShape(input: Shape, name: string): number[];
  /** Parameters of the layer, named under `name`. */
  params(input: Shape, name: string): ParamSpec[];
  /**
   * Emits the layer's linear part on `x` (`[N, ...input]`); the network applies
   * `activation` after it (see {@link activate}), so that a loss can read the value
   * before it (the logits of a final sigmoid).
   *
   * @param ctx Builder and parameters.
   * @param x Input.
   * @param name The layer's dotted name.
   */
  apply(ctx: LayerContext, x: Value, name: string): Value;
  /** The standard-normal inputs the layer draws from while it trains (none if absent). */
  noise?(input: Shape, name: string): NoiseSpec[];
}

/**
 * Applies an activation.
 *
 * @param b Builder.
 * @param z The layer's linear output.
 * @param activation Which.
 * @returns `relu(z)`, `sigmoid(z)` or `z`.
 */
export function activate(b: Builder, z: Value, activation: Activation): Value {
  return activation === "relu" ? b.relu(z) : activation === "sigmoid" ? b.sigmoid(z) : z;
}

/** Throws unless `n` is a positive integer (`what` of a `layer`). */
export function positiveInteger(n: number, what: string, layer: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new AutoencoderError(
      `Cannot create ${layer} layer: ${what} must be a positive integer, got ${n}`,
      { kind: "bad-input" },
    );
  }
}

/**
 * Fully connected layer: `y = activation(x @ kernel + bias)`, `x: [N, in]` to
 * `y: [N, units]`; `kernel: [in, units]` glorot-uniform, `bias: [units]` zeros
 * (as Keras).
 *
 * @example
 * ```ts
 * import { Dense } from "./layers.ts";
 * const layer = new Dense(32, "relu");
 * console.assert(layer.outputShape([784], "encoder.0")[0] === 32);
 * ```
 */
export class Dense implements Layer {
  /** Always `"Dense"`. */
  readonly type = "Dense";

  /**
   * Creates a dense layer.
   *
   * @param units Output features.
   * @param activation Activation after the affine map (default linear).
   */
  constructor(readonly units: number, readonly activation: Activation = "linear") {
    positiveInteger(units, "units", "Dense");
  }

  /** Output shape (without the batch dimension) for an input shape; validates it. */
  outputShape(input: Shape, name: string): number[] {
    if (input.length !== 1 || typeof input[0] !== "number") {
      throw new AutoencoderError(
        `Cannot build Dense layer "${name}": it expects flat inputs [features], got ${
          showShape(input)
        }; flatten the images first`,
        { kind: "bad-input" },
      );
    }
    return [this.units];
  }

  /** The parameters (kernel and bias), named under `name`. */
  params(input: Shape, name: string): ParamSpec[] {
    const fanIn = this.outputShape(input, name) && (input[0] as number);
    return [
      {
        name: `${name}.kernel`,
        shape: [fanIn, this.units],
        init: { kind: "glorot_uniform", fanIn, fanOut: this.units },
      },
      { name: `${name}.bias`, shape: [this.units], init: { kind: "zeros" } },
    ];
  }

  /** Emits the layer's linear part on `x` (`[N, ...input]`). */
  apply(ctx: LayerContext, x: Value, name: string): Value {
    const [kernel, bias] = this.params(x.shape.slice(1), name).map((p) => ctx.param(p));
    if (kernel.shape[0] !== x.shape[1]) {
      throw new AutoencoderError(
        `Cannot build Dense layer "${name}": input has ${
          x.shape[1]
        } features but the layer expects ${kernel.shape[0]}`,
        { kind: "bad-input" },
      );
    }
    return ctx.b.op1("Gemm", [x, kernel, bias]);
  }
}

/** Keras padding modes. */
export type Padding = "same" | "valid";

/** The `[C, H, W]` of an image input shape; throws for any other shape. */
export function expectImages(input: Shape, name: string, layer: string): number[] {
  if (input.length !== 3 || input.some((d) => typeof d !== "number")) {
    throw new AutoencoderError(
      `Cannot build ${layer} layer "${name}": it expects images [channels, height, width], got ${
        showShape(input)
      }`,
      { kind: "bad-input" },
    );
  }
  return input as number[];
}

/**
 * 2-D convolution, stride 1: `y = activation(conv(x, kernel) + bias)`,
 * `x: [N, C, H, W]` to `y: [N, filters, H', W']` with `H' = H` for `"same"`
 * padding and `H - k + 1` for `"valid"`; `kernel: [filters, C, k, k]`
 * glorot-uniform (fan-in `C k²`, fan-out `filters k²`, as Keras), `bias: [filters]` zeros.
 *
 * @example
 * ```ts
 * import { Conv2D } from "./layers.ts";
 * const layer = new Conv2D(16, 3, "relu", "same");
 * console.assert(layer.outputShape([1, 28, 28], "encoder.0").join() === "16,28,28");
 * ```
 */
export class Conv2D implements Layer {
  /** Always `"Conv2D"`. */
  readonly type = "Conv2D";

  /**
   * Creates a convolution layer.
   *
   * @param filters Output channels.
   * @param kernelSize Square kernel size (default 3).
   * @param activation Activation (default linear).
   * @param padding `"same"` (default) or `"valid"`.
   */
  constructor(
    readonly filters: number,
    readonly kernelSize = 3,
    readonly activation: Activation = "linear",
    readonly padding: Padding = "same",
  ) {
    positiveInteger(filters, "filters", "Conv2D");
    positiveInteger(kernelSize, "kernel size", "Conv2D");
  }

  /** `[top, left, bottom, right]` padding (Keras puts the odd pixel at the end). */
  get pads(): number[] {
    const total = this.padding === "same" ? this.kernelSize - 1 : 0;
    const before = Math.floor(total / 2);
    return [before, before, total - before, total - before];
  }

  /** Output shape (without the batch dimension) for an input shape; validates it. */
  outputShape(input: Shape, name: string): number[] {
    const [, h, w] = expectImages(input, name, "Conv2D");
    const shrink = this.padding === "same" ? 0 : this.kernelSize - 1;
    if (h - shrink < 1 || w - shrink < 1) {
      throw new AutoencoderError(
        `Cannot build Conv2D layer "${name}": a ${this.kernelSize}x${this.kernelSize} "valid" kernel does not fit ${h}x${w} images`,
        { kind: "bad-input" },
      );
    }
    return [this.filters, h - shrink, w - shrink];
  }

  /** The parameters (kernel and bias), named under `name`. */
  params(input: Shape, name: string): ParamSpec[] {
    const [c] = expectImages(input, name, "Conv2D");
    const k = this.kernelSize;
    return [
      {
        name: `${name}.kernel`,
        shape: [this.filters, c, k, k],
        init: { kind: "glorot_uniform", fanIn: c * k * k, fanOut: this.filters * k * k },
      },
      { name: `${name}.bias`, shape: [this.filters], init: { kind: "zeros" } },
    ];
  }

  /** Emits the layer's linear part on `x` (`[N, ...input]`). */
  apply(ctx: LayerContext, x: Value, name: string): Value {
    this.outputShape(x.shape.slice(1), name);
    const [kernel, bias] = this.params(x.shape.slice(1), name).map((p) => ctx.param(p));
    if (kernel.shape[1] !== x.shape[1]) {
      throw new AutoencoderError(
        `Cannot build Conv2D layer "${name}": input has ${
          x.shape[1]
        } channels but the layer expects ${kernel.shape[1]}`,
        { kind: "bad-input" },
      );
    }
    return ctx.b.conv(x, kernel, bias, this.pads);
  }
}

/**
 * 2×2 max pooling, stride 2: `[N, C, H, W]` to `[N, C, ⌈H/2⌉, ⌈W/2⌉]` with
 * `"same"` padding (7 → 4, the padded row never wins) or `⌊H/2⌋` with `"valid"`.
 *
 * @example
 * ```ts
 * import { MaxPool2D } from "./layers.ts";
 * console.assert(new MaxPool2D("same").outputShape([8, 7, 7], "encoder.5")[1] === 4);
 * ```
 */
export class MaxPool2D implements Layer {
  /** Always `"MaxPool2D"`. */
  readonly type = "MaxPool2D";
  /** Pooling has no activation. */
  readonly activation: Activation = "linear";

  /**
   * Creates a 2×2 max-pooling layer.
   *
   * @param padding `"same"` (default, as the blog) or `"valid"`.
   */
  constructor(readonly padding: Padding = "same") {}

  /** Output shape (without the batch dimension) for an input shape; validates it. */
  outputShape(input: Shape, name: string): number[] {
    const [c, h, w] = expectImages(input, name, "MaxPool2D");
    const out = (d: number) => (this.padding === "same" ? Math.ceil(d / 2) : Math.floor(d / 2));
    if (out(h) < 1 || out(w) < 1) {
      throw new AutoencoderError(
        `Cannot build MaxPool2D layer "${name}": ${h}x${w} images are too small`,
        { kind: "bad-input" },
      );
    }
    return [c, out(h), out(w)];
  }

  /** None: the layer has no parameters. */
  params(): ParamSpec[] {
    return [];
  }

  /** Emits the layer's linear part on `x` (`[N, ...input]`). */
  apply(ctx: LayerContext, x: Value, name: string): Value {
    const [, oh, ow] = this.outputShape(x.shape.slice(1), name);
    const [, , h, w] = x.shape as number[];
    const pads = this.padding === "same" ? [0, 0, 2 * oh - h, 2 * ow - w] : [0, 0, 0, 0];
    return ctx.b.op1("MaxPool", [x], { kernel_shape: [2, 2], strides: [2, 2], pads });
  }
}

/**
 * Nearest-neighbour upsampling by an integer factor: `[N, C, H, W]` to
 * `[N, C, fH, fW]`, each pixel copied into an `f×f` block (Keras'
 * `UpSampling2D`); its gradient sums each block.
 *
 * @example
 * ```ts
 * import { UpSampling2D } from "./layers.ts";
 * console.assert(new UpSampling2D().outputShape([8, 4, 4], "decoder.1")[1] === 8);
 * ```
 */
export class UpSampling2D implements Layer {
  /** Always `"UpSampling2D"`. */
  readonly type = "UpSampling2D";
  /** Upsampling has no activation. */
  readonly activation: Activation = "linear";

  /**
   * Creates a nearest-neighbour upsampling layer.
   *
   * @param factor Integer scale (default 2).
   */
  constructor(readonly factor = 2) {
    positiveInteger(factor, "factor", "UpSampling2D");
  }

  /** Output shape (without the batch dimension) for an input shape; validates it. */
  outputShape(input: Shape, name: string): number[] {
    const [c, h, w] = expectImages(input, name, "UpSampling2D");
    return [c, h * this.factor, w * this.factor];
  }

  /** None: the layer has no parameters. */
  params(): ParamSpec[] {
    return [];
  }

  /** Emits the layer's linear part on `x` (`[N, ...input]`). */
  apply(ctx: LayerContext, x: Value, name: string): Value {
    this.outputShape(x.shape.slice(1), name);
    return ctx.b.upsampleNearest(x, this.factor);
  }
}
