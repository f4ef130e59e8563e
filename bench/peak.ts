/**
 * The machine's practical float32 peak as ONNX Runtime reaches it: the best GFLOP/s
 * of one large square `MatMul` (`2·n³` FLOP) over `--reps` runs, on the provider and
 * thread count the benchmark trains with. `bench/bench.ts` runs it in a process of
 * its own and divides each model's achieved GFLOP/s by it (`peak_fraction`).
 *
 * ```sh
 * deno run --allow-read --allow-env --allow-ffi=./node_modules --allow-sys bench/peak.ts --threads 2
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { nodeRuntime } from "../mod.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { Builder } from "../src/ops/builder.ts";
import type { SessionOptions } from "../src/runtime/types.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "2048" },
    reps: { type: "string", default: "10" },
    threads: { type: "string", default: "2" },
    provider: { type: "string", default: "cpu" },
    passive: { type: "boolean", default: false },
  },
});
const n = Number(values.size), reps = Number(values.reps);

const b = new Builder();
const a = b.graph.input("a", "float32", [n, n]);
b.graph.output("c", b.matmul(a, b.graph.input("b", "float32", [n, n])));
const session = await nodeRuntime.createSession(encodeModel(b.graph, { name: "peak" }), {
  provider: values.provider as SessionOptions["provider"],
  threads: Number(values.threads),
  spinning: !values.passive,
});
const random = () => Float32Array.from({ length: n * n }, () => Math.random());
const feeds = { a: nodeRuntime.tensor(random(), [n, n]), b: nodeRuntime.tensor(random(), [n, n]) };
let best = Infinity;
for (let i = 0; i <= reps; i++) { // the first run is warm-up
  const t0 = performance.now();
  const { c } = await session.run(feeds);
  await nodeRuntime.read(c);
  if (i > 0) best = Math.min(best, (performance.now() - t0) / 1000);
}
await session.release();
console.log(JSON.stringify({
  framework: "ours",
  runtime: nodeRuntime.name,
  provider: values.provider,
  threads: Number(values.threads),
  size: n,
  reps,
  gflops: 2 * n ** 3 / best / 1e9,
}));
