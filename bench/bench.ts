/**
 * `deno task bench`: training throughput, graph build and session open times,
 * inference latency and peak memory of the five models and the VAE, each measured in a fresh
 * process (`bench/worker.ts`); with `--peers` the same models in PyTorch
 * (`bench/torch_peer.py`), TensorFlow.js (`bench/tfjs_peer.ts`) and jax-js
 * (`bench/jaxjs_peer.ts`), run in turn (ours, PyTorch, TF.js, jax-js, ours, ...) so that all share the machine's conditions, and
 * the ratios ours/peer; with `--scaling` throughput against batch size and epoch
 * time against data set size. See bench/README.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { BLOG_BATCH, median, type ModelName, MODELS } from "./data.ts";
import { describeData } from "../src/data/datasets.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { fmt, table } from "./table.ts";

const HELP = `Benchmark the five autoencoders and the VAE (and, with --peers, PyTorch,
TensorFlow.js and jax-js; the JavaScript peers have no VAE).

Usage: deno task bench [options]

Options:
  --models LIST        comma-separated subset of ${MODELS.join(",")} (default all;
                       with --scaling undercomplete,conv)
  --provider NAME      ONNX Runtime execution provider of our runs (default cpu)
  --threads N          intra-op threads of every framework (default 2)
  --passive            idle threads sleep: ORT spinning off, OMP_WAIT_POLICY=passive for PyTorch
  --rounds N           runs of each framework per model, alternating (default 1; 2 with --peers)
  --epochs N           epochs per run, the first one warm-up (default 4)
  --steps-dense N      steps per epoch of the dense models, batch 256 (default 20)
  --steps-conv N       steps per epoch of the conv models, batch 128 (default 5)
  --peers              also run PyTorch, TensorFlow.js and jax-js, and print the ratios
  --peer NAME          with --peers: only this peer (torch, tfjs or jaxjs; repeatable)
  --tfjs-backend NAME  wasm (default: the faster one here) | cpu
  --tfjs-epochs N      epochs per TF.js run, the first one warm-up (default 3)
  --tfjs-steps-dense N steps per TF.js epoch, dense models (default 10)
  --tfjs-steps-conv N  steps per TF.js epoch, conv models (default 1)
  --jaxjs-epochs N     epochs per jax-js run (wasm), the first one warm-up (default 4)
  --jaxjs-steps-dense N steps per jax-js epoch, dense models (default 10)
  --jaxjs-steps-conv N steps per jax-js epoch, conv models (default 1)
  --python PATH        interpreter with torch (default /usr/bin/python3)
  --torch-openblas M   OpenBLAS settings of the PyTorch process: skylakex (default:
                       OPENBLAS_CORETYPE=SkylakeX, OPENBLAS_L2_SIZE unset), auto (both unset:
                       OpenBLAS detects the CPU), inherit (this environment's)
  --scaling            instead: throughput against batch size and epoch time against data size
  --batch-sizes LIST   --scaling batch sizes (default 32,64,128,256,512,1024)
  --sizes LIST         --scaling data set sizes (default 2000,4000,8000,16000)
  --data DIR           folder with the MNIST IDX files (default: $AUTOENCODERS_DATA_DIR, the
                       cache, a download into the cache, else the library's 3000-digit subset,
                       whose images runs needing more repeat)
  --json               one JSON object per row instead of tables
  -h, --help           show this help
`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    models: { type: "string" },
    provider: { type: "string", default: "cpu" },
    threads: { type: "string", default: "2" },
    passive: { type: "boolean", default: false },
    rounds: { type: "string" },
    epochs: { type: "string", default: "4" },
    "steps-dense": { type: "string", default: "20" },
    "steps-conv": { type: "string", default: "5" },
    peers: { type: "boolean", default: false },
    peer: { type: "string", multiple: true },
    "tfjs-backend": { type: "string", default: "wasm" },
    "tfjs-epochs": { type: "string", default: "3" },
    "tfjs-steps-dense": { type: "string", default: "10" },
    "tfjs-steps-conv": { type: "string", default: "1" },
    "jaxjs-epochs": { type: "string", default: "4" },
    "jaxjs-steps-dense": { type: "string", default: "10" },
    "jaxjs-steps-conv": { type: "string", default: "1" },
    python: { type: "string", default: "/usr/bin/python3" },
    "torch-openblas": { type: "string", default: "skylakex" },
    scaling: { type: "boolean", default: false },
    "batch-sizes": { type: "string", default: "32,64,128,256,512,1024" },
    sizes: { type: "string", default: "2000,4000,8000,16000" },
    data: { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}

const models = (values.models ?? (values.scaling ? "undercomplete,conv" : MODELS.join(",")))
  .split(",") as ModelName[];
for (const m of models) {
  if (!MODELS.includes(m)) throw new Error(`Cannot bench model "${m}": choose from ${MODELS}`);
}
const PEERS = ["torch", "tfjs", "jaxjs"];
const peers = values.peers ? (values.peer?.length ? values.peer : PEERS) : [];
for (const p of peers) {
  if (!PEERS.includes(p)) throw new Error(`Cannot run peer "${p}": ${PEERS.join(", ")}`);
}
if (!["skylakex", "auto", "inherit"].includes(values["torch-openblas"])) {
  throw new Error(
    `Cannot use --torch-openblas "${values["torch-openblas"]}": skylakex, auto or inherit`,
  );
}
const rounds = Number(values.rounds ?? (values.peers ? 2 : 1));
const threads = values.threads;
const isConv = (m: ModelName) => m === "conv" || m === "denoising";
/** Throughput targets ours/PyTorch: issue 6 (1, conv models 2), issue 13 (the VAE 1.5). */
const torchTarget = (m: ModelName) => isConv(m) ? 2 : m === "vae" ? 1.5 : 1;
/** The peers a model has: the JavaScript peers have no VAE. */
const hasPeer = (f: string, m: ModelName) => !((f === "tfjs" || f === "jaxjs") && m === "vae");
const root = fileURLToPath(new URL("..", import.meta.url));
const say = (line: string) => console.error(line);
const mnist = await loadMnist({ dir: values.data, orSubset: true });
say(`MNIST: ${describeData(mnist)}`);
const dataArgs = ["--data", mnist.source];

