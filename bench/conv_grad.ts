/**
 * Micro-benchmark of the convolution kernel gradient, the op that `bench:profile`
 * finds dominating the conv models' steps. For `dY = conv(X, W)` (3×3, `same`),
 * `dW[o, i, kh, kw] = Σ_{n,h,w} dY[n, o, h, w] · Xpad[n, i, h + kh, w + kw]`,
 * computed three ways in ONNX Runtime on the same inputs:
 *
 * - `library`: what the library emits today (Conv's rule in src/ops/nn_ops.ts, lowered by src/lower);
 * - `conv`: the library's first form, before commit 209f40c: a `Conv` over the
 *   batch-transposed tensors (`[C_in, N, H, W]` convolved with `[C_out, N, H, W]` as a
 *   H×W kernel, pads 1), a GEMM with a 3×3 output per image, which MLAS runs as a
 *   skinny product;
 * - `im2col`: `Pad`, nine `Slice`s and a `Concat` build `[9·C_in, N·H·W]`, then one
 *   `Gemm` with `[C_out, N·H·W]` (M = C_out, N = 9·C_in, K = N·H·W) and a transpose.
 *
 * All give the same `[C_out, C_in, 3, 3]` (checked against `library`); the output
 * says the milliseconds and GFLOP/s of each.
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
import { Builder } from "../src/ops/builder.ts";
import { registry } from "../src/ops/registry.ts";
import type { Vjp } from "../src/ops/types.ts";
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

/** The library's kernel gradient as it is now: its Conv rule, lowered for the CPU when encoded. */
function libraryGraph(n: number, ci: number, co: number, h: number): Graph {
  const b = new Builder();
  const x = b.graph.input("x", "float32", [n, ci, h, h]);
  const dy = b.graph.input("dy", "float32", [n, co, h, h]);
  const w = b.graph.input("w", "float32", [co, ci, 3, 3]); // only its shape is read
  const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
  const convVjp = registry.Conv.vjp as Vjp;
  const [, dw] = convVjp(b, { inputs: [x, w], outputs: [], attrs }, [dy]);
  b.graph.output("dw", dw!);
  return b.graph;
}

/** The library's first formulation: Conv over batch-transposed tensors. */
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
  const weights = new ort.Tensor("float32", new Float32Array(co * ci * 9), [co, ci, 3, 3]);
  const graphs = {
    library: libraryGraph(n, ci, co, h),
    conv: convGraph(n, ci, co, h),
    im2col: im2colGraph(n, ci, co, h),
  };
  const sessions = await Promise.all(Object.values(graphs).map(open));
  const names = Object.keys(graphs);
  const times: number[][] = names.map(() => []);
  const outs: Float32Array[] = [];
  const reps = Number(values.reps);
  for (let r = 0; r < reps + 2; r++) {
    for (const [i, s] of sessions.entries()) { // alternate, so all see the same load
      const t0 = performance.now();
      const out = await s.run(s.inputNames.includes("w") ? { ...feeds, w: weights } : feeds);
      if (r >= 2) times[i].push(performance.now() - t0);
      outs[i] = out.dw.data as Float32Array;
    }
  }
  for (const s of sessions) await s.release();
  const flops = 2 * n * ci * co * 9 * h * h;
  const row: Record<string, string | number> = { shape: `N=${n} C_in=${ci} C_out=${co} ${h}x${h}` };
  for (const [i, name] of names.entries()) {
    const ms = median(times[i]);
    let maxDiff = 0, maxAbs = 0;
    for (let k = 0; k < outs[0].length; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(outs[i][k] - outs[0][k]));
      maxAbs = Math.max(maxAbs, Math.abs(outs[0][k]));
    }
    Object.assign(row, {
      [`${name}_ms`]: ms,
      [`${name}_gflops`]: flops / ms / 1e6,
      [`${name}_rel_diff`]: maxDiff / maxAbs,
    });
  }
  rows.push(row);
}

if (values.json) { for (const r of rows) console.log(JSON.stringify(r)); }
else {
  console.log(
    `kernel gradient of a 3x3 same conv, ${values.threads} threads, median of ${values.reps}; load ${
      Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
    }`,
  );
  for (const r of rows) {
    const cells = ["library", "conv", "im2col"].map((name) =>
      `${name} ${(r[`${name}_ms`] as number).toFixed(2).padStart(7)} ms (${
        (r[`${name}_gflops`] as number).toFixed(1).padStart(5)
      } GFLOP/s, rel diff ${(r[`${name}_rel_diff`] as number).toExponential(1)})`
    );
    console.log(`${(r.shape as string).padEnd(30)} ${cells.join("  ")}`);
  }
}
