/**
 * The inference-session cache of a model: one session per part (encoder, decoder,
 * autoencoder), opened on first use. Most take the weights as inputs, so that a
 * session serves every later weight value without being rebuilt. On the CPU
 * provider a part with convolutions has its weights baked in as constants instead
 * (ORT then runs its blocked NCHWc convolutions with filters reordered once: 1.2×
 * faster through `predict` on the conv model, 1.8× in raw sessions, bench/NOTES.md);
 * such a session keeps a copy of the weights it holds and is opened again when the
 * model's weights differ from it.
 *
 * @module
 */

import { loweringFor } from "./lower/lower.ts";
import {
  type Architecture,
  buildInference,
  codeShape,
  paramSpecs,
  type Part,
} from "./nn/architecture.ts";
import { encodeModel } from "./onnx/model.ts";
import type { ImageBatch } from "./options.ts";
import type { ProviderResolver } from "./provider.ts";
import { samplesOf, unitRangeOf } from "./validate.ts";
import type { Runtime, RuntimeTensor, Session, SessionOptions } from "./runtime/types.ts";
import type { Samples } from "../training/fit.ts";

/** Samples run per session call. */
const CHUNK = 1000;

/** An open session of a part: the weights it takes as inputs, or the copy of those baked in. */
interface Opened {
  session: Session;
  /** Names of the weights fed as inputs (none when baked). */
  params: string[];
  /** The weights baked into the session as constants, by name (copies). */
  baked?: Map<string, Float32Array>;
  /** Runs in flight; a replaced session is released when the last one ends. */
  running: number;
  /** Replaced by a session with newer weights. */
  retired: boolean;
}

/** A model's inference sessions, one per part. */
export class InferenceSessions {
  #sessions = new Map<Part, Promise<Opened>>();
  /** The runtime. */
  readonly runtime: Runtime;
  /** Provider and threads (read when a session opens). */
  readonly options: SessionOptions;

  /**
   * @param arch The architecture.
   * @param provider The model's provider, resolved before a part first runs.
   */
  constructor(readonly arch: Architecture, readonly provider: ProviderResolver) {
    this.runtime = provider.ctx.runtime;
    this.options = provider.ctx.session;
  }

  /**
   * Checks the inputs of a part (images in [0, 1], or finite codes for the decoder),
   * resolves the provider, and runs the part.
   *
   * @param part The part.
   * @param params The current weights.
   * @param x The inputs.
   * @param method The verb errors use, e.g. `"encode"`.
   * @param outputs The graph's outputs to read (default `output`).
   * @returns The outputs, row-major, in the order asked for.
   * @throws {AutoencoderError} If the data is not a whole number of such samples.
   */
  async infer(
    part: Part,
    params: ReadonlyMap<string, Float32Array>,
    x: Float32Array | ImageBatch,
    method: string,
    outputs: readonly string[] = ["output"],
  ): Promise<Float32Array[]> {
    const codes = part === "decoder";
    const shape = codes ? codeShape(this.arch) : this.arch.inputShape;
    const samples = samplesOf(x, shape, method, !codes && unitRangeOf(this.arch));
    await this.provider.resolve();
    return await this.run(part, params, samples, outputs);
  }

  /**
   * Runs a part on samples.
   *
   * @param part The part.
   * @param params The current weights.
   * @param samples Inputs of the part (checked).
   * @param outputs The graph's outputs to read: `output`, or what the code's layer
   * publishes (`mean`, `log_var`: the code's shape).
   * @returns The outputs, row-major, in the order asked for.
   */
  async run(
    part: Part,
    params: ReadonlyMap<string, Float32Array>,
    samples: Samples,
    outputs: readonly string[] = ["output"],
  ): Promise<Float32Array[]> {
    const opened = await this.#current(part, params);
    try {
      return await this.#runOn(opened, part, params, samples, outputs);
    } finally {
      if (--opened.running === 0 && opened.retired) await opened.session.release();
    }
  }

