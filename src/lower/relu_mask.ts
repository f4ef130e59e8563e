/**
 * ReLU's gradient mask `[y > 0]` as `Ceil(Clip(y, 0, 1))`: equal for every number
 * (`Clip` maps y > 0 into (0, 1], which `Ceil` makes 1; y ≤ 0 gives 0), but three
 * vectorized passes in ORT where `Cast(Greater)` is slower and `Where` is scalar
 * (bench/NOTES.md, "ReLU gradient").
 *
 * @module
 */

import { isScalar, type Lowering, producer } from "./rewrite.ts";

/** `Cast(Greater(y, 0))` to `Ceil(Clip(y, 0, 1))`. */
export const reluMask: Lowering = {
  name: "relu-mask",
  // Measured on the CPU (wasm runs the same kernels); on WebGPU and CUDA it is the
  // graph bench/gpu.ts measured.
  providers: ["cpu", "wasm", "webgpu", "cuda"],
  op: "Cast",
  apply(b, [mask], attrs) {
    const greater = producer(mask, "Greater");
    if (attrs.to !== 1 || !greater || !isScalar(greater.inputs[1], 0)) return undefined;
    const [y] = greater.inputs;
    return [b.op1("Ceil", [b.op1("Clip", [y, b.scalar(0), b.scalar(1)])])];
  },
};
