/**
 * `deno task oneclass`: the one-class anomaly detection protocol (Ruff et al., 2018):
 * train on one class's training images only, score the whole test set, that class
 * normal and the nine others anomalous, and print the AUROC; `--all` runs the ten
 * classes and prints the table.
 *
 * @module
 */

import {
  AutoencoderError,
  loadFashionMnist,
  loadMnist,
  loadMnistSubset,
  type MnistData,
} from "../../mod.ts";
import { auroc, SCORE_NAMES, type ScoreName } from "../anomaly.ts";
import { blogModel } from "../../models/registry.ts";
import { parseCommandLine, runCommand } from "./command.ts";

const HELP = `Train on one class, score the whole test set (that class normal), print the AUROC.

Usage: deno task oneclass --dataset mnist|fashion-mnist|mnist-subset --class K [options]

  --dataset NAME    mnist (default) | fashion-mnist | mnist-subset (embedded, no files needed)
  --class K         the normal class, 0 to 9
  --all             run the ten classes and print the table (with the mean)
  --model NAME      conv (default) | undercomplete | deep | sparse | denoising
  --epochs N        epochs (default 10)
  --batch-size N    samples per update (default 32)
  --score NAME      ${SCORE_NAMES.join(" | ")} (default mse); the JSON gives every score's AUROC
  --seed S          seed (default 0)
  --data DIR        folder with the four IDX files
  --out DIR         save the trained model as DIR/model.onnx (one class only), with its
                    anomaly threshold (percentile 99 of the training images' scores) in
                    its ONNX metadata
  --json            one JSON object per class (and a summary line with --all)
  -h, --help        show this help
`;

/** One class's result. */
export interface OneClassResult {
  dataset: string;
  class: number;
  model: string;
  epochs: number;
  train_samples: number;
  test_samples: number;
  /** AUROC of the chosen score. */
  auroc: number;
  /** AUROC of every score. */
  auroc_by_score: Record<ScoreName, number>;
  train_seconds: number;
  /** The threshold fitted to the training images' scores, when the model was saved. */
  threshold?: number;
  /** Where the model was saved (`--out`). */
  saved?: string;
}

/**
 * Runs the protocol for one class.
 *
 * @param data The data set.
 * @param k The normal class.
 * @param options Model, epochs, batch size, score, seed.
 * @returns The result.
 */
export async function oneClass(
  data: MnistData,
  k: number,
  options: {
    dataset: string;
    model: string;
    epochs: number;
    batchSize: number;
    score: ScoreName;
    seed: number;
    /** Save the trained model, with its threshold, as `out/model.onnx`. */
    out?: string;
  },
): Promise<OneClassResult> {
  const size = data.train.height * data.train.width;
  const picked: number[] = [];
  data.train.labels.forEach((label, i) => label === k && picked.push(i));
  const train = new Float32Array(picked.length * size);
  picked.forEach((i, n) =>
    train.set(data.train.images.subarray(i * size, (i + 1) * size), n * size)
  );
  const model = blogModel(options.model).create({ seed: options.seed });
  try {
    const start = performance.now();
    await model.fit(train, { epochs: options.epochs, batchSize: options.batchSize });
    const seconds = (performance.now() - start) / 1000;
    const anomalous = Array.from(data.test.labels, (label) => label !== k);
    const byScore = {} as Record<ScoreName, number>;
    for (const score of SCORE_NAMES) {
      byScore[score] = auroc(await model.scores(data.test.images, score), anomalous);
    }
    let saved: { threshold?: number; saved?: string } = {};
    if (options.out !== undefined) {
      model.anomaly = { ...model.anomaly, score: options.score };
      const { threshold } = await model.fitThreshold(train, { method: "percentile", value: 99 });
      await Deno.mkdir(options.out, { recursive: true });
      const path = `${options.out.replace(/\/+$/, "")}/model.onnx`;
      await model.save(path);
      saved = { threshold, saved: path };
    }
    return {
      dataset: options.dataset,
      class: k,
      model: options.model,
      epochs: options.epochs,
      train_samples: picked.length,
      test_samples: data.test.count,
      auroc: byScore[options.score],
      auroc_by_score: byScore,
      train_seconds: Math.round(seconds * 10) / 10,
      ...saved,
    };
  } finally {
    await model.dispose();
  }
}