/** A measurement row: one framework on one model (medians over rounds). */
interface Row {
  kind: "run";
  framework: string;
  model: ModelName;
  provider: string;
  batch_size: number;
  threads: number;
  rounds: number;
  train_samples: number;
  samples_per_sec: number;
  samples_per_sec_each: number[];
  build_ms?: number;
  session_ms?: number;
  latency_1_ms?: number;
  latency_256_ms?: number;
  peak_rss_mb: number;
  loss: number;
  load_1m: number[];
}

/** The 1-minute load average, from /proc/loadavg or Deno. */
function load1(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return Deno.loadavg()[0];
  }
}

/**
 * Runs a command in the repository root with this environment changed by `env` (an
 * `undefined` value unsets the variable); returns the JSON object on its last stdout line.
 */
async function runJson(
  cmd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Record<string, unknown>> {
  const merged = { ...Deno.env.toObject(), ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    env: merged as Record<string, string>,
    clearEnv: true,
    cwd: root,
  }).output();
  const out = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !out.startsWith("{")) {
    const err = new TextDecoder().decode(stderr).trim().split("\n").slice(-15).join("\n");
    throw new Error(`Cannot run ${cmd} ${args.join(" ")}: exit ${code}\n${err}`);
  }
  return JSON.parse(out);
}

const DENO_WORKER = [
  "run",
  "--allow-read",
  "--allow-env",
  "--allow-ffi=./node_modules",
  "--allow-sys",
  "bench/worker.ts",
];

function ours(model: ModelName) {
  const steps = isConv(model) ? values["steps-conv"] : values["steps-dense"];
  return runJson(Deno.execPath(), [
    ...DENO_WORKER,
    "--model",
    model,
    "--provider",
    values.provider,
    "--threads",
    threads,
    "--steps",
    steps,
    "--epochs",
    values.epochs,
    ...(values.passive ? ["--passive"] : []),
    ...dataArgs,
  ]);
}

