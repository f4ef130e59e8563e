/**
 * `deno task bench --to-quality`: how long the conv model takes to reach the blog's
 * test loss 0.094 on MNIST (and the deep model 0.082), the comparison a user cares
 * about. Ours trains for real (`bench/quality_worker.ts`); PyTorch's time is estimated
 * as the same number of epochs at its throughput, measured by the benchmark's short
 * runs alternating with ours before and after the long one.
 *
 * @module
 */

import { median, type ModelName } from "./data.ts";
import { DENO_WORKER, runJson, say } from "./run.ts";
import { fmt, table } from "./table.ts";

/** The blog's test losses: "converges to a loss of 0.094" (conv), about 0.08 after 100 epochs (deep). */
export const QUALITY_TARGETS: Partial<Record<ModelName, number>> = { conv: 0.094, deep: 0.082 };

/** What `--to-quality` needs of the benchmark. */
export interface QualityOptions {
  /** Models (those with a target in {@link QUALITY_TARGETS}). */
  models: ModelName[];
  /** Worker arguments: provider, threads, passive. */
  workerArgs: string[];
  /** `--data DIR`: the folder the library's loader found (the benchmark loads the data first). */
  dataArgs: string[];
  /** Most epochs before giving up. */
  maxEpochs: number;
  /** The benchmark's short throughput runs: ours, and PyTorch's when its peer runs. */
  runners: Record<string, (m: ModelName) => Promise<Record<string, unknown>>>;
  /** One JSON object per row instead of a table. */
  json: boolean;
}

/**
 * Trains each model to its target and prints epochs, seconds and PyTorch's estimate.
 *
 * @param o The options.
 */
export async function qualityMode(o: QualityOptions): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (const model of o.models.filter((m) => QUALITY_TARGETS[m] !== undefined)) {
    rows.push(await toQuality(model, o));
  }
  if (o.json) {
    for (const r of rows) console.log(JSON.stringify(r));
  } else {
    printTable(rows);
  }
}

/**
 * One model trained to its target in a worker, between two rounds of the short
 * throughput runs, whose medians give the time estimates.
 */
async function toQuality(model: ModelName, o: QualityOptions): Promise<Record<string, unknown>> {
  const rates = new Map<string, number[]>(Object.keys(o.runners).map((f) => [f, []]));
  const measureRates = async () => {
    for (const [f, run] of Object.entries(o.runners)) {
      rates.get(f)!.push(Number((await run(model)).samples_per_sec));
    }
  };
  await measureRates();
  say(`to quality: ${model}, test loss <= ${QUALITY_TARGETS[model]}`);
  const q = await runJson(
    Deno.execPath(),
    [
      ...DENO_WORKER.slice(0, -1),
      "--allow-net=ossci-datasets.s3.amazonaws.com,storage.googleapis.com",
      "bench/quality_worker.ts",
      "--model",
      model,
      "--target",
      String(QUALITY_TARGETS[model]),
      "--max-epochs",
      String(o.maxEpochs),
      ...o.workerArgs,
      ...o.dataArgs,
    ],
    {},
    true,
  );
  await measureRates();
  const ours = median(rates.get("ours")!), torch = rates.get("torch");
  const torchRate = torch?.length ? median(torch) : undefined;
  const samples = Number(q.train_count) * Number(q.epochs);
  return {
    kind: "to-quality",
    ...q,
    ours_bench_samples_per_sec: ours,
    torch_bench_samples_per_sec: torchRate,
    torch_estimate_seconds: torchRate && samples / torchRate,
    ours_estimate_seconds: samples / ours,
  };
}

/** The results as a table, with what the PyTorch estimate is. */
function printTable(rows: Record<string, unknown>[]): void {
  const num = (x: unknown) => typeof x === "number" ? x : undefined;
  const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  console.log(`\n${new Date().toISOString()}  ${rows[0]?.data ?? ""}  load average now ${load}\n`);
  console.log(table(
    [
      "model",
      "target",
      "reached",
      "epochs",
      "test loss",
      "ours train s",
      "ours with eval s",
      "ours samples/s",
      "bench: ours samples/s",
      "bench: PyTorch samples/s",
      "PyTorch est. s",
    ],
    rows.map((r) => [
      String(r.model),
      String(r.target),
      r.reached ? "yes" : "no",
      String(r.epochs),
      fmt(num(r.val_loss), 4),
      fmt(num(r.train_seconds), 0),
      fmt(num(r.wall_seconds), 0),
      fmt(num(r.samples_per_sec), 0),
      fmt(num(r.ours_bench_samples_per_sec), 0),
      fmt(num(r.torch_bench_samples_per_sec), 0),
      fmt(num(r.torch_estimate_seconds), 0),
    ]),
    1,
  ));
  console.log(
    "\nPyTorch est. s: the same epochs at PyTorch's throughput in the short bench runs " +
      "(median of the runs before and after), training time only",
  );
}