  async #runOn(
    { session, params: inputs }: Opened,
    part: Part,
    params: ReadonlyMap<string, Float32Array>,
    samples: Samples,
    outputs: readonly string[],
  ): Promise<Float32Array[]> {
    const { runtime } = this;
    const inShape = part === "decoder" ? codeShape(this.arch) : this.arch.inputShape;
    const outShape = part === "encoder" ? codeShape(this.arch) : this.arch.inputShape;
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    const inSize = size(inShape);
    const outSizes = outputs.map((o) => size(o === "output" ? outShape : codeShape(this.arch)));
    const shapes = new Map(paramSpecs(this.arch).map((p) => [p.name, p.shape]));
    const feeds: Record<string, RuntimeTensor> = {};
    for (const name of inputs) feeds[name] = runtime.tensor(params.get(name)!, shapes.get(name)!);
    const call = async (first: number, n: number) => {
      feeds.input = runtime.tensor(samples.data.subarray(first * inSize, (first + n) * inSize), [
        n,
        ...inShape,
      ]);
      const out = await session.run(feeds, outputs);
      const read: Float32Array[] = [];
      for (const name of outputs) read.push(await runtime.read(out[name]));
      return read;
    };
    // One call: the runtime's own arrays (fresh ones, copied off the session), not a copy of them.
    if (samples.count <= CHUNK) return await call(0, samples.count);
    const results = outSizes.map((s) => new Float32Array(samples.count * s));
    for (let first = 0; first < samples.count; first += CHUNK) {
      const read = await call(first, Math.min(CHUNK, samples.count - first));
      read.forEach((r, i) => results[i].set(r, first * outSizes[i]));
    }
    return results;
  }

  /**
   * The part's session for `params`, counted as running: the open one, unless the
   * weights baked into it differ from `params`; then it is retired (released once
   * its runs end) and the part opened again.
   */
  async #current(part: Part, params: ReadonlyMap<string, Float32Array>): Promise<Opened> {
    const open = this.#sessions.get(part) ?? this.#open(part, params);
    const opened = await open;
    if (!opened.baked || sameWeights(opened.baked, params)) {
      opened.running++;
      return opened;
    }
    if (this.#sessions.get(part) === open) {
      this.#sessions.delete(part);
      opened.retired = true;
      if (opened.running === 0) await opened.session.release();
    }
    return await this.#current(part, params);
  }

  #open(part: Part, params: ReadonlyMap<string, Float32Array>): Promise<Opened> {
    const provider = loweringFor(this.options.provider);
    let graph = buildInference(this.arch, part).graph;
    // The part's own parameters: runtimes differ on extra inputs (ORT-web rejects them).
    let inputs = graph.inputs.map((v) => (v.source as { name: string }).name)
      .filter((name) => name !== "input");
    let baked: Map<string, Float32Array> | undefined;
    if (provider === "cpu" && graph.nodes.some((n) => n.op === "Conv")) {
      baked = new Map(inputs.map((name) => [name, params.get(name)!.slice()]));
      graph = buildInference(this.arch, part, baked).graph;
      inputs = [];
    }
    const opened = this.runtime.createSession(
      encodeModel(graph, { name: part, provider }),
      this.options,
    ).then(
      (session): Opened => ({ session, params: inputs, baked, running: 0, retired: false }),
      (e) => {
        this.#sessions.delete(part); // a failed open is tried again next time
        throw e;
      },
    );
    this.#sessions.set(part, opened);
    return opened;
  }

  /** Frees every session. */
  async dispose(): Promise<void> {
    const opened = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of await Promise.allSettled(opened)) {
      if (s.status === "fulfilled") await s.value.session.release();
    }
  }
}

/** Whether `params` hold bit for bit the weights in `baked`. */
function sameWeights(
  baked: ReadonlyMap<string, Float32Array>,
  params: ReadonlyMap<string, Float32Array>,
): boolean {
  for (const [name, kept] of baked) {
    const now = params.get(name);
    if (!now || now.length !== kept.length) return false;
    const a = new Int32Array(kept.buffer, kept.byteOffset, kept.length);
    const b = new Int32Array(now.buffer, now.byteOffset, now.length);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  }
  return true;
}