function torch(model: ModelName) {
  const steps = Number(isConv(model) ? values["steps-conv"] : values["steps-dense"]);
  // OpenBLAS 0.3.21 does not know the Xeon of bench/README.md and would use its SSE3
  // kernels; OPENBLAS_L2_SIZE, set on some machines here for older builds, slows a current
  // one; OMP spins by default (bench/README.md).
  const env: Record<string, string | undefined> = {
    inherit: {},
    auto: { OPENBLAS_CORETYPE: undefined, OPENBLAS_L2_SIZE: undefined },
    skylakex: { OPENBLAS_CORETYPE: "SkylakeX", OPENBLAS_L2_SIZE: undefined },
  }[values["torch-openblas"]]!;
  if (values.passive) env.OMP_WAIT_POLICY = "passive";
  return runJson(values.python, [
    "bench/torch_peer.py",
    "--model",
    model,
    "--threads",
    threads,
    "--epochs",
    values.epochs,
    "--limit",
    String(steps * BLOG_BATCH[model]),
    "--no-eval",
    "--latency",
    "--json",
    ...dataArgs,
  ], env);
}

function tfjs(model: ModelName) {
  const steps = Number(isConv(model) ? values["tfjs-steps-conv"] : values["tfjs-steps-dense"]);
  return runJson(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    "bench/tfjs_peer.ts",
    "--model",
    model,
    "--backend",
    values["tfjs-backend"],
    "--threads",
    threads,
    "--epochs",
    values["tfjs-epochs"],
    "--limit",
    String(steps * BLOG_BATCH[model]),
    "--latency",
    "--json",
    ...dataArgs,
  ]);
}

function jaxjs(model: ModelName) {
  const steps = Number(isConv(model) ? values["jaxjs-steps-conv"] : values["jaxjs-steps-dense"]);
  return runJson(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    "bench/jaxjs_peer.ts",
    "--model",
    model,
    "--threads",
    threads,
    "--epochs",
    values["jaxjs-epochs"],
    "--limit",
    String(steps * BLOG_BATCH[model]),
    "--latency",
    // A conv reconstruction of 256 images takes seconds in jax-js.
    "--latency-reps",
    isConv(model) ? "2" : "20",
    "--json",
    ...dataArgs,
  ]);
}

const RUNNERS: Record<string, (m: ModelName) => Promise<Record<string, unknown>>> = {
  ours,
  torch,
  tfjs,
  jaxjs,
};

/** The name of a framework as the table shows it. */
function label(r: Record<string, unknown>): string {
  if (r.framework === "ours") return `ours (ORT ${r.provider})`;
  if (r.peer === "pytorch") return `PyTorch ${String(r.torch).replace(/a0$/, "")}`;
  if (r.peer === "jaxjs") return `jax-js ${r.jaxjs} (${r.backend}, ${r.wasm_threads} workers)`;
  return `TF.js ${r.tfjs} (${r.backend}${r.wasm_threads ? `, ${r.wasm_threads} thread` : ""})`;
}

/** Folds the runs of one framework on one model into a row. */
function fold(model: ModelName, runs: Record<string, unknown>[], loads: number[]): Row {
  const num = (k: string) => {
    const xs = runs.map((r) => r[k]).filter((v): v is number => typeof v === "number");
    return xs.length ? median(xs) : undefined;
  };
  const first = runs[0];
  return {
    kind: "run",
    framework: label(first),
    model,
    provider: first.framework === "ours" ? String(first.provider) : "cpu",
    batch_size: Number(first.batch_size),
    threads: Number(threads),
    rounds: runs.length,
    train_samples: Number(first.train_samples),
    samples_per_sec: num("samples_per_sec")!,
    samples_per_sec_each: runs.map((r) => Math.round(Number(r.samples_per_sec))),
    build_ms: num("build_ms"),
    session_ms: num("session_ms"),
    latency_1_ms: num("latency_1_ms"),
    latency_256_ms: num("latency_256_ms"),
    peak_rss_mb: num("peak_rss_mb")!,
    loss: num("loss")!,
    load_1m: loads,
  };
}

