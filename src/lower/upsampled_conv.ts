/**
 * A single-filter 3×3 Conv of a nearest 2× upsampling (the blog's output layers), run
 * on the small image (`upsampled-conv`).
 *
 * Each output pixel of `Conv(Resize(s, 2), w)` sees at most 2×2 distinct pixels of
 * `s`: in an output row of a given parity, two of the kernel's three rows fall on the
 * same upsampled row. So the four parities of the output (its phases) are four 2×2
 * convolutions of `s` whose kernels sum `w`'s taps in pairs, and the whole is one
 * Conv of `s` with four filters of 2×2 and a `DepthToSpace` that interleaves them:
 * 2.25× fewer multiplications on a quarter of the pixels, no upsampling and no
 * upsampling gradient. A single filter is where it pays: ORT's CPU runs a
 * one-filter Conv as a matrix-vector product, and four filters make it a product
 * of matrices. With several filters the interleaving (and its gradient,
 * `SpaceToDepth`) costs what the smaller Conv saves (bench/NOTES.md, "Issue 16,
 * part 13"). Applied while the forward pass is emitted (the gradient is the new
 * form's), before `upsampled-single-filter-conv`, which handles other kernels and
 * factors.
 *
 * With `pads` 1 ("same") the phases' windows start one row apart, so the Conv is
 * padded by 1 and the interleaved result cropped by one pixel on each side; with
 * `pads` 0 ("valid") the windows coincide and nothing is cropped.
 *
 * @module
 */

import type { Node, Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";
import { isParameter, type Lowering, producer } from "./rewrite.ts";

/**
 * `ROWS[p][k][t]`: whether the kernel's row `t` falls on the small image's row `k` of
 * a 2-row window, for output rows of sub-position `p` after interleaving (the same
 * holds for columns).
 */
const ROWS = [
  [[1, 1, 0], [0, 0, 1]],
  [[1, 0, 0], [0, 1, 1]],
];

/**
 * The constant `[9, 16]` matrix that maps a 3×3 kernel's taps `(t, u)` to the four
 * phases' 2×2 taps `(p, q, k, l)`.
 */
function phaseMatrix(b: Builder): Value {
  return b.shared("upsampled-conv:phases", () => {
    const data = new Float32Array(9 * 16);
    for (let t = 0; t < 3; t++) {
      for (let u = 0; u < 3; u++) {
        for (let col = 0; col < 16; col++) {
          const [p, q, k, l] = [col >> 3, (col >> 2) & 1, (col >> 1) & 1, col & 1];
          data[(t * 3 + u) * 16 + col] = ROWS[p][k][t] * ROWS[q][l][u];
        }
      }
    }
    return b.graph.constant(data, [9, 16]);
  });
}

/** Whether `resize` is `Builder.upsampleNearest` by 2. */
function isDoubling(resize: Node): boolean {
  const scales = resize.inputs[2];
  return resize.attrs.mode === "nearest" && resize.attrs.nearest_mode === "floor" &&
    resize.attrs.coordinate_transformation_mode === "asymmetric" &&
    scales?.source.kind === "constant" && String(scales.source.data) === "1,1,2,2";
}

/** `Conv(Resize(s, 2×), w [1, C, 3, 3], bias)`, pads all 0 or all 1, as phases of `s`. */
export const upsampledConv: Lowering = {
  name: "upsampled-conv",
  providers: ["cpu", "wasm", "webgpu", "cuda"],
  op: "Conv",
  apply(b, [x, kernel, bias], attrs) {
    const resize = producer(x, "Resize");
    const pads = (attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
    const pad = pads[0];
    if (
      !resize || !isDoubling(resize) || !isParameter(kernel) || attrs.dilations ||
      String(kernel.shape.slice(2)) !== "3,3" || pads.some((p) => p !== pad) || pad > 1 ||
      kernel.shape[0] !== 1
    ) return undefined;
    const small = resize.inputs[0];
    const [filters, channels] = kernel.shape as number[];
    const [, , h, w] = small.shape as number[];
    const taps = b.matmul(b.reshape(kernel, [filters * channels, 9]), phaseMatrix(b));
    const phases = b.reshape(
      b.transpose(b.reshape(taps, [filters, channels, 2, 2, 2, 2]), [2, 3, 0, 1, 4, 5]),
      [4 * filters, channels, 2, 2],
    );
    const inputs = [small, phases];
    if (bias) {
      const ones = b.shared(
        "ones:4x1",
        () => b.graph.constant(new Float32Array(4).fill(1), [4, 1]),
      );
      inputs.push(b.reshape(b.matmul(ones, b.reshape(bias, [1, filters])), [4 * filters]));
    }
    const y = b.op1("Conv", inputs, { kernel_shape: [2, 2], pads: [pad, pad, pad, pad] });
    const interleaved = b.op1("DepthToSpace", [y], { blocksize: 2, mode: "DCR" });
    return [
      pad
        ? b.slice(interleaved, [1, 1], [2 * (h + pad) - 1, 2 * (w + pad) - 1], [2, 3])
        : interleaved,
    ];
  },
};

/**
 * `SpaceToDepth` (the gradient of `upsampled-conv`'s `DepthToSpace`) as the transpose
 * it is, for ORT's WebGPU provider, which has no `SpaceToDepth` kernel (it would run
 * on the CPU).
 */
export const spaceToDepthAsTranspose: Lowering = {
  name: "space-to-depth-as-transpose",
  providers: ["webgpu"],
  op: "SpaceToDepth",
  apply(b, [x], attrs) {
    const k = attrs.blocksize as number;
    const [, c, h, w] = x.shape as number[];
    const split = b.reshape(x, [-1, c, h / k, k, w / k, k]);
    return [b.reshape(b.transpose(split, [0, 3, 5, 1, 2, 4]), [-1, c * k * k, h / k, w / k])];
  },
};
