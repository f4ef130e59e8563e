/**
 * `nchwc-conv`: a Conv whose kernel is computed or fed (the training graphs' layers
 * and input gradients) run by MLAS's blocked-layout (NCHWc) convolution, ORT's
 * fastest on the CPU, which its own layout transformer uses only for constant
 * kernels (bench/NOTES.md, "Issue 16, part 10"). The input is reordered to the
 * blocked layout (`ReorderInput`), the kernel reordered inside the graph, and the
 * output reordered back (`ReorderOutput`).
 *
 * The kernel's reorder is two `ReorderInput`s: one blocks its input channels
 * (viewed `[O, C, kh·kw, 1]`), the other its filters (viewed `[1, O, ·, 1]`), which
 * gives MLAS's `[O'/b, C'/b, kh, kw, b, b]`; an input of fewer channels than a block
 * stays plain (fewer than 4 until the CPU probe has told the block), and only the
 * filters are blocked (`[O'/b, C, kh, kw, b]`). No shape in the graph spells a padded
 * size, so it runs at the block size of the host's MLAS.
 *
 * Only where the host's ONNX Runtime has these kernels: x86-64 (MLAS blocks by 8,
 * or by 16 with AVX-512), in Deno or Node. Constant kernels (inference graphs and
 * saved models: kernels computed from constants only) keep the plain Conv: ORT
 * rewrites those itself.
 *
 * @module
 */

import type { Attrs, Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";
import type { Lowering } from "./rewrite.ts";

/** Whether the host is x86-64 Deno or Node, whose ORT CPU build has the NCHWc kernels. */
function hostHasNchwc(): boolean {
  const host = globalThis as {
    Deno?: { build?: { arch?: string } };
    process?: { arch?: string; versions?: { node?: string } };
  };
  if (host.Deno?.build?.arch) return host.Deno.build.arch === "x86_64";
  return host.process?.versions?.node !== undefined && host.process.arch === "x64";
}

const HOST_HAS_NCHWC: boolean = hostHasNchwc();

/** The host's NCHWc block, once the CPU provider's probe has told it (`setNchwcBlock`). */
let hostBlock: number | undefined;

/**
 * Records the channel block of the host's NCHWc kernels, as the CPU provider's probe
 * found it (`ProviderInfo.nchwcBlock`), for the graphs lowered from then on.
 *
 * @param block 8, or 16 with AVX-512; `undefined` forgets it.
 */
export function setNchwcBlock(block: number | undefined): void {
  hostBlock = block;
}

/**
 * The input channels below which an input stays plain: fewer than 4 whatever the
 * block; fewer than 16 where the block is known to be 16, so that the conv model's
 * 8-channel layers run in NCHWc too (an 8-channel input is a whole block, to be
 * reordered, where the block is 8).
 */
function plainBelow(): number {
  return hostBlock === 16 ? 16 : 4;
}

/** `v`'s leading axis zero-padded to a multiple of 4 (ReorderInput's channel unit). */
function padToFour(b: Builder, v: Value): Value {
  const n = v.shape[0] as number, extra = (4 - (n % 4)) % 4;
  if (!extra) return v;
  const zeros = v.shape.map(() => 0);
  return b.op1("Pad", [v, b.ints([...zeros, extra, ...zeros.slice(1)])]);
}

/** The kernel `[O, C, kh, kw]` in MLAS's order for a blocked (or, `plain`, a plain) input. */
function reorderedKernel(b: Builder, kernel: Value, plain: boolean): Value {
  const [, c, kh, kw] = kernel.shape as number[];
  const w = padToFour(b, kernel), o = w.shape[0] as number;
  const byInput = plain ? w : b.op1("ReorderInput", [b.reshape(w, [o, c, kh * kw, 1])]);
  const byFilter = b.op1("ReorderInput", [b.reshape(byInput, [1, o, -1, 1])]);
  return b.reshape(b.transpose(byFilter, [1, 0, 2, 3]), [0, -1, kh, kw]);
}

/** The bias `[O]` zero-padded to whole blocks. */
function blockedBias(b: Builder, bias: Value): Value {
  const padded = padToFour(b, bias);
  const o = padded.shape[0] as number;
  return b.reshape(b.op1("ReorderInput", [b.reshape(padded, [1, o, 1, 1])]), [-1]);
}

/** Whether `v` depends on a graph input (a fed kernel, or one computed from fed values). */
function fed(v: Value, seen = new Set<number>()): boolean {
  if (v.source.kind !== "node") return v.source.kind === "input";
  if (seen.has(v.id)) return false;
  seen.add(v.id);
  return v.source.node.inputs.some((u) => fed(u, seen));
}

/** Whether `Conv(x, kernel, ·, attrs)` is one this rewrite runs in NCHWc. */
function fits(x: Value, kernel: Value, attrs: Attrs): boolean {
  const c = x.shape[1];
  if (!HOST_HAS_NCHWC || attrs.strides || x.shape.length !== 4 || typeof c !== "number") {
    return false;
  }
  if (kernel.shape.length !== 4 || kernel.shape.some((d) => typeof d !== "number")) return false;
  if (!fed(kernel)) return false;
  // Blocks of 16 channels fill AVX-512's; 8 channels padded to 16 measured no faster
  // but left plain 1.03–1.09× faster on the conv model (bench/NOTES.md, part 12), and a
  // plain input was slower into 32 filters (part 10).
  return c % 16 === 0 || (c < plainBelow() && (kernel.shape[0] as number) <= 16);
}

/** `Conv(x, kernel, bias?)` (group 1, stride 1) in the NCHWc layout, on x86-64 CPUs. */
export const nchwcConv: Lowering = {
  name: "nchwc-conv",
  providers: ["cpu"],
  op: "Conv",
  apply(b, [x, kernel, bias], attrs) {
    if (!fits(x, kernel, attrs)) return undefined;
    const plain = (x.shape[1] as number) < plainBelow();
    const input = plain ? x : b.op1("ReorderInput", [x]);
    const operands = [input, reorderedKernel(b, kernel, plain)];
    if (bias) operands.push(blockedBias(b, bias));
    const y = b.op1("NchwcConv", operands, attrs);
    return [b.op1("ReorderOutput", [y], { channels: kernel.shape[0] as number })];
  },
};