async function benchMode() {
  const frameworks = ["ours", ...peers];
  const rows: Row[] = [];
  const started = new Date();
  say(
    `bench: ${models.join(", ")}; ${
      frameworks.join(", ")
    }; ${rounds} round(s); ${threads} threads; load ${load1().toFixed(2)}`,
  );
  for (const model of models) {
    const own = frameworks.filter((f) => hasPeer(f, model));
    const runs = new Map<string, Record<string, unknown>[]>(own.map((f) => [f, []]));
    const loads = new Map<string, number[]>(own.map((f) => [f, []]));
    for (let round = 0; round < rounds; round++) {
      for (const f of own) {
        const before = load1();
        const r = await RUNNERS[f](model);
        runs.get(f)!.push(r);
        loads.get(f)!.push(before);
        say(
          `  ${model} ${f} round ${round + 1}: ${
            Math.round(Number(r.samples_per_sec))
          } samples/s (epochs ${
            (r.epoch_seconds as number[]).map((s) => s.toFixed(3)).join(", ")
          } s; load ${before.toFixed(2)})`,
        );
      }
    }
    for (const f of own) rows.push(fold(model, runs.get(f)!, loads.get(f)!));
  }

  const ratios = models.map((model) => {
    const of = (prefix: string) =>
      rows.find((r) => r.model === model && r.framework.startsWith(prefix));
    const o = of("ours")!, t = of("PyTorch"), j = of("TF.js"), x = of("jax-js");
    return {
      kind: "ratio" as const,
      model,
      ours_over_torch: t && o.samples_per_sec / t.samples_per_sec,
      torch_target: torchTarget(model),
      ours_over_tfjs: j && o.samples_per_sec / j.samples_per_sec,
      tfjs_target: 3,
      ours_over_jaxjs: x && o.samples_per_sec / x.samples_per_sec,
      jaxjs_target: 3,
      memory_ours_over_torch: t && o.peak_rss_mb / t.peak_rss_mb,
    };
  });

  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    if (peers.length) { for (const r of ratios) console.log(JSON.stringify(r)); }
    return;
  }
  console.log(
    `\n${started.toISOString()}  threads ${threads}${
      values.passive ? " (passive)" : ""
    }  rounds ${rounds}  load average now ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
    }  (${navigator.hardwareConcurrency} cores)\n`,
  );
  const [load] = Deno.loadavg(), cores = navigator.hardwareConcurrency;
  if (load > cores / 2) {
    console.log(
      `The machine was loaded (load average ${
        load.toFixed(2)
      } on ${cores} cores): timings are depressed and noisy; compare the ratios of runs made side by side.\n`,
    );
  }
  console.log(table(
    [
      "model",
      "framework",
      "batch",
      "train samples/s",
      "build ms",
      "open ms",
      "predict 1 ms",
      "predict 256 ms",
      "peak RSS MiB",
      "loss",
    ],
    rows.map((r) => [
      r.model,
      r.framework,
      String(r.batch_size),
      fmt(r.samples_per_sec, 0),
      fmt(r.build_ms),
      fmt(r.session_ms),
      fmt(r.latency_1_ms, 2),
      fmt(r.latency_256_ms, 2),
      fmt(r.peak_rss_mb, 0),
      fmt(r.loss, 4),
    ]),
  ));
  if (!peers.length) return;
  const mark = (x: number | undefined, target: number) =>
    x === undefined ? "-" : `${x.toFixed(2)} ${x >= target ? "ok" : "BELOW"} (>= ${target})`;
  console.log();
  console.log(table(
    ["model", "ours/PyTorch", "ours/TF.js", "ours/jax-js", "peak RSS ours/PyTorch"],
    ratios.map((r) => [
      r.model,
      mark(r.ours_over_torch, r.torch_target),
      peers.includes("tfjs") && !hasPeer("tfjs", r.model)
        ? "- (no TF.js VAE)"
        : mark(r.ours_over_tfjs, r.tfjs_target),
      peers.includes("jaxjs") && !hasPeer("jaxjs", r.model)
        ? "- (no jax-js VAE)"
        : mark(r.ours_over_jaxjs, r.jaxjs_target),
      r.memory_ours_over_torch === undefined
        ? "-"
        : `${r.memory_ours_over_torch.toFixed(2)} ${
          r.memory_ours_over_torch <= 1 ? "ok" : "BELOW"
        }`,
    ]),
    1,
  ));
}

