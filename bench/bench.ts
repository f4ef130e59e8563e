/**
 * `deno task bench`: training throughput, graph build and session open times,
 * inference latency and peak memory of the five models and the VAE, each measured in a fresh
 * process (`bench/worker.ts`); with `--peers` the same models in PyTorch
 * (`bench/torch_peer.py`), TensorFlow.js (`bench/tfjs_peer.ts`) and jax-js
 * (`bench/jaxjs_peer.ts`), run in turn (ours, PyTorch, TF.js, jax-js, ours, ...) so
 * that all share the machine's conditions, and the ratios ours/peer, and the share of
 * the machine's peak FLOP/s each reaches; with `--scaling` throughput against batch
 * size and epoch time against data set size; with `--to-quality` the time to the
 * blog's test loss. See bench/README.md.
 *
 * @module
 */

import { parseScriptArgs, refuseOption } from "../src/cli/command.ts";
import { BLOG_BATCH, isConv, median, type ModelName, MODELS } from "./data.ts";
import { describeData } from "../src/data/datasets.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { DENO_WORKER, load1, runJson, say } from "./run.ts";
import { scalingMode } from "./scaling.ts";
import { foldPeaks, measurePeak, PEAK_REPS, PEAK_SIZE } from "./flops.ts";
import { qualityMode } from "./quality.ts";
import { fold, label, type Row } from "./rows.ts";
import { steadinessWarnings } from "./steady.ts";
import { handoffNs, handoffWarnings, ratiosByPlacement } from "./handoff.ts";
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
                       (without it PyTorch runs both ways and its faster row is the one compared)
  --rounds N           runs of each framework per model, alternating (default 1; 2 with --peers)
  --epochs N           epochs per run, the first one warm-up (default 4)
  --steps-dense N      steps per epoch of the dense models, batch 256 (default 128)
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
  --to-quality         instead: train conv (and deep) on the data found until the test loss
                       reaches the blog's 0.094 (0.082); epochs, seconds, PyTorch's estimate
                       (with --peers --peer torch) from short runs before and after
  --max-epochs N       --to-quality: give up after N epochs (default 100)
  --batch-sizes LIST   --scaling batch sizes (default 32,64,128,256,512,1024)
  --sizes LIST         --scaling data set sizes (default 2000,4000,8000,16000)
  --data DIR           folder with the MNIST IDX files (default: $AUTOENCODERS_DATA_DIR, the
                       cache, a download into the cache, else the library's 3000-digit subset,
                       whose images runs needing more repeat)
  --json               one JSON object per row instead of tables
  -h, --help           show this help
