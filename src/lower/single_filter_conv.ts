/**
 * A layer's single-filter Conv (the blog's output layers) as a 1×1 Conv to one map
 * per tap, then a Conv with a constant one-hot kernel that sums those maps, each
 * shifted by its tap. ORT's CPU runs a one-filter Conv as a matrix-vector product
 * over an im2col buffer `kh·kw` times the input (bench/NOTES.md, "Single-filter
 * forward Conv"). Slices and sums instead of the one-hot Conv were as fast on the
 * CPU, but onnxruntime-web's WebGPU layout transform mis-shaped them.
 *
 * Two rewrites: `single-filter-conv`, applied after differentiation (the gradient is
 * the plain Conv's), and `upsampled-single-filter-conv`, applied while the forward
 * pass is emitted, for a Conv of a nearest upsampling: the 1×1 Conv commutes with
 * the upsampling, so it runs before it, on `f²` times fewer pixels, and the
 * upsampling and its gradient move `kh·kw` maps instead of the input's channels
 * (bench/NOTES.md, "Issue 16, part 6"). For a 3×3 kernel and a factor of 2, the
 * blog's case, `upsampled-conv` (upsampled_conv.ts) comes first and is faster.
 *
 * @module
 */

import type { Attrs, Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";
import { isParameter, type Lowering, oneHotTaps, producer } from "./rewrite.ts";

/** The taps of `Conv(x, kernel, bias, attrs)` when it is one this file rewrites, else 0. */
function singleFilterTaps(kernel: Value, bias: Value | undefined, attrs: Attrs): number {
  const [filters, channels, kh, kw] = kernel.shape as number[];
  const taps = kh * kw;
  if (filters !== 1 || taps === 1 || !bias || !isParameter(kernel) || attrs.dilations) return 0;
  // The one-hot kernel this file emits is a single-filter Conv too: leave it.
  return channels === taps && isOneHot(kernel) ? 0 : taps;
}

/** Whether `v` is a constant holding the identity's pattern (`oneHotTaps`' kernel). */
function isOneHot(v: Value): boolean {
  if (v.source.kind !== "constant") return false;
  const data = v.source.data, n = Math.round(Math.sqrt(data.length));
  return data.every((x, i) => x === (i % (n + 1) === 0 ? 1 : 0));
}

/** `Conv(x, kernel [1, C, kh, kw])` without its sum over taps: `[N, kh·kw, H, W]`. */
function perTapMaps(b: Builder, x: Value, kernel: Value): Value {
  const [, channels, kh, kw] = kernel.shape as number[];
  const taps = kh * kw;
  const perTap = b.reshape(
    b.transpose(b.reshape(kernel, [channels, taps]), [1, 0]),
    [taps, channels, 1, 1],
  );
  return b.op1("Conv", [x, perTap], { kernel_shape: [1, 1] });
}

/** The per-tap maps shifted by their taps and summed, plus the bias. */
function sumShifted(b: Builder, maps: Value, kernel: Value, bias: Value, attrs: Attrs): Value {
  const [, , kh, kw] = kernel.shape as number[];
  return b.op1("Conv", [maps, oneHotTaps(b, kh, kw, [1, kh * kw, kh, kw]), bias], attrs);
}

/** `Conv(x, w [1, C, kh, kw], bias)` with a parameter `w` to per-tap maps and their shifted sum. */
export const singleFilterConv: Lowering = {
  name: "single-filter-conv",
  providers: ["cpu", "wasm", "webgpu", "cuda"],
  op: "Conv",
  apply(b, [x, kernel, bias], attrs) {
    if (!singleFilterTaps(kernel, bias, attrs)) return undefined;
    return [sumShifted(b, perTapMaps(b, x, kernel), kernel, bias, attrs)];
  },
};

/**
 * `Conv(Resize(x), w [1, C, kh, kw], bias)` (nearest upsampling) to the shifted sum of
 * `Resize(perTapMaps(x))`, where the input has more channels than the kernel taps.
 */
export const upsampledSingleFilterConv: Lowering = {
  name: "upsampled-single-filter-conv",
  providers: ["cpu", "wasm", "webgpu", "cuda"],
  op: "Conv",
  apply(b, [x, kernel, bias], attrs) {
    const resize = producer(x, "Resize");
    const taps = singleFilterTaps(kernel, bias, attrs);
    if (!resize || !taps || (kernel.shape[1] as number) <= taps) return undefined;
    const [small, roi, scales] = resize.inputs;
    const maps = b.op1("Resize", [perTapMaps(b, small, kernel), roi, scales], resize.attrs);
    return [sumShifted(b, maps, kernel, bias, attrs)];
  },
};
