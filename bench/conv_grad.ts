/**
 * Micro-benchmark of the convolution kernel gradient, the op that `bench:profile`
 * finds dominating the conv models' steps. For `dY = conv(X, W)` (3×3, `same`),
 * `dW[o, i, kh, kw] = Σ_{n,h,w} dY[n, o, h, w] · Xpad[n, i, h + kh, w + kw]`,
 * computed two ways in ONNX Runtime on the same inputs:
 *
 * - `conv`: as the library emits it, a `Conv` over the batch-transposed tensors
 *   (`[C_in, N, H, W]` convolved with `[C_out, N, H, W]` as a H×W kernel, pads 1):
 *   a GEMM with a 3×3 output per image, which MLAS runs as a skinny product;
 * - `im2col`: `Pad`, nine `Slice`s and a `Concat` build `[9·C_in, N·H·W]`, then one
 *   `Gemm` with `[C_out, N·H·W]` (M = C_out, N = 9·C_in, K = N·H·W) and a transpose.
 *
 * Both graphs give the same `[C_out, C_in, 3, 3]` (checked); the output says the
 * milliseconds and GFLOP/s of each. Not a library change: a measurement to predict
 * what such a change would gain.
 *
 * ```sh
 * deno run -A bench/conv_grad.ts [--shapes 128x32x32x14,128x1x16x28] [--threads 2] [--reps 10]
 * ```
 *
 * @module
 */

import * as ort from "onnxruntime-node";
import { parseArgs } from "node:util";
import { Graph, type Value } from "../src/ir/graph.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { registry } from "../src/ops/registry.ts";
import { median } from "./data.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    // N x C_in x C_out x H (square images): the denoising model's largest kernel
    // gradients, then the conv model's first layer.
    shapes: { type: "string", default: "128x32x32x14,128x32x32x28,128x1x32x28,128x16x8x14" },
    threads: { type: "string", default: "2" },
    passive: { type: "boolean", default: false },
    reps: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
  },
});

// The library has no Concat (it needs none); the encoder only looks up attribute types, so this
// process gives it Concat's one attribute. Nothing else sees it.
(registry as unknown as Record<string, { attrs: Record<string, string> }>).Concat ??= {
  attrs: { axis: "int" },
};

const i64 = (g: Graph, xs: number[]) => g.constant(BigInt64Array.from(xs.map(BigInt)), [xs.length]);
const f32 = (shape: number[]) => [{ dtype: "float32" as const, shape }];

function node(
  g: Graph,
  op: string,
  inputs: Value[],
  attrs: Record<string, unknown>,
  shape: number[],
) {
  return g.addNode(op, inputs, attrs as never, f32(shape))[0];
}

/** The library's formulation: Conv over batch-transposed tensors. */
function convGraph(n: number, ci: number, co: number, h: number): Graph {
  const g = new Graph();
  const x = g.input("x", "float32", [n, ci, h, h]);
  const dy = g.input("dy", "float32", [n, co, h, h]);
  const xt = node(g, "Transpose", [x], { perm: [1, 0, 2, 3] }, [ci, n, h, h]);
  const dyt = node(g, "Transpose", [dy], { perm: [1, 0, 2, 3] }, [co, n, h, h]);
  // [C_in, N, H, W] ⊛ [C_out, N, H, W] (pads 1) -> [C_in, C_out, 3, 3]
  const w = node(g, "Conv", [xt, dyt], { pads: [1, 1, 1, 1] }, [ci, co, 3, 3]);
  g.output("dw", node(g, "Transpose", [w], { perm: [1, 0, 2, 3] }, [co, ci, 3, 3]));
  return g;
}

