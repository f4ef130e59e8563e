/**
 * The lowering pass: gradient rules and layers emit plain maths; the named rewrites
 * listed here replace patterns that a provider runs slowly (or cannot run) with
 * equal-valued ones, each tested to give the plain graph's values
 * (tests/gradients_test.ts). Their timings are in bench/NOTES.md.
 *
 * Two moments apply them: {@link FORWARD_REWRITES} while the forward pass is emitted
 * (before differentiation, as they change what is differentiated), and
 * {@link ENCODE_REWRITES}, chosen per provider, on the finished graph when it is
 * encoded (`encodeModel`), then {@link LAYOUT_REWRITES} on what those emitted.
 *
 * @module
 */

import { Graph, type Value } from "../ir/graph.ts";
import { Builder } from "../ops/builder.ts";
import type { OpType } from "../ops/registry.ts";
import { absGradient } from "./abs_gradient.ts";
import {
  kernelGradientInterleaved,
  kernelGradientInterleavedMatMul,
  kernelGradientPointwise,
  kernelGradientShiftedTaps,
} from "./kernel_gradient.ts";
import { nchwcConv } from "./nchwc_conv.ts";
import { poolBeforeRelu } from "./pool_before_relu.ts";
import { reluMask } from "./relu_mask.ts";
import { sharedSigmoid } from "./shared_sigmoid.ts";
import type { Lowering, Provider, Rewrite } from "./rewrite.ts";
import type { ProviderChoice } from "../runtime/types.ts";
import { singleFilterConv, upsampledSingleFilterConv } from "./single_filter_conv.ts";
import { spaceToDepthAsTranspose, upsampledConv } from "./upsampled_conv.ts";

/** Rewrites applied while the forward pass is emitted, on every provider. */
export const FORWARD_REWRITES: readonly Lowering[] = [
  poolBeforeRelu,
  upsampledConv,
  upsampledSingleFilterConv,
];

/** Rewrites applied to a finished graph, each for the providers it lists. */
export const ENCODE_REWRITES: readonly Lowering[] = [
  reluMask,
  sharedSigmoid,
  absGradient,
  kernelGradientPointwise,
  kernelGradientInterleaved,
  kernelGradientInterleavedMatMul,
  kernelGradientShiftedTaps,
  singleFilterConv,
  spaceToDepthAsTranspose,
];

/**
 * Rewrites applied after {@link ENCODE_REWRITES}, to their output too: layouts for
 * the operators the graph finally holds (the Convs the kernel-gradient rewrites emit).
 */
export const LAYOUT_REWRITES: readonly Lowering[] = [nchwcConv];

/**
 * The encode-time rewrites of a provider.
 *
 * @param provider The provider the graph will run on.
 * @returns Its rewrites, in table order.
 */
export function rewritesFor(provider: Provider): Lowering[] {
  return ENCODE_REWRITES.filter((r) => r.providers.includes(provider));
}

/**
 * The layout rewrites of a provider.
 *
 * @param provider The provider the graph will run on.
 * @returns Its layout rewrites.
 */
export function layoutRewritesFor(provider: Provider): Lowering[] {
  return LAYOUT_REWRITES.filter((r) => r.providers.includes(provider));
}

/**
 * The provider whose rewrites a session's graphs get: the one it runs on, or the
 * CPU's while that is not resolved yet (`"auto"`, the runtime's default).
 *
 * @param choice The session's provider.
 * @returns The provider to lower for.
 */
export function loweringFor(choice: ProviderChoice | undefined): Provider {
  return choice === undefined || choice === "auto" ? "cpu" : choice;
}

/**
 * Lowers a finished graph (differentiated, its outputs declared) for a provider.
 *
 * @param graph The plain graph; it is not changed.
 * @param provider The provider.
 * @returns A new graph with the same inputs, outputs and values.
 *
 * @example
 * ```ts
 * import { Builder } from "../ops/builder.ts";
 * import { lower } from "./lower.ts";
 * const b = new Builder();
 * const y = b.graph.input("y", "float32", [3]);
 * b.graph.output("mask", b.indicator(b.greater(y, b.scalar(0))));
 * const ops = lower(b.graph, "cpu").nodes.map((n) => n.op);
 * console.assert(ops.includes("Ceil") && ops.includes("Clip"));
 * ```
 */
export function lower(graph: Graph, provider: Provider): Graph {
  const lowered = rewriteGraph(graph, rewritesFor(provider));
  const layouts = layoutRewritesFor(provider);
  return layouts.length ? rewriteGraph(lowered, layouts) : lowered;
}

/**
 * Re-emits every node of a graph through `rewrites` (see `Builder.withRewrites`).
 * Nodes a replacement leaves unread stay in the graph; encoding drops them.
 * Regions (custom gradients) are not carried: the result is for running.
 *
 * @param graph The graph; it is not changed.
 * @param rewrites The rewrites, tried in order.
 * @returns A new graph with the same inputs, outputs and values.
 */
export function rewriteGraph(graph: Graph, rewrites: readonly Rewrite[]): Graph {
  const b = new Builder(new Graph());
  const mapped = new Map<number, Value>();
  const get = (v: Value) => mapped.get(v.id)!;
  for (const v of graph.inputs) {
    mapped.set(v.id, b.graph.input((v.source as { name: string }).name, v.dtype, v.shape));
  }
  for (const v of graph.constants) {
    const { name, data } = v.source as { name?: string; data: Float32Array | BigInt64Array };
    mapped.set(v.id, b.graph.constant(data, v.shape as number[], name));
  }
  b.withRewrites(rewrites, () => {
    for (const node of graph.nodes) {
      const outputs = b.graph.withScope(
        node.scope,
        () => b.op(node.op as OpType, node.inputs.map(get), node.attrs),
      );
      node.outputs.forEach((o, i) => mapped.set(o.id, outputs[i]));
    }
  });
  for (const { name, value } of graph.outputs) b.graph.output(name, get(value));
  return b.graph;
}
