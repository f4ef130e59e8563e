/**
 * ONNX Runtime's blocked-layout (NCHWc) CPU operators, domain `com.microsoft.nchwc`:
 * MLAS's fastest convolutions, which ORT's own layout transformer uses only where
 * a Conv's kernel is a constant. The `nchwc-conv` rewrite (src/lower/nchwc_conv.ts)
 * emits them for kernels that change every step.
 *
 * An NCHWc tensor is declared `[N, C', H, W]`, `C'` the channels rounded up to the
 * block size `b` (zeros in the padding), and is stored `[N, C'/b, H, W, b]`. `b` is
 * MLAS's (8, or 16 with AVX-512); these records declare shapes and compute
 * reference values with {@link NOMINAL_BLOCK}. The rewrite's graphs spell no padded
 * size in any shape they compute, so ORT runs them at its own block size.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { showShape, type Value } from "../ir/graph.ts";
import { expectArity, expectFloat, intAttr, intsAttr, same } from "./infer.ts";
import { conv2d, tensor } from "./tensor64.ts";
import type { OpDef, Tensor64 } from "./types.ts";

/** The NCHWc operators, by the names the library's graphs give them. */
export type NchwcOp = "ReorderInput" | "ReorderOutput" | "NchwcConv";

/** The block size the records' shapes and reference values assume (AVX-512's). */
export const NOMINAL_BLOCK = 16;

/** The operator set domain of the NCHWc operators. */
export const NCHWC_DOMAIN = "com.microsoft.nchwc";

/** `c` rounded up to a whole number of blocks. */
export function blocked(c: number): number {
  return Math.ceil(c / NOMINAL_BLOCK) * NOMINAL_BLOCK;
}

/** `[C, H, W]` of `x`, static, or a clear error. */
function dims3(x: Value, where: string): number[] {
  const chw = x.shape.slice(1);
  if (x.shape.length !== 4 || chw.some((d) => typeof d !== "number")) {
    throw new AutoencoderError(
      `Cannot build ${where}: expected an [N, C, H, W] input with static C, H and W, got ${
        showShape(x.shape)
      }`,
    );
  }
  return chw as number[];
}

/** `[N, C, H, W]` to the blocked layout of `[N, blocked(C), H, W]`, zero-padded. */
function toBlocked(x: Tensor64): Tensor64 {
  const [n, c, h, w] = x.shape, b = NOMINAL_BLOCK, cp = blocked(c), hw = h * w;
  const out = tensor([n, cp, h, w]);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const to = (i * cp + ch - (ch % b)) * hw, from = (i * c + ch) * hw;
      for (let s = 0; s < hw; s++) out.data[to + s * b + (ch % b)] = x.data[from + s];
    }
  }
  return out;
}

/** The first `c` channels of a blocked `[N, C', H, W]`, in the plain layout. */
function fromBlocked(x: Tensor64, c: number): Tensor64 {
  const [n, cp, h, w] = x.shape, b = NOMINAL_BLOCK, hw = h * w;
  const out = tensor([n, c, h, w]);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const from = (i * cp + ch - (ch % b)) * hw, to = (i * c + ch) * hw;
      for (let s = 0; s < hw; s++) out.data[to + s] = x.data[from + s * b + (ch % b)];
    }
  }
  return out;
}

/**
 * A reordered kernel back in `OIHW`: stored `[O'/b, C'/b, kh, kw, b, b]` (input
 * channel, then output channel innermost) for a blocked input, or
 * `[O'/b, C, kh, kw, b]` for a plain input of fewer than `b` channels.
 */
function kernelOIHW(w: Tensor64, plainInput: boolean): Tensor64 {
  const [o, c, kh, kw] = w.shape, b = NOMINAL_BLOCK, k = kh * kw;
  const out = tensor([o, c, kh, kw]);
  for (let m = 0; m < o; m++) {
    for (let i = 0; i < c; i++) {
      for (let t = 0; t < k; t++) {
        const ob = Math.floor(m / b), bo = m % b;
        const at = plainInput
          ? ((ob * c + i) * k + t) * b + bo
          : (((ob * (c / b) + Math.floor(i / b)) * k + t) * b + (i % b)) * b + bo;
        out.data[(m * c + i) * k + t] = w.data[at];
      }
    }
  }
  return out;
}