/** The command line's flags, checked (the counts are checked by `count` once the data is read). */
function protocolFlags(args: string[]) {
  const { values } = parseCommandLine({
    args,
    options: {
      dataset: { type: "string", default: "mnist" },
      class: { type: "string" },
      all: { type: "boolean", default: false },
      model: { type: "string", default: "conv" },
      epochs: { type: "string", default: "10" },
      "batch-size": { type: "string", default: "32" },
      score: { type: "string", default: "mse" },
      seed: { type: "string", default: "0" },
      data: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return undefined;
  const bad = (what: string) =>
    new AutoencoderError(`Cannot run the one-class protocol: ${what}; see --help`, {
      kind: "bad-input",
    });
  const count = (name: string, text: string, min: number, max = Infinity) => {
    const n = Number(text);
    if (!(Number.isInteger(n) && n >= min && n <= max)) {
      throw bad(
        `--${name} must be an integer from ${min}${
          max < Infinity ? ` to ${max}` : ""
        }, got "${text}"`,
      );
    }
    return n;
  };
  if (!values.all && values.class === undefined) throw bad("pass --class K (0 to 9) or --all");
  const classes = values.all
    ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    : [count("class", values.class!, 0, 9)];
  if (values.out !== undefined && classes.length > 1) {
    throw bad("--out saves one model: pass --class K, not --all");
  }
  if (!SCORE_NAMES.includes(values.score as ScoreName)) {
    throw bad(`--score must be one of ${SCORE_NAMES.join(", ")}, got "${values.score}"`);
  }
  blogModel(values.model, "run the protocol with");
  const loaders: Record<string, () => Promise<MnistData>> = {
    mnist: () => loadMnist({ dir: values.data }),
    "fashion-mnist": () => loadFashionMnist({ dir: values.data }),
    "mnist-subset": loadMnistSubset,
  };
  if (!Object.hasOwn(loaders, values.dataset)) {
    throw bad(
      `--dataset must be one of ${Object.keys(loaders).join(", ")}, got "${values.dataset}"`,
    );
  }
  return { values, classes, count, load: loaders[values.dataset] };
}

/** Prints the mean AUROC over the classes run. */
function printMeans(results: OneClassResult[], dataset: string, score: ScoreName, json: boolean) {
  const mean = (f: (r: OneClassResult) => number) =>
    results.reduce((a, r) => a + f(r), 0) / results.length;
  const summary = {
    dataset,
    mean_auroc: mean((r) => r.auroc),
    mean_auroc_by_score: Object.fromEntries(
      SCORE_NAMES.map((s) => [s, mean((r) => r.auroc_by_score[s])]),
    ),
  };
  if (json) console.log(JSON.stringify(summary));
  else console.log(`mean AUROC ${summary.mean_auroc.toFixed(4)} (${score})`);
}

/**
 * Runs the command.
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  const flags = protocolFlags(args);
  if (!flags) return console.log(HELP);
  const { values, classes, count } = flags;
  const data = await flags.load();
  const options = {
    dataset: values.dataset,
    model: values.model,
    epochs: count("epochs", values.epochs, 1),
    batchSize: count("batch-size", values["batch-size"], 1),
    score: values.score as ScoreName,
    seed: count("seed", values.seed, 0),
    out: values.out,
  };
  const results: OneClassResult[] = [];
  for (const k of classes) {
    const result = await oneClass(data, k, options);
    results.push(result);
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(
        `class ${k}: AUROC ${result.auroc.toFixed(4)} (${options.score}; ${
          SCORE_NAMES.map((s) => `${s} ${result.auroc_by_score[s].toFixed(4)}`).join(", ")
        }), ${result.train_samples} training images, ${result.train_seconds} s`,
      );
      if (result.saved) {
        console.log(`saved ${result.saved} (threshold ${result.threshold} = percentile 99)`);
      }
    }
  }
  if (classes.length > 1) printMeans(results, values.dataset, options.score, values.json);
}

if (import.meta.main) await runCommand(main);
