/**
 * Conv's kernel gradient laid out for ORT's CPU GEMMs. The plain rule computes
 * `dw = T(Conv(T(x), T(g)))` (T swaps the batch and channel axes): one GEMM per
 * channel with only `kh·kw` columns, at a third of the forward conv's speed.
 *
 * @module
 */

import type { Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";
import { flipTaps, fullPads } from "../ops/nn_ops.ts";
import { type Lowering, oneHotTaps, producer } from "./rewrite.ts";

const SWAP_01 = [1, 0, 2, 3].join();

/**
 * `x`, `g`, the kernel size, the pads and the sizes (`x: [N, channels, h, w]`,
 * `g: [N, filters, oh, ow]`) of a plain kernel gradient `T(Conv(T(x), T(g)))`.
 */
function match(perm: unknown, transposed: Value) {
  const conv = producer(transposed, "Conv");
  if (String(perm) !== SWAP_01 || !conv || conv.inputs.length !== 2 || conv.attrs.dilations) {
    return undefined;
  }
  const [x, g] = conv.inputs.map((v) => producer(v, "Transpose"));
  if (String(x?.attrs.perm) !== SWAP_01 || String(g?.attrs.perm) !== SWAP_01) return undefined;
  const [xv, gv] = [x!.inputs[0], g!.inputs[0]];
  const [, channels, h, w] = xv.shape as number[];
  const [, filters, oh, ow] = gv.shape as number[];
  return {
    x: xv,
    g: gv,
    kernel: transposed.shape.slice(2) as number[],
    pads: (conv.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0],
    channels,
    h,
    w,
    filters,
    oh,
    ow,
  };
}

/** A matched kernel gradient, with its sides' sizes. */
type Match = NonNullable<ReturnType<typeof match>>;

/** Moves a tensor's channels innermost: `[N, C, H, W]` → `[N, H, W, C]`. */
type ChannelsLast = (b: Builder, t: Value) => Value;

/** Channel counts up to which {@link matmulChannelsLast} paid (16: 1.1–1.3× the conv step; 32: no gain). */
const MATMUL_CHANNELS = 16;

const transposeChannelsLast: ChannelsLast = (b, t) => b.transpose(t, [0, 2, 3, 1]);

/**
 * The channels moved innermost by a product with the identity, for up to
 * {@link MATMUL_CHANNELS} channels: `[N, C, H·W]` transposed into a `MatMul` with
 * `I_C`, which ORT fuses into one `FusedMatMul` whose transposed operand MLAS
 * packs faster than ORT's `Transpose` moves a small inner axis (bench/NOTES.md,
 * "Issue 16, part 6"). The values are the input's: each output is one product with
 * 1 plus products with 0 (only an infinite input would turn into NaN, and the
 * sign of a zero may change).
 */
const matmulChannelsLast: ChannelsLast = (b, t) => {
  const [, c, h, w] = t.shape as number[];
  if (c > MATMUL_CHANNELS) return transposeChannelsLast(b, t);
  const eye = b.shared(`eye:${c}`, () => {
    const data = new Float32Array(c * c);
    for (let i = 0; i < c; i++) data[i * c + i] = 1;
    return b.graph.constant(data, [c, c]);
  });
  const moved = b.matmul(b.transpose(b.reshape(t, [-1, c, h * w]), [0, 2, 1]), eye);
  return b.reshape(moved, [-1, h, w, c]);
};

/**
 * The kernel gradient as one Conv whose channel axis is the batch, so the batch is
 * summed as that convolution's channels. The side with fewer channels becomes the
 * input, its channels interleaved into its width (`[N, C, H, W]` → `[1, N, H, W·C]`),
 * and the other side the kernel, dilated by that channel count along the width:
 * every output position is then a wanted `(tap, channel)` pair, and ORT runs one
 * GEMM with `N = kh·kw·C` columns (bench/NOTES.md, "Kernel gradient as one dilated
 * Conv"). The channels move innermost by a `Transpose` here (the graphs measured on
 * WebGPU and CUDA); {@link kernelGradientInterleavedMatMul} is the CPU's form.
 */
export const kernelGradientInterleaved: Lowering = {
  name: "kernel-gradient-interleaved",
  providers: ["webgpu", "cuda"],
  op: "Transpose",
  apply(b, [transposed], { perm }) {
    const m = match(perm, transposed);
    if (!m || m.channels === 1 || m.filters === 1) return undefined;
    return [interleaved(b, m, transposeChannelsLast)];
  },
};

/**
 * {@link kernelGradientInterleaved} with the interleaved side's channels moved
 * innermost by a product with the identity where it has few (`matmulChannelsLast`).
 */
export const kernelGradientInterleavedMatMul: Lowering = {
  name: "kernel-gradient-interleaved-matmul",
  providers: ["cpu", "wasm"],
  op: "Transpose",
  apply(b, [transposed], { perm }) {
    const m = match(perm, transposed);
    if (!m || m.channels === 1 || m.filters === 1) return undefined;
    return [interleaved(b, m, matmulChannelsLast)];
  },
};

function interleaved(b: Builder, m: Match, channelsLast: ChannelsLast): Value {
  const { x, g, kernel, pads, channels, h, w, filters, oh, ow } = m;
  const [kh, kw] = kernel, swap = [1, 0, 2, 3];
  const interleave = (t: Value, c: number, th: number, tw: number) =>
    b.reshape(channelsLast(b, t), [1, -1, th, tw * c]);
  if (filters < channels) {
    // g ⋆ x, padded k - 1 - p: out[c, i, j·M + m] = dw[m, c, kh-1-i, kw-1-j].
    const full = fullPads(kernel, pads);
    const out = b.op1("Conv", [interleave(g, filters, oh, ow), b.transpose(x, swap)], {
      kernel_shape: [h, w],
      pads: [full[0], full[1] * filters, full[2], full[3] * filters],
      dilations: [1, filters],
    });
    return flipTaps(b, b.transpose(b.reshape(out, [channels, kh, kw, filters]), [3, 0, 1, 2]));
  }
  // x ⋆ g: out[m, i, j·C + c] = dw[m, c, i, j].
  const out = b.op1("Conv", [interleave(x, channels, h, w), b.transpose(g, swap)], {
    kernel_shape: [oh, ow],
    pads: [pads[0], pads[1] * channels, pads[2], pads[3] * channels],
    dilations: [1, channels],
  });
  return b.transpose(b.reshape(out, [filters, kh, kw, channels]), [0, 3, 1, 2]);
}

/**
 * The kernel gradient of a 1×1 Conv without padding (the per-tap maps of
 * `upsampled-single-filter-conv`): `dw[m, c] = Σ_n g[n, m, :] · x[n, c, :]`, one
 * batched MatMul over the pixels summed over the batch, as
 * {@link kernelGradientShiftedTaps} does, instead of a Conv with a 1×1 output.
 */
export const kernelGradientPointwise: Lowering = {
  name: "kernel-gradient-pointwise",
  providers: ["cpu", "wasm", "webgpu", "cuda"],
  op: "Transpose",
  apply(b, [transposed], { perm }) {
    const m = match(perm, transposed);
    if (!m || m.kernel.some((k) => k !== 1) || m.pads.some((p) => p !== 0)) return undefined;
    const { x, g, channels, h, w, filters } = m;
    const dw = overPixels(
      b,
      b.reshape(g, [-1, filters, h * w]),
      b.reshape(x, [-1, channels, h * w]),
    );
    return [b.reshape(dw, [filters, channels, 1, 1])];
  },
};

/** `Σ_n a[n] · s[n]ᵀ` for `a [N, rows, P]`, `s [N, cols, P]`: `[rows, cols]`. */
function overPixels(b: Builder, a: Value, s: Value): Value {
  return b.reduceSum(b.matmul(a, b.transpose(s, [0, 2, 1])), [0], false);
}

/**
 * The kernel gradient where one side has a single channel (the blog's first and last
 * layers): that side is shifted once per tap by a Conv with a one-hot kernel
 * (`[N, taps, H', W']`, cheap at one channel), and `dw` is a batched MatMul with the
 * other side over the pixels, summed over the batch; ORT fuses the transpose into the
 * MatMul (bench/NOTES.md, "Kernel gradient of a single-channel side").
 */
export const kernelGradientShiftedTaps: Lowering = {
  name: "kernel-gradient-shifted-taps",
  providers: ["cpu", "wasm", "webgpu", "cuda"],
  op: "Transpose",
  apply(b, [transposed], { perm }) {
    const m = match(perm, transposed);
    if (!m || (m.channels !== 1 && m.filters !== 1)) return undefined;
    return [shiftedTaps(b, m)];
  },
};

function shiftedTaps(b: Builder, m: Match): Value {
  const { x, g, kernel, pads, channels, h, w, filters, oh, ow } = m;
  const [kh, kw] = kernel, taps = kh * kw;
  const pixels = (t: Value, c: number, p: number) => b.reshape(t, [-1, c, p]);
  if (channels === 1) {
    // shifted[n, t, y, x] = xpad[n, 0, y + i, x + j] for tap t = (i, j).
    const shifted = b.op1("Conv", [x, oneHotTaps(b, kh, kw, [taps, 1, kh, kw])], {
      kernel_shape: [kh, kw],
      pads,
    });
    const dw = overPixels(b, pixels(g, filters, oh * ow), pixels(shifted, taps, oh * ow));
    return b.reshape(dw, [filters, 1, kh, kw]);
  }
  // shifted[n, t, y, x] = g[n, 0, y - i + top, x - j + left]: padded k - 1 - p, taps mirrored.
  const shifted = b.op1("Conv", [g, oneHotTaps(b, kh, kw, [taps, 1, kh, kw], true)], {
    kernel_shape: [kh, kw],
    pads: fullPads(kernel, pads),
  });
  const dw = overPixels(b, pixels(x, channels, h * w), pixels(shifted, taps, h * w));
  return b.reshape(dw, [1, channels, kh, kw]);
}