/** Least-squares line through points, with R². */
function fit(xs: number[], ys: number[]) {
  const n = xs.length, mx = xs.reduce((a, b) => a + b) / n, my = ys.reduce((a, b) => a + b) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy ? (sxy * sxy) / (sxx * syy) : 1 };
}

async function scalingMode() {
  const scaled = models;
  const common = ["--provider", values.provider, "--threads", threads, ...dataArgs];
  if (values.passive) common.push("--passive");
  const batchRows: Record<string, unknown>[] = [];
  const sizeRows: {
    kind: string;
    model: ModelName;
    batch_size: unknown;
    points: { train_samples: number; median_s: number }[];
    seconds_per_1k: number;
    intercept_s: number;
    r2: number;
    load_1m: number;
  }[] = [];
  for (const model of scaled) {
    say(`scaling: ${model}, batch sizes ${values["batch-sizes"]} (load ${load1().toFixed(2)})`);
    const b = await runJson(Deno.execPath(), [
      ...DENO_WORKER,
      "--mode",
      "batch",
      "--model",
      model,
      "--batch-sizes",
      values["batch-sizes"],
      "--samples",
      isConv(model) ? "2048" : "16384",
      "--epochs",
      "3",
      ...common,
    ]);
    for (const p of b.points as Record<string, unknown>[]) {
      batchRows.push({ kind: "batch-scaling", model, ...p, load_1m: load1() });
    }
    say(`scaling: ${model}, data sizes ${values.sizes} (load ${load1().toFixed(2)})`);
    const s = await runJson(Deno.execPath(), [
      ...DENO_WORKER,
      "--mode",
      "size",
      "--model",
      model,
      "--sizes",
      values.sizes,
      "--epochs",
      "2",
      ...common,
    ]);
    const points = s.points as { train_samples: number; median_s: number }[];
    const line = fit(points.map((p) => p.train_samples), points.map((p) => p.median_s));
    sizeRows.push({
      kind: "size-scaling",
      model,
      batch_size: s.batch_size,
      points,
      seconds_per_1k: line.slope * 1000,
      intercept_s: line.intercept,
      r2: line.r2,
      load_1m: load1(),
    });
  }
  if (values.json) {
    for (const r of [...batchRows, ...sizeRows]) console.log(JSON.stringify(r));
    return;
  }
  console.log(
    `\n${new Date().toISOString()}  threads ${threads}  load average now ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
    }\n\nThroughput against batch size (samples per epoch fixed, whole batches)\n`,
  );
  const sizes = values["batch-sizes"].split(",");
  console.log(table(
    ["model", ...sizes.map((s) => `batch ${s}`)],
    scaled.map((m) => [
      m,
      ...sizes.map((s) => {
        const p = batchRows.find((r) => r.model === m && r.batch_size === Number(s));
        return p ? fmt(p.samples_per_sec as number, 0) : "-";
      }),
    ]),
    1,
  ));
  console.log("\nEpoch time against data set size (blog batch size; seconds, second epoch)\n");
  const ns = values.sizes.split(",");
  console.log(table(
    ["model", ...ns.map((n) => `${n} samples`), "s per 1k", "intercept s", "R²"],
    sizeRows.map((r) => [
      r.model,
      ...ns.map((n) => fmt(r.points.find((p) => p.train_samples === Number(n))?.median_s, 3)),
      fmt(r.seconds_per_1k, 4),
      fmt(r.intercept_s, 3),
      r.r2.toFixed(4),
    ]),
    1,
  ));
}

if (values.scaling) await scalingMode();
else await benchMode();
