/**
 * Where a training step's time goes: runs the train-step graph of one model the
 * way the fit loop does (gather a shuffled batch, corrupt it for denoising, run,
 * read the loss, feed the `next.*` outputs back), and reports per step
 *
 * - the wall time, split into time inside `session.run` and time outside it
 *   (batch assembly, noise, tensor wrapping, loss read: JavaScript);
 * - from a second, profiled session (ORT's `enableProfiling`), the kernel time
 *   summed per op type, and the part of `session.run` that no kernel accounts for
 *   (ORT's executor, allocation, thread-pool hand-offs).
 *
 * With `--torch`, PyTorch's own profile of the same model (`torch_peer.py
 * --profile`: self CPU time per op) follows, for comparison.
 *
 * ```sh
 * deno task bench:profile --model conv --steps 10 [--threads 2] [--passive] [--torch]
 * ```
 *
 * @module
 */

import * as ort from "onnxruntime-node";
import { fileURLToPath } from "node:url";
import "../mod.ts"; // registers the node runtime the models are made with
import { BLOG_MODELS } from "../models/registry.ts";
import { parseScriptArgs } from "../src/cli/command.ts";
import { Random } from "../src/nn/random.ts";
import { drawNoise } from "../training/inputs.ts";
import { optimizerByName } from "../training/optimizers.ts";
import { nextName } from "../training/state.ts";
import { BLOG_BATCH, median, type ModelName, MODELS, PIXELS, readMnist } from "./data.ts";

const USAGE = `Where a training step's time goes: inside and outside ORT's run, and kernel time
per op type from ORT's profile (--torch: PyTorch's profile of the same model too).

Usage: deno task bench:profile [options]

  --model NAME       ${MODELS.join(", ")} (default conv)
  --provider NAME    ORT execution provider (default cpu)
  --threads N        intra-op threads (default 2)
  --passive          no spinning of ORT's threads (and OMP_WAIT_POLICY=passive for --torch)
  --steps N          timed steps (default 10)
  --warmup N         untimed steps first (default 3)
  --batch-size N     batch size (default: the model's, the blog's)
  --top N            op types and nodes listed (default 12)
  --torch            PyTorch's profile too (bench/torch_peer.py --profile)
  --python PATH      Python for --torch (default /usr/bin/python3)
  --data DIR         folder with the MNIST IDX files (default: $AUTOENCODERS_DATA_DIR, else the
                     library's 3000-digit subset, repeated as needed)
  --json             one JSON object per result instead of tables
  -h, --help         show this help`;

