/**
 * The train and detect commands' own-data options: `--images DIR` (with `--size`,
 * `--channels`, `--skip-bad`) and `--csv FILE` (with `--label-column`, `--scale`),
 * read into samples and the model options that fit them.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type Scaling, SCORE_NAMES, type ScoreName } from "../anomaly.ts";
import { AutoencoderError, quote } from "../errors.ts";
import { loadCsv, loadImageFolder } from "../data/own_data.ts";
import type { AnyModelOptions } from "../../models/registry.ts";
import { Random } from "../nn/random.ts";
import type { RunData } from "./train_outputs.ts";

/** The own-data flags, as `parseArgs` takes them. */
export const OWN_DATA_FLAGS = {
  images: { type: "string" },
  csv: { type: "string" },
  size: { type: "string" },
  channels: { type: "string" },
  "skip-bad": { type: "boolean", default: false },
  "label-column": { type: "string" },
  scale: { type: "string" },
  score: { type: "string" },
} as const;

/** The own-data options, checked. */
export interface OwnDataOptions {
  /** `--images DIR`. */
  images?: string;
  /** `--csv FILE`. */
  csv?: string;
  /** `--size HxW`. */
  size?: [number, number];
  /** `--channels 1|3`. */
  channels?: 1 | 3;
  /** `--skip-bad`. */
  skipBad: boolean;
  /** `--label-column NAME`. */
  labelColumn?: string;
  /** `--scale minmax|standard`. */
  scale?: "minmax" | "standard";
  /** `--score NAME`: the anomaly score the model keeps (default mse). */
  score?: ScoreName;
}

/** The parsed values of {@link OWN_DATA_FLAGS}. */
export type OwnDataValues = {
  images?: string;
  csv?: string;
  size?: string;
  channels?: string;
  "skip-bad"?: boolean;
  "label-column"?: string;
  scale?: string;
  score?: string;
};

function bad(message: string): AutoencoderError {
  return new AutoencoderError(message, { kind: "bad-input" });
}

/** The `--size HxW` flag as `[height, width]`, if given. */
function parseSize(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m || +m[1] < 1 || +m[2] < 1) {
    throw bad(
      `Cannot use --size ${quote(text)}: it is not HxW, e.g. 28x28; pass two positive integers`,
    );
  }
  return [+m[1], +m[2]];
}

/**
 * Checks the own-data flags.
 *
 * @param values The parsed flags.
 * @returns The options, or `undefined` without `--images` and `--csv`.
 */
export function ownDataOptions(values: OwnDataValues): OwnDataOptions | undefined {
  const { images, csv } = values;
  if (images !== undefined && csv !== undefined) {
    throw bad(
      "Cannot use --images with --csv: a model trains on one kind of data; pass one of them",
    );
  }
  const imageFlags = ["size", "channels"] as const;
  const tableFlags = ["label-column", "scale"] as const;
  for (
    const [given, flags, needs] of [[images, imageFlags, "--images"], [
      csv,
      tableFlags,
      "--csv",
    ]] as const
  ) {
    const stray = flags.find((f) => values[f] !== undefined);
    if (given === undefined && stray) {
      throw bad(`Cannot use --${stray} without ${needs}; pass ${needs}`);
    }
  }
  if (images === undefined && csv === undefined) return undefined;
  const size = parseSize(values.size);
  const channels = values.channels;
  if (channels !== undefined && channels !== "1" && channels !== "3") {
    throw bad(
      `Cannot use --channels ${quote(channels)}: it is not 1 (grey) or 3 (colour); pass 1 or 3`,
    );
  }
  const scale = values.scale;
  if (scale !== undefined && scale !== "minmax" && scale !== "standard") {
    throw bad(`Cannot use --scale ${quote(scale)}: it is not minmax or standard; pass one of them`);
  }
  const score = values.score;
  if (score !== undefined && !SCORE_NAMES.includes(score as ScoreName)) {
    throw bad(
      `Cannot use --score ${quote(score)}: it is not one of ${
        SCORE_NAMES.join(", ")
      }; pass one of them`,
    );
  }
  return {
    score: score as ScoreName | undefined,
    images,
    csv,
    size,
    channels: channels === undefined ? undefined : (Number(channels) as 1 | 3),
    skipBad: values["skip-bad"] ?? false,
    labelColumn: values["label-column"],
    scale,
  };
}

/** Samples read from own data, with what names and scales them. */
export interface OwnSamples {
  /** The samples, row-major. */
  samples: Float32Array;
  /** One sample's shape. */
  shape: number[];
  /** A name per sample: its file, or `row N`. */
  names: string[];
  /** Labels of the label column (tables), if any. */
  labels?: string[];
  /** The scaling applied (tables). */
  scaling?: Scaling;
  /** One line on what was read. */
  description: string;
}

