/**
 * `deno task bench --scaling`: how training throughput grows with the batch size and
 * epoch time with the training-set size (bench/README.md, "--scaling").
 *
 * @module
 */

import { isConv, type ModelName } from "./data.ts";
import { DENO_WORKER, load1, runJson, say } from "./run.ts";
import { fmt, table } from "./table.ts";

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

/** What `--scaling` reads of the command line. */
export interface ScalingOptions {
  /** The models to sweep. */
  models: ModelName[];
  /** ORT execution provider. */
  provider: string;
  /** Intra-op threads. */
  threads: string;
  /** Idle threads sleep. */
  passive: boolean;
  /** Comma-separated batch sizes. */
  batchSizes: string;
  /** Comma-separated training-set sizes. */
  sizes: string;
  /** `--data DIR` for the workers. */
  dataArgs: string[];
  /** One JSON object per row instead of tables. */
  json: boolean;
}

/** One model's epoch time against the training-set size, with the fitted line. */
interface SizeRow {
  kind: "size-scaling";
  model: ModelName;
  batch_size: unknown;
  points: { train_samples: number; median_s: number }[];
  seconds_per_1k: number;
  intercept_s: number;
  r2: number;
  load_1m: number;
}

/**
 * `deno task bench --scaling`: throughput against batch size and epoch time against
 * training-set size, each model in a worker process of its own.
 *
 * @param o The options.
 */
export async function scalingMode(o: ScalingOptions): Promise<void> {
  const common = ["--provider", o.provider, "--threads", o.threads, ...o.dataArgs];
  if (o.passive) common.push("--passive");
  const batchRows: Record<string, unknown>[] = [];
  const sizeRows: SizeRow[] = [];
  for (const model of o.models) {
    batchRows.push(...await batchSweep(model, o, common));
    sizeRows.push(await sizeSweep(model, o, common));
  }
  if (o.json) {
    for (const r of [...batchRows, ...sizeRows]) console.log(JSON.stringify(r));
  } else {
    printTables(o, batchRows, sizeRows);
  }
}

/** Throughput of one model at each of `--batch-sizes`, samples per epoch fixed. */
async function batchSweep(
  model: ModelName,
  o: ScalingOptions,
  common: string[],
): Promise<Record<string, unknown>[]> {
  say(`scaling: ${model}, batch sizes ${o.batchSizes} (load ${load1().toFixed(2)})`);
  const b = await runJson(Deno.execPath(), [
    ...DENO_WORKER,
    "--mode",
    "batch",
    "--model",
    model,
    "--batch-sizes",
    o.batchSizes,
    "--samples",
    isConv(model) ? "2048" : "16384",
    "--epochs",
    "3",
    ...common,
  ]);
  return (b.points as Record<string, unknown>[]).map((p) => ({
    kind: "batch-scaling",
    model,
    ...p,
    load_1m: load1(),
  }));
}

/** Epoch time of one model at each of `--sizes`, and the least-squares line through them. */
async function sizeSweep(model: ModelName, o: ScalingOptions, common: string[]): Promise<SizeRow> {
  say(`scaling: ${model}, data sizes ${o.sizes} (load ${load1().toFixed(2)})`);
  const s = await runJson(Deno.execPath(), [
    ...DENO_WORKER,
    "--mode",
    "size",
    "--model",
    model,
    "--sizes",
    o.sizes,
    "--epochs",
    "2",
    ...common,
  ]);
  const points = s.points as { train_samples: number; median_s: number }[];
  const line = fit(points.map((p) => p.train_samples), points.map((p) => p.median_s));
  return {
    kind: "size-scaling",
    model,
    batch_size: s.batch_size,
    points,
    seconds_per_1k: line.slope * 1000,
    intercept_s: line.intercept,
    r2: line.r2,
    load_1m: load1(),
  };
}

/** The two tables: throughput against batch size, epoch time against data set size. */
function printTables(o: ScalingOptions, batchRows: Record<string, unknown>[], sizeRows: SizeRow[]) {
  console.log(
    `\n${new Date().toISOString()}  threads ${o.threads}  load average now ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
    }\n\nThroughput against batch size (samples per epoch fixed, whole batches)\n`,
  );
  const sizes = o.batchSizes.split(",");
  console.log(table(
    ["model", ...sizes.map((s) => `batch ${s}`)],
    o.models.map((m) => [
      m,
      ...sizes.map((s) => {
        const p = batchRows.find((r) => r.model === m && r.batch_size === Number(s));
        return p ? fmt(p.samples_per_sec as number, 0) : "-";
      }),
    ]),
    1,
  ));
  console.log("\nEpoch time against data set size (blog batch size; seconds, second epoch)\n");
  const ns = o.sizes.split(",");
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
