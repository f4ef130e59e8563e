/**
 * A layer's single-filter Conv (the blog's output layers) as a 1×1 Conv to one map
 * per tap, then a Conv with a constant one-hot kernel that sums those maps, each
 * shifted by its tap. ORT's CPU runs a one-filter Conv as a matrix-vector product
 * over an im2col buffer `kh·kw` times the input (bench/NOTES.md, "Single-filter
 * forward Conv"). Slices and sums instead of the one-hot Conv were as fast on the
 * CPU, but onnxruntime-web's WebGPU layout transform mis-shaped them.
 *
 * Applied after differentiation: the gradient is the plain Conv's.
 *
 * @module
 */

import { isParameter, type Lowering, oneHotTaps } from "./rewrite.ts";

/** `Conv(x, w [1, C, kh, kw], bias)` with a parameter `w` to per-tap maps and their shifted sum. */
export const singleFilterConv: Lowering = {
  name: "single-filter-conv",
  providers: ["cpu", "wasm", "webgpu", "cuda"],
  op: "Conv",
  apply(b, [x, kernel, bias], attrs) {
    const [filters, channels, kh, kw] = kernel.shape as number[];
    if (filters !== 1 || kh * kw === 1 || !bias || !isParameter(kernel) || attrs.dilations) {
      return undefined;
    }
    const taps = kh * kw;
    const perTap = b.reshape(
      b.transpose(b.reshape(kernel, [channels, taps]), [1, 0]),
      [taps, channels, 1, 1],
    );
    const maps = b.op1("Conv", [x, perTap], { kernel_shape: [1, 1] });
    return [b.op1("Conv", [maps, oneHotTaps(b, kh, kw, [1, taps, kh, kw]), bias], attrs)];
  },
};