/**
 * Reads own data, for training (the scaling is fitted) or for scoring with a saved
 * model (its shape and scaling are used).
 *
 * @param own The options.
 * @param model For scoring: the model's input shape and saved scaling.
 * @param onProgress Called with the images read so far and their number.
 * @returns The samples.
 */
export async function readOwnData(
  own: OwnDataOptions,
  model?: { inputShape: number[]; scaling?: Scaling },
  onProgress?: (done: number, total: number) => void,
): Promise<OwnSamples> {
  if (own.images !== undefined) {
    const [c, h, w] = model?.inputShape.length === 3 ? model.inputShape : [];
    const size = own.size ?? (h ? [h, w] : undefined);
    const folder = await loadImageFolder(own.images, {
      size,
      channels: own.channels ?? (c === 3 ? 3 : 1),
      skipBad: own.skipBad,
      onProgress,
    });
    const skipped = folder.skipped.length ? `, ${folder.skipped.length} unreadable skipped` : "";
    return {
      samples: folder.images,
      shape: folder.shape,
      names: folder.files,
      description: `${folder.count} images of ${quote(own.images)} (${
        folder.shape.join("x")
      }${skipped})`,
    };
  }
  const scale = model ? model.scaling ?? "none" : own.scale ?? "standard";
  const table = await loadCsv(own.csv!, { labelColumn: own.labelColumn, scale });
  // Rows beyond the training range, scored by a model of outputs in [0, 1], are clipped to it.
  if (model && table.scaling?.method === "minmax") {
    table.data.forEach((v, i) => (table.data[i] = Math.min(1, Math.max(0, v))));
  }
  if (model && table.columns.length !== model.inputShape[0]) {
    throw bad(
      `Cannot score ${
        quote(own.csv!)
      }: it has ${table.columns.length} columns but the model takes ${
        model.inputShape[0]
      }; pass a table with the columns it was trained on`,
    );
  }
  return {
    samples: table.data,
    shape: [table.columns.length],
    names: Array.from({ length: table.count }, (_, i) => `row ${i + 1}`),
    labels: table.labels,
    scaling: table.scaling,
    description: `${table.count} rows of ${quote(own.csv!)} (${table.columns.length} columns${
      table.scaling ? `, ${table.scaling.method} scaling` : ""
    })`,
  };
}

/**
 * The model options that fit own data: the conv model's input shape, the dense
 * models' input size (and for a table, a code a quarter of its width, at least 2,
 * and a linear output unless the scaling is minmax).
 *
 * @param data The samples.
 * @param own The options.
 * @returns Options for the model's constructor.
 */
export function modelOptionsFor(data: OwnSamples, own: OwnDataOptions): AnyModelOptions {
  const size = data.shape.reduce((a, d) => a * d, 1);
  if (data.shape.length === 3) {
    return { inputShape: data.shape as [number, number, number], inputSize: size };
  }
  const codeSize = Math.max(2, Math.floor(size / 4));
  return { inputSize: size, codeSize, output: own.scale === "minmax" ? "sigmoid" : "linear" };
}

/**
 * Which samples a run trains on, as a checkpoint records it: their number and a
 * hash of their values, so that `--resume` notices files that changed.
 *
 * @param samples The samples, one after another.
 * @param count How many.
 * @returns E.g. `500 samples, sha256 3f2a…` (16 hex digits).
 */
export function ownDataId(samples: Float32Array, count: number): string {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  return `${count} samples, sha256 ${
    createHash("sha256").update(bytes).digest("hex").slice(0, 16)
  }`;
}

/**
 * What a run on own data trains and validates on: a tenth of the samples, drawn
 * with the run's seed, is held out for validation when there are at least 20;
 * with fewer, the validation loss is the training samples'.
 *
 * @param own The samples read.
 * @param limit At most this many are used (the first ones).
 * @param seed The run's seed.
 * @returns The run's data.
 */
export function ownRunData(own: OwnSamples, limit: number = Infinity, seed: number = 0): RunData {
  const size = own.shape.reduce((a, d) => a * d, 1);
  const count = Math.min(limit, own.names.length);
  const order = Array.from({ length: count }, (_, i) => i);
  const held = count >= 20 ? Math.floor(count / 10) : 0;
  const rng = new Random(seed);
  for (let i = count - 1; i > 0 && held; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const pick = (ids: number[]) => {
    const out = new Float32Array(ids.length * size);
    ids.sort((a, b) => a - b).forEach((id, k) =>
      out.set(own.samples.subarray(id * size, (id + 1) * size), k * size)
    );
    return out;
  };
  const trainImages = pick(order.slice(held));
  return {
    trainImages,
    testImages: held ? pick(order.slice(0, held)) : trainImages,
    testLabels: new Uint8Array(0),
    description: `${own.description}; ${
      held ? `${held} held out for validation` : "validation on the training samples (under 20)"
    }`,
    id: ownDataId(own.samples.subarray(0, count * size), count),
  };
}