/** im2col by Pad + Slice + Concat, then one Gemm. */
function im2colGraph(n: number, ci: number, co: number, h: number): Graph {
  const g = new Graph();
  const x = g.input("x", "float32", [n, ci, h, h]);
  const dy = g.input("dy", "float32", [n, co, h, h]);
  const xt = node(g, "Transpose", [x], { perm: [1, 0, 2, 3] }, [ci, n, h, h]);
  const xp = node(g, "Pad", [xt, i64(g, [0, 0, 1, 1, 0, 0, 1, 1])], {}, [ci, n, h + 2, h + 2]);
  const shifts: Value[] = [];
  for (let kh = 0; kh < 3; kh++) {
    for (let kw = 0; kw < 3; kw++) {
      shifts.push(node(
        g,
        "Slice",
        [xp, i64(g, [kh, kw]), i64(g, [kh + h, kw + h]), i64(g, [2, 3])],
        {},
        [ci, n, h, h],
      ));
    }
  }
  const cols = node(g, "Concat", shifts, { axis: 0 }, [9 * ci, n, h, h]);
  const cols2 = node(g, "Reshape", [cols, i64(g, [9 * ci, n * h * h])], {}, [9 * ci, n * h * h]);
  const dyt = node(g, "Transpose", [dy], { perm: [1, 0, 2, 3] }, [co, n, h, h]);
  const dy2 = node(g, "Reshape", [dyt, i64(g, [co, n * h * h])], {}, [co, n * h * h]);
  const prod = node(g, "Gemm", [dy2, cols2], { transB: 1 }, [co, 9 * ci]); // [o, (kh, kw, i)]
  const w4 = node(g, "Reshape", [prod, i64(g, [co, 3, 3, ci])], {}, [co, 3, 3, ci]);
  g.output("dw", node(g, "Transpose", [w4], { perm: [0, 3, 1, 2] }, [co, ci, 3, 3]));
  return g;
}

function open(g: Graph) {
  return ort.InferenceSession.create(encodeModel(g, { name: "conv_grad" }), {
    executionProviders: ["cpu"],
    intraOpNumThreads: Number(values.threads) || undefined,
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: values.passive ? "0" : "1" } } },
  });
}

const rows = [];
for (const spec of values.shapes.split(",")) {
  const [n, ci, co, h] = spec.split("x").map(Number);
  const random = (size: number) => Float32Array.from({ length: size }, () => Math.random() - 0.5);
  const feeds = {
    x: new ort.Tensor("float32", random(n * ci * h * h), [n, ci, h, h]),
    dy: new ort.Tensor("float32", random(n * co * h * h), [n, co, h, h]),
  };
  const sessions = {
    conv: await open(convGraph(n, ci, co, h)),
    im2col: await open(im2colGraph(n, ci, co, h)),
  };
  const times: Record<string, number[]> = { conv: [], im2col: [] };
  const outs: Record<string, Float32Array> = {};
  const reps = Number(values.reps);
  for (let r = 0; r < reps + 2; r++) {
    for (const [name, s] of Object.entries(sessions)) { // alternate, so both see the same load
      const t0 = performance.now();
      const out = await s.run(feeds);
      if (r >= 2) times[name].push(performance.now() - t0);
      outs[name] = out.dw.data as Float32Array;
    }
  }
  for (const s of Object.values(sessions)) await s.release();
  let maxDiff = 0, maxAbs = 0;
  for (let i = 0; i < outs.conv.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(outs.conv[i] - outs.im2col[i]));
    maxAbs = Math.max(maxAbs, Math.abs(outs.conv[i]));
  }
  const flops = 2 * n * ci * co * 9 * h * h;
  const ms = { conv: median(times.conv), im2col: median(times.im2col) };
  rows.push({
    shape: `N=${n} C_in=${ci} C_out=${co} ${h}x${h}`,
    conv_ms: ms.conv,
    im2col_ms: ms.im2col,
    conv_gflops: flops / ms.conv / 1e6,
    im2col_gflops: flops / ms.im2col / 1e6,
    speedup: ms.conv / ms.im2col,
    max_rel_diff: maxDiff / maxAbs,
  });
}

if (values.json) { for (const r of rows) console.log(JSON.stringify(r)); }
else {
  console.log(
    `kernel gradient of a 3x3 same conv, ${values.threads} threads, median of ${values.reps}; load ${
      Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
    }`,
  );
  for (const r of rows) {
    console.log(
      `${r.shape.padEnd(34)} conv ${r.conv_ms.toFixed(2).padStart(7)} ms (${
        r.conv_gflops.toFixed(1).padStart(5)
      } GFLOP/s)  im2col+Gemm ${r.im2col_ms.toFixed(2).padStart(7)} ms (${
        r.im2col_gflops.toFixed(1).padStart(5)
      } GFLOP/s)  x${r.speedup.toFixed(2)}  rel diff ${r.max_rel_diff.toExponential(1)}`,
    );
  }
}
