/**
 * Floating-point operation counts of a graph, the numerator of a benchmark's
 * achieved FLOP/s: the multiply-adds of its matrix products and convolutions
 * (`MatMul`, `Gemm`, `Conv`, `ConvTranspose`), two FLOP each. Every other op
 * (elementwise maths, pooling, resizing, reductions, the optimizer's update) is left
 * out: on the models here they are a few percent of the work, and leaving them out
 * is the usual convention of "model FLOP" counts, so a fraction of a machine's
 * matrix-multiply peak compares across frameworks.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import type { Graph, Node, Shape } from "./graph.ts";

/** Sizes of the symbolic dimensions of a graph, e.g. `{ N: 128 }` for the batch. */
export type DimSizes = Readonly<Record<string, number>>;

/**
 * FLOP of one node: `2 ×` its multiply-adds for the four product ops, else 0.
 *
 * - `MatMul` `[..., m, k] @ [..., k, n]`: `2·(elements of the output)·k`.
 * - `Gemm`: `2·m·n·k`, `k` read from `A` after `transA`.
 * - `Conv` with kernel `[M, C/groups, k1, k2, ...]`: `2·(elements of the output)·C/groups·k1·k2·...`.
 * - `ConvTranspose` with kernel `[C, M/groups, k1, ...]`: `2·(elements of the input)·M/groups·k1·...`.
 *
 * @param node The node.
 * @param dims Sizes of the symbolic dimensions its shapes use.
 * @returns Its FLOP.
 */
export function nodeFlops(node: Node, dims: DimSizes = {}): number {
  const size = (shape: Shape) => elements(shape, dims, node);
  const [a, w] = node.inputs;
  switch (node.op) {
    case "MatMul":
      return 2 * size(node.outputs[0].shape) * size(a.shape.slice(-1));
    case "Gemm":
      return 2 * size(node.outputs[0].shape) * size([a.shape[node.attrs.transA === 1 ? 0 : 1]]);
    case "Conv":
      return 2 * size(node.outputs[0].shape) * size(w.shape.slice(1));
    case "ConvTranspose":
      return 2 * size(a.shape) * size(w.shape.slice(1));
    default:
      return 0;
  }
}

/**
 * FLOP of a whole graph: the sum of {@link nodeFlops} over the nodes its outputs
 * depend on. Nodes nothing reads (such as the gradient with respect to the data, which
 * autodiff emits and ONNX Runtime drops when it opens the session) are not counted. A
 * training step's count divided by its batch size is the train FLOP per sample
 * (forward, gradients and, with zero weight, the optimizer).
 *
 * @param graph The graph, e.g. a training program's `trainStep`.
 * @param dims Sizes of its symbolic dimensions, e.g. `{ N: 256 }`.
 * @returns Its FLOP per run.
 *
 * @example
 * ```ts
 * import { Builder } from "../ops/builder.ts";
 * import { countFlops } from "./flops.ts";
 * const b = new Builder();
 * const x = b.graph.input("x", "float32", ["N", 784]);
 * const w = b.graph.input("w", "float32", [784, 32]);
 * b.graph.output("y", b.relu(b.matmul(x, w)));
 * console.assert(countFlops(b.graph, { N: 256 }) === 2 * 256 * 784 * 32);
 * ```
 */
export function countFlops(graph: Graph, dims: DimSizes = {}): number {
  return liveNodes(graph).reduce((sum, node) => sum + nodeFlops(node, dims), 0);
}

/** The nodes the graph's outputs depend on, in graph order. */
function liveNodes(graph: Graph): Node[] {
  const live = new Set<Node>();
  const stack = graph.outputs.map((o) => o.value);
  for (let v = stack.pop(); v; v = stack.pop()) {
    if (v.source.kind !== "node" || live.has(v.source.node)) continue;
    live.add(v.source.node);
    stack.push(...v.source.node.inputs);
  }
  return graph.nodes.filter((n) => live.has(n));
}

/** Number of elements of `shape`, symbolic dimensions read from `dims`. */
function elements(shape: Shape, dims: DimSizes, node: Node): number {
  let n = 1;
  for (const d of shape) {
    const size = typeof d === "number" ? d : dims[d];
    if (size === undefined) {
      throw new AutoencoderError(
        `Cannot count the FLOP of "${node.op}"${node.scope ? ` in "${node.scope}"` : ""}: ` +
          `pass the size of dimension "${d}" in dims`,
        { kind: "bad-input" },
      );
    }
    n *= size;
  }
  return n;
}
