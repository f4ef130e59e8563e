/**
 * Side-by-side training throughput of this library and PyTorch on the same CPU:
 * alternates runs of `deno task train` and `bench/torch_peer.py` with the same
 * model, batch size, optimizer, data and thread count, and prints the median
 * epoch time of each (the first epoch of every run is warm-up and left out) and
 * the ratio.
 *
 * Run: `deno task bench:torch [--rounds 3] [--epochs 3] [--threads 2]`
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    epochs: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
    "batch-size": { type: "string", default: "256" },
    model: { type: "string", default: "undercomplete" },
  },
});
const common = [
  "--model",
  values.model,
  "--epochs",
  values.epochs,
  "--batch-size",
  values["batch-size"],
  "--json",
];

async function lastJson(cmd: string, args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await new Deno.Command(cmd, { args, env }).output();
  const out = new TextDecoder().decode(stdout).trim().split("\n").at(-1)!;
  if (code !== 0) throw new Error(`${cmd} failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(out) as { epoch_seconds: number[]; train_samples?: number; val_loss: number };
}

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours: number[] = [], torch: number[] = [];
const loss = { ours: 0, torch: 0 };
for (let round = 0; round < Number(values.rounds); round++) {
  const a = await lastJson(Deno.execPath(), [
    "task",
    "-q",
    "train",
    ...common,
    "--quiet",
    "--threads",
    values.threads,
  ]);
  ours.push(...a.epoch_seconds.slice(1));
  loss.ours = a.val_loss;
  // Torch with the BLAS kernels for this CPU (Debian's OpenBLAS misdetects it) and OMP's default spin-waiting.
  const b = await lastJson("/usr/bin/python3", [
    "bench/torch_peer.py",
    ...common,
    "--threads",
    values.threads,
  ], {
    OPENBLAS_CORETYPE: "SkylakeX",
  });
  torch.push(...b.epoch_seconds.slice(1));
  loss.torch = b.val_loss;
  console.error(
    `round ${round + 1}: ours ${a.epoch_seconds.map((s) => s.toFixed(2))} s, torch ${
      b.epoch_seconds.map((s) => s.toFixed(2))
    } s`,
  );
}
const perSec = (s: number) => 60000 / s;
const result = {
  model: values.model,
  batch_size: Number(values["batch-size"]),
  threads: Number(values.threads),
  ours_samples_per_sec: Math.round(perSec(median(ours))),
  torch_samples_per_sec: Math.round(perSec(median(torch))),
  ratio: median(torch) / median(ours),
  ours_val_loss: loss.ours,
  torch_val_loss: loss.torch,
};
console.log(
  `${result.model}, batch ${result.batch_size}, ${result.threads} threads: ours ${result.ours_samples_per_sec} samples/s, PyTorch ${result.torch_samples_per_sec} samples/s, ratio ours/PyTorch ${
    result.ratio.toFixed(2)
  }`,
);
console.log(JSON.stringify(result));
