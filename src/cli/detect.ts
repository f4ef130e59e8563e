/**
 * `deno task detect`: scores a folder of images or a CSV table with a saved model,
 * ranks the inputs from the most anomalous, flags those above the model's threshold,
 * and with `--out` writes `anomalies.html`.
 *
 * @module
 */

import { join } from "node:path";
import process from "node:process";
import { AutoencoderError, nodeRuntime } from "../../mod.ts";
import { evaluateScores } from "../anomaly.ts";
import type { Autoencoder } from "../autoencoder.ts";
import { savedModelInfo } from "../checkpoint.ts";
import { printable, quote } from "../errors.ts";
import { blogModel } from "../../models/registry.ts";
import { parseCommandLine, runCommand } from "./command.ts";
import { anomaliesHtml } from "./detect_report.ts";
import { countProgress } from "./progress.ts";
import { OWN_DATA_FLAGS, ownDataOptions, readOwnData } from "./own_data.ts";

const HELP = `Score images or table rows with a saved model; rank them, most anomalous first.

Usage: deno task detect --model DIR/model.onnx (--images DIR | --csv FILE) [options]

  --model FILE         model.onnx written by the train command with --images or --csv
                       (it holds the threshold and a table's scaling)
  --images DIR         the images to score (resized to the model's size; --skip-bad: skip
                       unreadable files)
  --csv FILE           the table to score (the model's columns; --label-column NAME: a column
                       of labels, 0 or "normal" for normal rows: the summary adds AUROC)
  --top N              inputs listed (default 20; --json lists all)
  --json               one JSON object per input, most anomalous first, then a summary line
  --out DIR            write anomalies.html: the most anomalous inputs beside their
                       reconstructions, and the score histogram with the threshold
  -h, --help           show this help
`;

/** Builds the model a saved file holds, with its weights and anomaly settings. */
async function loadSaved(file: string): Promise<Autoencoder> {
  const bytes = await nodeRuntime.readFile(file);
  const { name, shape } = savedModelInfo(bytes, file);
  if (name === undefined) {
    throw new AutoencoderError(
      `Cannot detect with ${
        quote(file)
      }: it holds no model name; pass a model.onnx written by the train command`,
      {
        kind: "bad-input",
      },
    );
  }
  const size = shape?.inputShape.reduce((a, d) => a * d, 1);
  const model = blogModel(name, "detect with").create(
    shape
      ? {
        inputShape: shape.inputShape as [number, number, number],
        inputSize: size,
        codeSize: shape.codeSize,
        output: shape.output === "linear" ? "linear" : "sigmoid",
      }
      : {},
  );
  model.loadOnnx(bytes, file);
  return model;
}

/** The command line's flags, checked. */
function detectOptions(args: string[]) {
  const { values } = parseCommandLine({
    args,
    options: {
      model: { type: "string" },
      top: { type: "string", default: "20" },
      json: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      ...OWN_DATA_FLAGS,
    },
  });
  if (values.help) return undefined;
  const own = ownDataOptions(values);
  if (!values.model || !own) {
    throw new AutoencoderError(
      "Cannot detect: pass --model FILE and --images DIR or --csv FILE; see --help",
      {
        kind: "bad-input",
      },
    );
  }
  if (own.score !== undefined) {
    throw new AutoencoderError(
      "Cannot use --score with detect: the model keeps the score its threshold was fitted with; pass --score to the train command",
      { kind: "bad-input" },
    );
  }
  const top = Number(values.top);
  if (!(Number.isInteger(top) && top >= 1)) {
    throw new AutoencoderError(`Cannot use --top ${quote(values.top)}: pass a positive integer`, {
      kind: "bad-input",
    });
  }
  return { model: values.model, json: values.json, out: values.out, own, top };
}

/** The inputs' scores, ranked from the most anomalous, and how to name and flag them. */
interface Ranking {
  scores: Float64Array;
  order: number[];
  threshold: number | undefined;
  flagged: (s: number) => boolean;
  key: "file" | "row";
  name: (i: number) => string | number;
}

