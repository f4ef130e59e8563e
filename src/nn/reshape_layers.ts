/**
 * Layers that only reshape: {@link Flatten} (images to features) and {@link Reshape}
 * (features to images), between convolutions and {@link Dense} layers.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { type Shape, showShape, type Value } from "../ir/graph.ts";
import {
  type Activation,
  expectImages,
  type Layer,
  type LayerContext,
  type ParamSpec,
  positiveInteger,
} from "./layers.ts";

/**
 * Flattens images: `[N, C, H, W]` to `[N, C·H·W]` (row-major, channels first), so
 * that a {@link Dense} layer can follow convolutions. Its ONNX is `Reshape`.
 *
 * @example
 * ```ts
 * import { Flatten } from "./reshape_layers.ts";
 * console.assert(new Flatten().outputShape([8, 4, 4], "encoder.6")[0] === 128);
 * ```
 */
export class Flatten implements Layer {
  /** Always `"Flatten"`. */
  readonly type = "Flatten";
  /** Flattening has no activation. */
  readonly activation: Activation = "linear";

  /** Output shape (without the batch dimension) for an input shape; validates it. */
  outputShape(input: Shape, name: string): number[] {
    const [c, h, w] = expectImages(input, name, "Flatten");
    return [c * h * w];
  }

  /** None: the layer has no parameters. */
  params(): ParamSpec[] {
    return [];
  }

  /** Emits the layer's linear part on `x` (`[N, ...input]`). */
  apply(ctx: LayerContext, x: Value, name: string): Value {
    const [features] = this.outputShape(x.shape.slice(1), name);
    return ctx.b.reshape(x, [0, features]);
  }
}

/**
 * Reshapes flat features into images: `[N, C·H·W]` to `[N, C, H, W]` (row-major,
 * the inverse of {@link Flatten}), so that convolutions can follow a {@link Dense}
 * layer. Its ONNX is `Reshape`.
 *
 * @example
 * ```ts
 * import { Reshape } from "./reshape_layers.ts";
 * console.assert(new Reshape([8, 4, 4]).outputShape([128], "decoder.1").join() === "8,4,4");
 * ```
 */
export class Reshape implements Layer {
  /** Always `"Reshape"`. */
  readonly type = "Reshape";
  /** Reshaping has no activation. */
  readonly activation: Activation = "linear";
  /** The target `[channels, height, width]`. */
  readonly shape: readonly [number, number, number];

  /**
   * Creates a reshaping layer.
   *
   * @param shape The images' `[channels, height, width]`.
   */
  constructor(shape: readonly [number, number, number]) {
    if (shape.length !== 3) {
      throw new AutoencoderError(
        `Cannot create Reshape layer: the shape must be [channels, height, width], got [${shape}]`,
        { kind: "bad-input" },
      );
    }
    for (const d of shape) positiveInteger(d, "every dimension", "Reshape");
    this.shape = [shape[0], shape[1], shape[2]];
  }

  /** Output shape (without the batch dimension) for an input shape; validates it. */
  outputShape(input: Shape, name: string): number[] {
    const size = this.shape[0] * this.shape[1] * this.shape[2];
    if (input.length !== 1 || input[0] !== size) {
      throw new AutoencoderError(
        `Cannot build Reshape layer "${name}": it expects flat inputs of ${size} features for [${this.shape}], got ${
          showShape(input)
        }`,
        { kind: "bad-input" },
      );
    }
    return [...this.shape];
  }

  /** None: the layer has no parameters. */
  params(): ParamSpec[] {
    return [];
  }

  /** Emits the layer's linear part on `x` (`[N, ...input]`). */
  apply(ctx: LayerContext, x: Value, name: string): Value {
    return ctx.b.reshape(x, [0, ...this.outputShape(x.shape.slice(1), name)]);
  }
}
