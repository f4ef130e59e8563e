/**
 * Shared numeric test helpers: closeness of tensors, running a graph through ONNX
 * Runtime (CPU) on float64 test tensors, and an optimizer's reference over tensors.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Graph } from "../src/ir/graph.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { tensor } from "../src/ops/tensor64.ts";
import type { Tensor64 } from "../src/ops/types.ts";
import { nodeRuntime } from "../src/runtime/node.ts";
import type { Session } from "../src/runtime/types.ts";
import type { Optimizer } from "../training/optimizers.ts";

/** The largest absolute value. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Elementwise `|a - e| <= tol * (|e| + max|expected|)`: relative, with an
 * absolute floor at the tensor's scale (as float32 rounding errors are).
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  const scale = maxAbs(expected);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const message = `${what}[${i}]: ${actual[i]} vs ${expected[i]} (error ${err.toExponential(2)})`;
    assert.ok(err <= tol * (Math.abs(expected[i]) + scale), message);
  }
}

/** Runs a session on float64 test tensors (rounded to float32) and reads every output. */
export async function runOrt(
  session: Session,
  feeds: Record<string, Tensor64>,
  outputs?: readonly string[],
): Promise<Record<string, Float32Array>> {
  const toOrt = (t: Tensor64) => nodeRuntime.tensor(Float32Array.from(t.data), t.shape);
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toOrt(t)]));
  const results = await session.run(inputs, outputs);
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(results)) out[k] = (await nodeRuntime.read(t)).slice();
  return out;
}

/** Opens a CPU session on `graph`, runs `fn` with it, and releases it. */
export async function withSession<T>(graph: Graph, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await nodeRuntime.createSession(encodeModel(graph));
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}

/** The optimizer's reference update, elementwise: `[param, ...state]` to the next ones. */
export function referenceUpdate(
  opt: Optimizer,
  [p, ...state]: readonly Tensor64[],
  g: Tensor64,
  step: number,
  lr: number,
): Tensor64[] {
  const next = [p, ...state].map((t) => tensor(t.shape));
  p.data.forEach((_, i) => {
    const r = opt.reference(p.data[i], g.data[i], state.map((s) => s.data[i]), step, lr);
    [r.param, ...r.state].forEach((v, k) => next[k].data[i] = v);
  });
  return next;
}
