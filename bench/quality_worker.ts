/**
 * Time to quality, one model in a process of its own (`deno task bench --to-quality`
 * starts it): trains on the data the library's loader finds (full MNIST where it is,
 * else the embedded subset) with the blog's batch size and the model's optimizer,
 * evaluating the test set after every epoch, until the test loss reaches `--target`
 * or `--max-epochs` pass. Prints one JSON object last.
 *
 * ```sh
 * deno run -A bench/quality_worker.ts --model deep --target 0.082 --threads 2
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { describeData, loadMnist } from "../mod.ts";
import { BLOG_MODELS } from "../models/registry.ts";
import type { ModelOptions } from "../src/autoencoder.ts";
import type { ModelName } from "./data.ts";
import { peakRssMb } from "./data.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "conv" },
    target: { type: "string" },
    "max-epochs": { type: "string", default: "100" },
    provider: { type: "string", default: "cpu" },
    threads: { type: "string", default: "2" },
    passive: { type: "boolean", default: false },
    data: { type: "string" },
    seed: { type: "string", default: "0" },
  },
});
const model = values.model as ModelName;
const target = Number(values.target);
if (!(model in BLOG_MODELS) || !(target > 0)) {
  throw new Error(`Cannot train "${model}" to quality: pass a blog model and --target LOSS`);
}
const data = await loadMnist({ dir: values.data, orSubset: true });
console.error(`${model} to test loss ${target}: ${describeData(data)}`);
const { create, batchSize, optimizer } = BLOG_MODELS[model];
const m = create({
  seed: Number(values.seed),
  provider: values.provider as ModelOptions["provider"],
  threads: Number(values.threads),
  spinning: !values.passive,
});
const curve: { epoch: number; loss: number; val_loss: number; seconds: number }[] = [];
const t0 = performance.now();
await m.fit(data.train.images, {
  epochs: Number(values["max-epochs"]),
  batchSize,
  optimizer: optimizer ?? "adam",
  validationData: data.test,
  callbacks: [{
    onEpochEnd(logs) {
      const valLoss = logs.valLoss!;
      curve.push({
        epoch: logs.epoch + 1,
        loss: logs.loss,
        val_loss: valLoss,
        seconds: logs.seconds,
      });
      console.error(
        `  epoch ${logs.epoch + 1}: loss ${logs.loss.toFixed(4)}, test ${valLoss.toFixed(4)}, ` +
          `${logs.seconds.toFixed(1)} s`,
      );
      return valLoss <= target ? { stop: true } : undefined;
    },
  }],
});
const wallSeconds = (performance.now() - t0) / 1000;
await m.dispose();
const trainSeconds = curve.reduce((sum, e) => sum + e.seconds, 0);
console.log(JSON.stringify({
  framework: "ours",
  model,
  data: describeData(data),
  train_count: data.train.count,
  test_count: data.test.count,
  batch_size: batchSize,
  threads: Number(values.threads),
  target,
  reached: curve.at(-1)!.val_loss <= target,
  epochs: curve.length,
  val_loss: curve.at(-1)!.val_loss,
  train_seconds: trainSeconds,
  wall_seconds: wallSeconds,
  samples_per_sec: data.train.count * curve.length / trainSeconds,
  curve,
  peak_rss_mb: peakRssMb(),
}));