const { values } = parseScriptArgs(USAGE, {
  args: Deno.args,
  options: {
    model: { type: "string", default: "conv" },
    provider: { type: "string", default: "cpu" },
    threads: { type: "string", default: "2" },
    passive: { type: "boolean", default: false },
    steps: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    "batch-size": { type: "string" },
    top: { type: "string", default: "12" },
    torch: { type: "boolean", default: false },
    python: { type: "string", default: "/usr/bin/python3" },
    data: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const model = values.model as ModelName;
if (!MODELS.includes(model)) throw new Error(`Cannot profile model "${model}": not known`);
const batchSize = Number(values["batch-size"] ?? BLOG_BATCH[model]);
const steps = Number(values.steps), warmup = Number(values.warmup);
const m = BLOG_MODELS[model].create({ seed: 0 });
await m.resolveProvider(); // as fit does before lowering (the CPU probe's NCHWc block)
const program = m.program(optimizerByName(BLOG_MODELS[model].optimizer ?? "adam"));
const corruption = program.inputs.input;
const stepBytes = program.onnx("train");
const x = readMnist(batchSize * (steps + warmup), values.data);
const count = x.length / PIXELS;

/** Opens a train-step session as the node runtime does (optionally profiling). */
function open(prefix?: string) {
  return ort.InferenceSession.create(stepBytes, {
    executionProviders: [values.provider],
    intraOpNumThreads: Number(values.threads) || undefined,
    graphOptimizationLevel: "extended", // as the fit loop opens it (layoutTransforms: false)
    ...(prefix ? { enableProfiling: true, profileFilePrefix: prefix } : {}),
    extra: { session: { intra_op: { allow_spinning: values.passive ? "0" : "1" } } },
  });
}

/** Runs `warmup + steps` steps as the fit loop does; times the last `steps`. */
async function loop(session: ort.InferenceSession) {
  const feeds: Record<string, ort.Tensor> = {};
  const carried = new Set(program.carried);
  for (const s of program.states) {
    if (!carried.has(s.name)) continue;
    const value = (m.params.get(s.name) ?? s.initial() as Float32Array).slice();
    feeds[s.name] = new ort.Tensor("float32", value, [...s.shape]);
  }
  feeds.lr = new ort.Tensor("float32", new Float32Array([program.optimizer.learningRate]), []);
  const rng = new Random(1), noise = new Random(2);
  const order = new Uint32Array(count).map((_, i) => i);
  rng.shuffle(order);
  const batch = new Float32Array(batchSize * PIXELS);
  const noisy = new Float32Array(batchSize * PIXELS);
  const dims = [batchSize, ...m.config.inputShape];
  const outside: number[] = [], inside: number[] = [], wall: number[] = [];
  for (let s = 0; s < warmup + steps; s++) {
    const t0 = performance.now();
    for (let i = 0; i < batchSize; i++) {
      const row = order[s * batchSize + i] * PIXELS;
      batch.set(x.subarray(row, row + PIXELS), i * PIXELS);
    }
    if (corruption) {
      for (let i = 0; i < batchSize; i++) {
        const at = i * PIXELS;
        corruption.apply(noise, batch.subarray(at, at + PIXELS), noisy.subarray(at, at + PIXELS));
      }
      feeds.input = new ort.Tensor("float32", noisy, dims);
      feeds.target = new ort.Tensor("float32", batch, dims);
    } else {
      feeds.input = new ort.Tensor("float32", batch, dims);
    }
    const draws = drawNoise(program.noise, batchSize, () => noise);
    for (const { name, shape } of program.noise) {
      feeds[name] = new ort.Tensor("float32", draws.get(name)!, [batchSize, ...shape]);
    }
    feeds.step = new ort.Tensor("float32", new Float32Array([s + 1]), []);
    const t1 = performance.now();
    const out = await session.run(feeds);
    const t2 = performance.now();
    const loss = (out.loss.data as Float32Array)[0];
    if (!Number.isFinite(loss)) throw new Error(`Loss became ${loss} at step ${s + 1}`);
    for (const name of carried) feeds[name] = out[nextName(name)];
    const t3 = performance.now();
    if (s >= warmup) {
      outside.push(t1 - t0 + t3 - t2);
      inside.push(t2 - t1);
      wall.push(t3 - t0);
    }
  }
  return { outside: median(outside), inside: median(inside), wall: median(wall) };
}

// 1. Plain session: where the wall time of a step goes.
const plain = await open();
const timing = await loop(plain);
await plain.release();

// 2. Profiled session: kernel time per op type.
const dir = Deno.makeTempDirSync({ prefix: "ort_profile_" });
const profiled = await open(`${dir}/train_step`);
const profiledTiming = await loop(profiled);
profiled.endProfiling();
await profiled.release();
const file = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".json"));
if (!file) throw new Error(`Cannot read ORT's profile: no JSON file in "${dir}"`);
type Shapes = Record<string, number[]>[];
type Event = {
  cat: string;
  name: string;
  dur: number;
  ts: number;
  args?: { op_name?: string; input_type_shape?: Shapes; output_type_shape?: Shapes };
};
const events = JSON.parse(Deno.readTextFileSync(`${dir}/${file.name}`)) as Event[];
Deno.removeSync(dir, { recursive: true });
const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run");
const timedRuns = runs.slice(warmup).map((e) => e.dur);
// Kernel events of the timed runs only: those after the start of the first timed run.
const start = runs[warmup]?.ts ?? 0;
const perOp = new Map<string, number>();
const perNode = new Map<string, { op: string; shapes: string; ms: number }>();
const show = (shapes?: Shapes) =>
  (shapes ?? []).map((s) => `[${Object.values(s)[0]?.join(",") ?? ""}]`).join(" ");
let kernelTotal = 0;
for (const e of events) {
  if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || e.ts < start) continue;
  const op = e.args?.op_name ?? "?";
  const ms = e.dur / 1000 / steps;
  perOp.set(op, (perOp.get(op) ?? 0) + ms);
  const node = e.name.slice(0, -"_kernel_time".length);
  const shapes = `${show(e.args?.input_type_shape)} -> ${show(e.args?.output_type_shape)}`;
  const entry = perNode.get(node) ?? { op, shapes, ms: 0 };
  entry.ms += ms;
  perNode.set(node, entry);
  kernelTotal += ms;
}
// The mean, as for the kernel times (a median would hide the slow runs of a loaded machine).
const runMs = timedRuns.length
  ? timedRuns.reduce((a, b) => a + b, 0) / timedRuns.length / 1000
  : NaN;