/** The records of the NCHWc operators. */
export const nchwcOps: Readonly<Record<NchwcOp, OpDef>> = {
  // [N, C, H, W] (C a multiple of 4) to blocked [N, C', H, W].
  ReorderInput: {
    attrs: {},
    domain: NCHWC_DOMAIN,
    infer(inputs, _attrs, where) {
      expectArity(inputs, 1, where);
      expectFloat(inputs[0], where);
      const [c, h, w] = dims3(inputs[0], where);
      if (c % 4 !== 0) {
        throw new AutoencoderError(`Cannot build ${where}: ${c} channels, not a multiple of 4`);
      }
      return same("float32", [inputs[0].shape[0], blocked(c), h, w]);
    },
    ref: ([x]) => [toBlocked(x)],
    vjp: "none",
  },

  // Blocked [N, C', H, W] to plain [N, channels, H, W].
  ReorderOutput: {
    attrs: { channels: "int" },
    domain: NCHWC_DOMAIN,
    infer(inputs, attrs, where) {
      expectArity(inputs, 1, where);
      const [c, h, w] = dims3(inputs[0], where);
      const channels = intAttr(attrs, "channels", 0);
      if (channels < 1 || blocked(channels) !== c) {
        throw new AutoencoderError(`Cannot build ${where}: ${channels} channels of ${c}`);
      }
      return same("float32", [inputs[0].shape[0], channels, h, w]);
    },
    ref: ([x], attrs) => [fromBlocked(x, intAttr(attrs, "channels", 0))],
    vjp: "none",
  },

  // Cross-correlation (group 1, stride 1) of a blocked input, or a plain one of fewer
  // channels than a block, with a reordered kernel [O', C, kh, kw] and bias [O'].
  NchwcConv: {
    attrs: { kernel_shape: "ints", pads: "ints", dilations: "ints", activation: "string" },
    domain: NCHWC_DOMAIN,
    onnxType: "Conv",
    infer(inputs, attrs, where) {
      if (inputs.length < 2 || inputs.length > 3) expectArity(inputs, 2, where);
      inputs.forEach((v) => expectFloat(v, where));
      const [x, w] = inputs;
      const [c, h, wd] = dims3(x, where), [wc, kh, kw] = dims3(w, where), o = w.shape[0];
      if (wc !== c || typeof o !== "number" || o % NOMINAL_BLOCK !== 0) {
        throw new AutoencoderError(
          `Cannot build ${where}: kernel ${showShape(w.shape)} does not fit ${showShape(x.shape)}`,
        );
      }
      const pads = intsAttr(attrs, "pads") ?? [0, 0, 0, 0];
      const [dh, dw] = intsAttr(attrs, "dilations") ?? [1, 1];
      const oh = h + pads[0] + pads[2] - dh * (kh - 1), ow = wd + pads[1] + pads[3] - dw * (kw - 1);
      return same("float32", [x.shape[0], o, oh, ow]);
    },
    ref([x, w, bias], attrs) {
      const plainInput = x.shape[1] < NOMINAL_BLOCK;
      const pads = intsAttr(attrs, "pads") ?? [0, 0, 0, 0];
      const y = conv2d(
        plainInput ? x : fromBlocked(x, x.shape[1]),
        kernelOIHW(w, plainInput),
        pads,
        intsAttr(attrs, "dilations") ?? [1, 1],
      );
      const [, o, h, wd] = y.shape, hw = h * wd;
      y.data.forEach((v, i) => {
        const withBias = v + (bias ? bias.data[Math.floor(i / hw) % o] : 0);
        y.data[i] = attrs.activation === "Relu" ? Math.max(withBias, 0) : withBias;
      });
      return [toBlocked(y)];
    },
    vjp: "none",
  },
};