/** The summary line's facts, with AUROC and AUPRC when the data has both kinds of labels. */
function summarize(model: Autoencoder, file: string, ranking: Ranking, labelled?: string[]) {
  const { scores, threshold, flagged } = ranking;
  const labels = labelled?.map((l) => !(l === "0" || l.toLowerCase() === "normal"));
  const evaluation = labels && labels.some(Boolean) && !labels.every(Boolean)
    ? evaluateScores(scores, labels, threshold)
    : undefined;
  const summary = {
    model: file,
    inputs: scores.length,
    anomalous: scores.filter(flagged).length,
    score: model.anomaly.score,
    threshold: threshold ?? null,
    ...(evaluation
      ? {
        auroc: evaluation.auroc,
        auprc: evaluation.auprc,
        precision: evaluation.precision,
        recall: evaluation.recall,
      }
      : {}),
  };
  return { summary, evaluation };
}

/** Prints the ranking: JSON lines, or the top inputs and a summary sentence. */
function printRanking(
  options: { model: string; json: boolean; top: number },
  ranking: Ranking,
  result: ReturnType<typeof summarize>,
  description: string,
  log: (line: string) => void,
): void {
  const { scores, order, threshold, flagged, key, name } = ranking;
  const { summary, evaluation } = result;
  if (options.json) {
    for (const i of order) {
      console.log(
        JSON.stringify({ [key]: name(i), score: scores[i], anomalous: flagged(scores[i]) }),
      );
    }
    console.log(JSON.stringify(summary));
    return;
  }
  log(`Scored ${description} with ${printable(options.model)}`);
  for (const [rank, i] of order.slice(0, options.top).entries()) {
    log(
      `${String(rank + 1).padStart(4)}  ${scores[i].toPrecision(4)}  ${
        flagged(scores[i]) ? "anomalous" : "normal   "
      }  ${printable(String(name(i)))}`,
    );
  }
  log(
    `${summary.anomalous} of ${summary.inputs} inputs above the threshold ${
      threshold?.toPrecision(4) ?? "(none)"
    }${
      evaluation
        ? `; AUROC ${evaluation.auroc.toFixed(4)}, AUPRC ${evaluation.auprc.toFixed(4)}`
        : ""
    }`,
  );
}

/** Writes `anomalies.html` to `out`: the top inputs beside their reconstructions. */
async function writeReport(
  model: Autoencoder,
  data: { samples: Float32Array; shape: number[] },
  ranking: Ranking,
  top: number,
  out: string,
  log: (line: string) => void,
): Promise<void> {
  const { scores, order, threshold, flagged, name } = ranking;
  const picked = order.slice(0, top);
  const size = data.samples.length / scores.length;
  const inputs = new Float32Array(picked.length * size);
  picked.forEach((i, n) => inputs.set(data.samples.subarray(i * size, (i + 1) * size), n * size));
  const html = await anomaliesHtml({
    shape: data.shape,
    scores,
    threshold,
    top: picked.map((i, n) => ({
      name: String(name(i)),
      score: scores[i],
      anomalous: flagged(scores[i]),
      input: inputs.subarray(n * size, (n + 1) * size),
    })),
    reconstructions: await model.predict(inputs),
  });
  await nodeRuntime.writeFile(join(out, "anomalies.html"), new TextEncoder().encode(html));
  log(`Wrote ${printable(join(out, "anomalies.html"))}`);
}

/**
 * Runs the command.
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  const options = detectOptions(args);
  if (!options) return console.log(HELP);
  const { own } = options;
  const log = options.json ? console.error : console.log;
  const model = await loadSaved(options.model);
  try {
    const data = await readOwnData(own, {
      inputShape: model.inputShape,
      scaling: model.anomaly.scaling,
    }, countProgress("Reading images", (text) => process.stderr.write(text), process.stderr.isTTY));
    const scores = await model.scores(data.samples);
    const threshold = model.anomaly.threshold?.threshold;
    if (threshold === undefined) {
      log("The model has no threshold: inputs are ranked, none is flagged");
    }
    const key = own.images !== undefined ? "file" : "row";
    const ranking: Ranking = {
      scores,
      order: Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]),
      threshold,
      flagged: (s: number) => threshold !== undefined && s > threshold,
      key,
      name: (i: number) => (key === "file" ? data.names[i] : i + 1),
    };
    const result = summarize(model, options.model, ranking, data.labels);
    printRanking(options, ranking, result, data.description, log);
    if (options.out) await writeReport(model, data, ranking, options.top, options.out, log);
  } finally {
    await model.dispose();
  }
}

if (import.meta.main) await runCommand(main);
