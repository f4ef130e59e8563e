/**
 * Abs's gradient `g · sign(x)` without `Sign`, which ORT's WebGPU provider lacks (it
 * would run on the CPU): `x > 0 ? g : (0 > x ? -g : 0)`.
 *
 * @module
 */

import { type Lowering, producer } from "./rewrite.ts";
import { sameShape } from "../ir/shapes.ts";

/** `Mul(g, Sign(x))` to two `Where`s on `x > 0` and `0 > x`. */
export const absGradient: Lowering = {
  name: "abs-gradient-without-sign",
  // WebGPU has no Sign kernel. The CPU and CUDA keep the graphs they were measured
  // with (on the sparse model's code, [N, 32], the difference is too small to time).
  providers: ["cpu", "webgpu", "cuda"],
  op: "Mul",
  apply(b, [g, mask]) {
    const sign = producer(mask, "Sign");
    if (!sign || !sameShape(g.shape, mask.shape)) return undefined;
    const [x] = sign.inputs, zero = b.scalar(0);
    const negative = b.where(b.greater(zero, x), b.neg(g), zero);
    return [b.where(b.greater(x, zero), g, negative)];
  },
};
