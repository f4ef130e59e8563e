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

/** What a layer sees while it emits itself. */
export interface LayerContext {
  /** The builder of the graph being emitted. */
  b: Builder;
  /**
   * Returns the value standing for a parameter (a graph input while training,
   * a constant in exported models).
   */
  param(spec: ParamSpec): Value;
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
   * Emits the layer on `x` (`[N, ...input]`).
   *
   * @param ctx Builder and parameters.
   * @param x Input.
   * @param name The layer's dotted name.
   * @param logits Return the value before a final sigmoid (for losses computed from logits).
   */
  apply(ctx: LayerContext, x: Value, name: string, logits?: boolean): Value;
}

/** Applies an activation. */
function activate(b: Builder, x: Value, activation: Activation): Value {
  switch (activation) {
    case "relu":
      return b.relu(x);
    case "sigmoid":
      return b.sigmoid(x);
    default:
      return x;
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
   * @param units Output features.
   * @param activation Activation after the affine map (default linear).
   */
  constructor(readonly units: number, readonly activation: Activation = "linear") {
    if (!Number.isInteger(units) || units < 1) {
      throw new AutoencoderError(
        `Cannot create Dense layer: units must be a positive integer, got ${units}`,
      );
    }
  }

  /** @inheritdoc */
  outputShape(input: Shape, name: string): number[] {
    if (input.length !== 1 || typeof input[0] !== "number") {
      throw new AutoencoderError(
        `Cannot build Dense layer "${name}": it expects flat inputs [features], got ${
          showShape(input)
        }; flatten the images first`,
      );
    }
    return [this.units];
  }

  /** @inheritdoc */
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

  /** @inheritdoc */
  apply(ctx: LayerContext, x: Value, name: string, logits = false): Value {
    const [kernel, bias] = this.params(x.shape.slice(1), name).map((p) => ctx.param(p));
    if (kernel.shape[0] !== x.shape[1]) {
      throw new AutoencoderError(
        `Cannot build Dense layer "${name}": input has ${
          x.shape[1]
        } features but the layer expects ${kernel.shape[0]}`,
      );
    }
    const z = ctx.b.op1("Gemm", [x, kernel, bias]);
    return logits && this.activation === "sigmoid" ? z : activate(ctx.b, z, this.activation);
  }
}