const ops = [...perOp].sort((a, b) => b[1] - a[1]);
const nodes = [...perNode].sort((a, b) => b[1].ms - a[1].ms);

const result = {
  framework: "ours",
  model,
  batch_size: batchSize,
  threads: Number(values.threads),
  spinning: !values.passive,
  steps,
  step_ms: timing.wall,
  run_ms: timing.inside,
  outside_run_ms: timing.outside,
  samples_per_sec: batchSize / (timing.wall / 1000),
  profiled_step_ms: profiledTiming.wall,
  profiled_run_ms: runMs,
  kernel_ms: kernelTotal,
  unaccounted_run_ms: runMs - kernelTotal,
  ops: Object.fromEntries(ops.map(([op, ms]) => [op, Number(ms.toFixed(3))])),
  nodes: nodes.slice(0, Number(values.top)).map(([name, n]) => ({
    name,
    op: n.op,
    shapes: n.shapes,
    ms: Number(n.ms.toFixed(3)),
  })),
};

let torch: Record<string, unknown> | undefined;
if (values.torch) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const env: Record<string, string> = { OPENBLAS_CORETYPE: "SkylakeX" };
  if (values.passive) env.OMP_WAIT_POLICY = "passive";
  const { code, stdout, stderr } = await new Deno.Command(values.python, {
    args: [
      "bench/torch_peer.py",
      "--model",
      model,
      "--threads",
      values.threads,
      "--batch-size",
      String(batchSize),
      "--limit",
      String(batchSize * (steps + warmup)),
      "--epochs",
      "1",
      "--no-eval",
      "--profile",
      String(steps),
      "--json",
      ...(values.data ? ["--data", values.data] : []),
    ],
    env,
    cwd: root,
  }).output();
  if (code !== 0) throw new Error(`torch_peer.py failed: ${new TextDecoder().decode(stderr)}`);
  torch = JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
}

if (values.json) {
  console.log(JSON.stringify(result));
  if (torch) console.log(JSON.stringify(torch));
} else {
  const f = (ms: number) => ms.toFixed(2).padStart(8);
  console.log(
    `${model}, batch ${batchSize}, ${values.threads} threads${
      values.passive ? " (passive)" : ""
    }, median of ${steps} steps after ${warmup} warm-up; load ${
      Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
    }`,
  );
  console.log(
    `ours:  step ${f(timing.wall)} ms = run ${f(timing.inside)} + outside run ${
      f(timing.outside)
    }  (${Math.round(result.samples_per_sec)} samples/s)`,
  );
  console.log(
    `       profiled run ${f(runMs)} ms (mean) = kernels ${f(kernelTotal)} + not in a kernel ${
      f(runMs - kernelTotal)
    }`,
  );
  for (const [op, ms] of ops.slice(0, Number(values.top))) {
    console.log(
      `       ${op.padEnd(28)} ${f(ms)} ms/step  ${(100 * ms / kernelTotal).toFixed(1)}%`,
    );
  }
  console.log("       slowest nodes (inputs -> outputs):");
  for (const [name, n] of nodes.slice(0, Number(values.top))) {
    console.log(`       ${f(n.ms)} ms  ${n.op.padEnd(10)} ${name}  ${n.shapes}`);
  }
  if (torch) {
    const t = torch as {
      profile_step_ms: number;
      profile: { op: string; self_ms: number }[];
    };
    console.log(
      `torch: step ${f(t.profile_step_ms)} ms (${
        Math.round(batchSize / (t.profile_step_ms / 1000))
      } samples/s, profiled); self CPU time per op:`,
    );
    for (const { op, self_ms } of t.profile.slice(0, Number(values.top))) {
      console.log(`       ${op.padEnd(40)} ${f(self_ms)} ms/step`);
    }
  }
}