`;

const { values } = parseScriptArgs(HELP, {
  args: Deno.args,
  options: {
    models: { type: "string" },
    provider: { type: "string", default: "cpu" },
    threads: { type: "string", default: "2" },
    passive: { type: "boolean", default: false },
    rounds: { type: "string" },
    epochs: { type: "string", default: "4" },
    "steps-dense": { type: "string", default: "128" },
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
    "to-quality": { type: "boolean", default: false },
    "max-epochs": { type: "string", default: "100" },
    "batch-sizes": { type: "string", default: "32,64,128,256,512,1024" },
    sizes: { type: "string", default: "2000,4000,8000,16000" },
    data: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const defaultModels = values.scaling
  ? "undercomplete,conv"
  : values["to-quality"]
  ? "conv,deep"
  : MODELS.join(",");
const models = (values.models ?? defaultModels)
  .split(",") as ModelName[];
for (const m of models) {
  if (!MODELS.includes(m)) refuseOption(`Cannot bench model "${m}": choose from ${MODELS}`);
}
const PEERS = ["torch", "tfjs", "jaxjs"];
const peers = values.peers ? (values.peer?.length ? values.peer : PEERS) : [];
for (const p of peers) {
  if (!PEERS.includes(p)) refuseOption(`Cannot run peer "${p}": choose from ${PEERS.join(", ")}`);
}
if (!["skylakex", "auto", "inherit"].includes(values["torch-openblas"])) {
  refuseOption(
    `Cannot use --torch-openblas "${values["torch-openblas"]}": skylakex, auto or inherit`,
  );
}
const rounds = Number(values.rounds ?? (values.peers ? 2 : 1));
const threads = values.threads;
/** Throughput target ours/PyTorch (issue 16: 1.5 on every model; issue 13: 1.5 on the VAE). */
const torchTarget = (_m: ModelName) => 1.5;
/** Target share of the machine's peak (issue 16; none for sparse and the VAE). */
const PEAK_TARGET: Partial<Record<ModelName, number>> = {
  undercomplete: 0.2,
  deep: 0.4,
  conv: 0.2,
  denoising: 0.4,
};
/** The peers a model has: the JavaScript peers have no VAE. */
const hasPeer = (f: string, m: ModelName) => !((f === "tfjs" || f === "jaxjs") && m === "vae");
const mnist = await loadMnist({ dir: values.data, orSubset: true });
say(`MNIST: ${describeData(mnist)}`);
const dataArgs = ["--data", mnist.source];

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

/** The PyTorch process' environment changes (`passive`: OMP's idle threads sleep). */
function torchEnv(passive: boolean = values.passive): Record<string, string | undefined> {
  // OpenBLAS 0.3.21 does not know the Xeon of bench/README.md and would use its SSE3
  // kernels; OPENBLAS_L2_SIZE, set on some machines here for older builds, slows a current
  // one; OMP spins by default (bench/README.md). The peer sets its allocator itself.
  const env: Record<string, string | undefined> = {
    inherit: {},
    auto: { OPENBLAS_CORETYPE: undefined, OPENBLAS_L2_SIZE: undefined },
    skylakex: { OPENBLAS_CORETYPE: "SkylakeX", OPENBLAS_L2_SIZE: undefined },
  }[values["torch-openblas"]]!;
  if (passive) env.OMP_WAIT_POLICY = "passive";
  return env;
}

async function torch(
  model: ModelName,
  passive: boolean = values.passive,
): Promise<Record<string, unknown>> {
  const steps = Number(isConv(model) ? values["steps-conv"] : values["steps-dense"]);
  const run = await runJson(values.python, [
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
  ], torchEnv(passive));
  return { ...run, omp_wait: passive ? "passive" : "spinning" };
}

/** A JavaScript peer's script, run by Deno with that peer's epochs and steps. */
function jsPeer(peer: "tfjs" | "jaxjs", model: ModelName, extra: string[]) {
  const steps = Number(
    isConv(model) ? values[`${peer}-steps-conv`] : values[`${peer}-steps-dense`],
  );
  return runJson(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    `bench/${peer}_peer.ts`,
    "--model",
    model,
    "--threads",
    threads,
    "--epochs",
    values[`${peer}-epochs`],
    "--limit",
    String(steps * BLOG_BATCH[model]),
    "--latency",
    ...extra,
    "--json",
    ...dataArgs,
  ]);
}

const tfjs = (model: ModelName) => jsPeer("tfjs", model, ["--backend", values["tfjs-backend"]]);
// A conv reconstruction of 256 images takes seconds in jax-js.
const jaxjs = (model: ModelName) =>
  jsPeer("jaxjs", model, ["--latency-reps", isConv(model) ? "2" : "20"]);

const RUNNERS: Record<string, (m: ModelName) => Promise<Record<string, unknown>>> = {
  ours,
  torch: (m) => torch(m),
  "torch-passive": (m) => torch(m, true),
  tfjs,
  jaxjs,
};

/**
 * The frameworks run: ours, then the peers. PyTorch runs twice, with OMP's idle threads
 * spinning and sleeping, unless `--passive` sets both: on a 2-core machine its dense
 * models run 2× faster with sleeping threads, its conv models 1.5× faster spinning
 * (bench/README.md, "A fair PyTorch peer"), and the bench compares its faster row.
 */
const frameworks = [
  "ours",
  ...peers.flatMap((p) => p === "torch" && !values.passive ? ["torch", "torch-passive"] : [p]),
];

/** The fastest core hand-off measured so far in this bench, ns. */
let fastestHandoff = Infinity;

/** One model's runs: every framework `rounds` times, alternating, with the load before each. */
async function runRounds(model: ModelName) {
  const own = frameworks.filter((f) => hasPeer(f, model));
  const runs = new Map<string, Record<string, unknown>[]>(own.map((f) => [f, []]));
  const loads = new Map<string, number[]>(own.map((f) => [f, []]));
  const handoffs: [string, number][] = [];
  for (let round = 0; round < rounds; round++) {
    for (const f of own) {
      const before = load1();
      const ns = [await handoffNs()];
      const r = await RUNNERS[f](model);
      ns.push(await handoffNs());
      fastestHandoff = Math.min(fastestHandoff, ...ns);
      runs.get(f)!.push({ ...r, handoff_ns: ns });
      loads.get(f)!.push(before);
      handoffs.push([`${f} round ${round + 1}`, Math.max(...ns)]);
      say(
        `  ${model} ${f} round ${round + 1}: ${
          Math.round(Number(r.samples_per_sec))
        } samples/s (epochs ${
          (r.epoch_seconds as number[]).map((s) => s.toFixed(3)).join(", ")
        } s; load ${before.toFixed(2)}; core hand-off ${ns.map(Math.round).join("/")} ns)`,
      );
    }
  }
  const warnings = [
    ...own.flatMap((f) => steadinessWarnings(`${model} ${label(runs.get(f)![0])}`, runs.get(f)!)),
    ...handoffWarnings(model, handoffs, fastestHandoff),
  ];
  return { model, own, runs, loads, warnings };
}

/** A model's ratios: ours against each peer's fastest row (PyTorch has one per wait policy). */
function ratioRow(model: ModelName, rows: Row[]) {
  const of = (prefix: string) =>
    rows.filter((r) => r.model === model && r.framework.startsWith(prefix))
      .sort((a, b) => b.samples_per_sec - a.samples_per_sec)[0] as Row | undefined;
  const o = of("ours")!, t = of("PyTorch"), j = of("TF.js"), x = of("jax-js");
  const placed = t &&
    ratiosByPlacement(o, t, Math.min(...rows.flatMap((r) => r.handoff_ns.flat())));
  return {
    kind: "ratio" as const,
    model,
    torch: t?.framework,
    ours_over_torch: t && o.samples_per_sec / t.samples_per_sec,
    /** Round by round, where ours and that PyTorch row ran in the fast placement of the vCPUs. */
    ours_over_torch_fast: placed?.fast,
    /** Likewise in the slow placement (bench/NOTES.md, "Issue 16, part 11"). */
    ours_over_torch_slow: placed?.slow,
    torch_target: torchTarget(model),
    ours_over_tfjs: j && o.samples_per_sec / j.samples_per_sec,
    tfjs_target: 10,
    ours_over_jaxjs: x && o.samples_per_sec / x.samples_per_sec,
    jaxjs_target: 3,
    memory_ours_over_torch: t && o.peak_rss_mb / t.peak_rss_mb,
    latency_256_ours_over_torch: t?.latency_256_ms && o.latency_256_ms !== undefined
      ? o.latency_256_ms / t.latency_256_ms
      : undefined,
  };
}

async function benchMode() {
  const peakOptions = {
    threads,
    provider: values.provider,
    passive: values.passive,
    python: peers.includes("torch") ? values.python : undefined,
    torchEnv: torchEnv(),
  };
  const peaks = [await measurePeak(peakOptions)];
  const started = new Date();
  say(
    `bench: ${models.join(", ")}; ${
      frameworks.join(", ")
    }; ${rounds} round(s); ${threads} threads; load ${load1().toFixed(2)}`,
  );
  const measured = [];
  for (const model of models) measured.push(await runRounds(model));
  peaks.push(await measurePeak(peakOptions));
  const peak = foldPeaks(peaks, Number(threads));
  const rows = measured.flatMap(({ model, own, runs, loads }) => {
    const flops = median(runs.get("ours")!.map((r) => Number(r.flops_per_sample)));
    return own.map((f) => fold(model, runs.get(f)!, loads.get(f)!, flops, peak));
  });
  const ratios = models.map((model) => ratioRow(model, rows));
  const warnings = measured.flatMap((m) => m.warnings);
  if (values.json) {
    for (const r of [peak, ...rows]) console.log(JSON.stringify(r));
    for (const message of warnings) console.log(JSON.stringify({ kind: "warning", message }));
    if (peers.length) { for (const r of ratios) console.log(JSON.stringify(r)); }
    return;
  }
  printHeader(started, peak);
  printTables(rows, ratios, warnings);
}

/** The run's date, threads, load and peak, above the tables. */
function printHeader(started: Date, peak: ReturnType<typeof foldPeaks>) {
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
  console.log(
    `Peak: float32 ${PEAK_SIZE}² MatMul, best of ${PEAK_REPS} at the start and the end: ORT ${
      fmt(peak.ort_gflops, 0)
    } GFLOP/s${
      peak.torch_gflops ? `, torch.mm ${fmt(peak.torch_gflops, 0)} GFLOP/s` : ""
    } (${threads} threads); peak_fraction divides by the higher\n`,
  );
}

const mark = (x: number | undefined, target: number) =>
  x === undefined ? "-" : `${x.toFixed(2)} ${x >= target ? "ok" : "BELOW"} (>= ${target})`;
const atMost = (x: number | undefined) =>
  x === undefined ? "-" : `${x.toFixed(2)} ${x <= 1 ? "ok" : "ABOVE"} (<= 1)`;

/** Ours over PyTorch in the rounds where both ran in the same vCPU placement. */
const byPlacement = (r: ReturnType<typeof ratioRow>) =>
  [["fast", r.ours_over_torch_fast], ["slow", r.ours_over_torch_slow]]
    .filter(([, x]) => x !== undefined)
    .map(([name, x]) => `${name} ${(x as number).toFixed(2)}`).join(", ") || "-";

/** The rows, the warnings and (with peers) the ratios, as text tables. */
function printTables(rows: Row[], ratios: ReturnType<typeof ratioRow>[], warnings: string[]) {
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
      "GFLOP/s",
      "of peak",
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
      fmt(r.gflops, 1),
      r.framework.startsWith("ours") && PEAK_TARGET[r.model]
        ? mark(r.peak_fraction, PEAK_TARGET[r.model]!)
        : r.peak_fraction.toFixed(2),
    ]),
  ));
  if (warnings.length) console.log(`\n${warnings.map((w) => `warning: ${w}`).join("\n")}`);
  if (!peers.length) return;
  console.log();
  console.log(table(
    [
      "model",
      "ours/PyTorch",
      "by placement",
      "ours/TF.js",
      "ours/jax-js",
      "peak RSS ours/PyTorch",
      "predict-256 ms ours/PyTorch",
    ],
    ratios.map((r) => [
      r.model,
      mark(r.ours_over_torch, r.torch_target),
      byPlacement(r),
      peers.includes("tfjs") && !hasPeer("tfjs", r.model)
        ? "- (no TF.js VAE)"
        : mark(r.ours_over_tfjs, r.tfjs_target),
      peers.includes("jaxjs") && !hasPeer("jaxjs", r.model)
        ? "- (no jax-js VAE)"
        : mark(r.ours_over_jaxjs, r.jaxjs_target),
      atMost(r.memory_ours_over_torch),
      atMost(r.latency_256_ours_over_torch),
    ]),
    1,
  ));
}

if (values.scaling) {
  await scalingMode({
    models,
    provider: values.provider,
    threads,
    passive: values.passive,
    batchSizes: values["batch-sizes"],
    sizes: values.sizes,
    dataArgs,
    json: values.json,
  });
} else if (values["to-quality"]) {
  await qualityMode({
    models,
    workerArgs: ["--provider", values.provider, "--threads", threads].concat(
      values.passive ? ["--passive"] : [],
    ),
    dataArgs,
    maxEpochs: Number(values["max-epochs"]),
    runners: {
      ours,
      // PyTorch's faster run of the two OMP wait policies (one with --passive).
      ...(peers.includes("torch")
        ? {
          torch: async (m: ModelName) => {
            const runs = [await torch(m)];
            if (!values.passive) runs.push(await torch(m, true));
            return runs.sort((a, b) => Number(b.samples_per_sec) - Number(a.samples_per_sec))[0];
          },
        }
        : {}),
    },
    json: values.json,
  });
} else await benchMode();
