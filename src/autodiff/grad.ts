/**
 * Reverse-mode automatic differentiation as a graph-to-graph function: `grad`
 * appends the backward pass to the graph that holds the forward pass.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import type { Node, Region, Value } from "../ir/graph.ts";
import type { Builder } from "../ops/builder.ts";
import { type OpType, registry } from "../ops/registry.ts";
import type { Vjp } from "../ops/types.ts";

/**
 * Emits the gradient of a scalar `loss` with respect to each of `wrt`.
 *
 * Walks the nodes between `wrt` and `loss` in reverse topological order, calls
 * each op's vector-Jacobian product, and sums the contributions of values used
 * more than once (fan-out). A value in `wrt` that the loss does not depend on gets
 * a zero gradient of its shape.
 *
 * @param b Builder of the graph that contains the forward pass.
 * @param loss A float32 scalar (shape `[]`).
 * @param wrt The values to differentiate with respect to.
 * @returns The gradient of each value in `wrt`, same shape as the value.
 *
 * @example
 * ```ts
 * import { Builder } from "../ops/builder.ts";
 * import { grad } from "./grad.ts";
 * const b = new Builder();
 * const w = b.graph.input("w", "float32", [3]);
 * const loss = b.reduceSum(b.mul(w, w), [0], false);
 * const gw = grad(b, loss, [w]).get(w)!; // 2 * w
 * console.assert(gw.shape[0] === 3);
 * ```
 */
export function grad(b: Builder, loss: Value, wrt: readonly Value[]): Map<Value, Value> {
  if (loss.shape.length !== 0 || loss.dtype !== "float32") {
    throw new AutoencoderError(
      `Cannot differentiate: the loss must be a float32 scalar, got ${loss.dtype} [${loss.shape}]`,
    );
  }
  const nodes = withRegions(b.graph.nodes, b.graph.regions); // the forward pass, before we append
  const onPath = between(nodes, new Set(wrt.map((v) => v.id)), loss);
  const grads = new Map<number, Value>([[loss.id, b.scalar(1)]]);
  const accumulate = (v: Value, g: Value) => {
    const prev = grads.get(v.id);
    grads.set(v.id, prev ? b.add(prev, g) : g);
  };

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!onPath.has(node.id)) continue;
    const gys = node.outputs.map((o) => grads.get(o.id));
    if (gys.every((g) => g === undefined)) continue;
    const rule = node.vjp ?? registry[node.op as OpType].vjp;
    if (rule === "zero") continue;
    if (rule === "none") {
      throw new AutoencoderError(
        `Cannot differentiate "${node.op}"${scopeText(node)}: no gradient rule is registered`,
      );
    }
    const gxs = b.graph.withScope(
      `grad${node.scope ? "." + node.scope : ""}`,
      () => rule(b, node, gys),
    );
    node.inputs.forEach((x, k) => {
      const gx = gxs[k];
      if (gx && x.dtype === "float32") accumulate(x, gx);
    });
  }

  return new Map(wrt.map((v) => [v, grads.get(v.id) ?? zerosLike(b, v)]));
}

/** A node, or a region standing in for its nodes, as the reverse sweep sees it. */
type SweepNode = Omit<Node, "id"> & { id: number; vjp?: Vjp };

/** Replaces each region's nodes by one node carrying the region's rule, where its last node was. */
function withRegions(nodes: readonly Node[], regions: readonly Region[]): SweepNode[] {
  const out: SweepNode[] = [];
  for (const node of nodes) {
    const region = regions.find((r) => r.nodes.has(node.id));
    if (!region) out.push(node);
    else if (node.id === Math.max(...region.nodes)) {
      out.push({
        id: -1 - regions.indexOf(region),
        op: "custom",
        inputs: region.inputs,
        outputs: region.outputs,
        attrs: {},
        scope: region.scope,
        vjp: region.vjp as Vjp,
      });
    }
  }
  return out;
}

function scopeText(node: SweepNode): string {
  return node.scope ? ` in "${node.scope}"` : "";
}

function zerosLike(b: Builder, v: Value): Value {
  return b.expandLike(b.scalar(0), v);
}

/** Ids of the nodes that lie on some path from a value in `from` to `to`. */
function between(nodes: readonly SweepNode[], from: Set<number>, to: Value): Set<number> {
  const reachesFrom = new Set<number>(from); // value ids that depend on `from`
  const forward = new Set<number>();
  for (const n of nodes) {
    if (n.inputs.some((v) => reachesFrom.has(v.id))) {
      forward.add(n.id);
      n.outputs.forEach((o) => reachesFrom.add(o.id));
    }
  }
  const needed = new Set<number>([to.id]); // value ids that `to` depends on
  const path = new Set<number>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (forward.has(n.id) && n.outputs.some((o) => needed.has(o.id))) {
      path.add(n.id);
      n.inputs.forEach((v) => needed.add(v.id));
    }
  }
  return path;
}
