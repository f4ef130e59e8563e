/**
 * A float64 reference interpreter for graphs, written on the op records' `ref`
 * semantics. It runs without ONNX Runtime and exists for gradient tests.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import type { Graph, Value } from "../ir/graph.ts";
import { type OpType, registry } from "./registry.ts";
import { tensor } from "./tensor64.ts";
import type { Tensor64 } from "./types.ts";

/**
 * Evaluates every output of `graph` in float64.
 *
 * @param graph The graph.
 * @param feeds A tensor for each graph input, by input name.
 * @returns Each graph output, by output name.
 *
 * @example
 * ```ts
 * import { Builder } from "./builder.ts";
 * import { evaluate } from "./interpret.ts";
 * import { tensor } from "./tensor64.ts";
 * const b = new Builder();
 * const x = b.graph.input("x", "float32", [2]);
 * b.graph.output("y", b.relu(x));
 * const { y } = evaluate(b.graph, { x: tensor([2], [-1, 3]) });
 * console.assert(y.data[0] === 0 && y.data[1] === 3);
 * ```
 */
export function evaluate(graph: Graph, feeds: Record<string, Tensor64>): Record<string, Tensor64> {
  const values = new Map<number, Tensor64>();
  for (const v of graph.inputs) {
    const name = (v.source as { name: string }).name;
    const t = feeds[name];
    if (!t) throw new AutoencoderError(`Cannot evaluate graph: input "${name}" is not fed`);
    values.set(v.id, t);
  }
  for (const v of graph.constants) {
    const data = (v.source as { data: Float32Array | BigInt64Array }).data;
    values.set(v.id, tensor(v.shape as number[], Array.from(data, Number)));
  }
  const get = (v: Value) => values.get(v.id)!;
  for (const node of graph.nodes) {
    const outs = registry[node.op as OpType].ref(node.inputs.map(get), node.attrs);
    node.outputs.forEach((o, i) => values.set(o.id, outs[i]));
  }
  return Object.fromEntries(graph.outputs.map(({ name, value }) => [name, get(value)]));
}
