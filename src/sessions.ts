/**
 * The inference-session cache of a model: one session per part (encoder, decoder,
 * autoencoder), opened on first use with the graph's weights as inputs, so that a
 * session serves every later weight value without being rebuilt.
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

/** A model's inference sessions, one per part. */
export class InferenceSessions {
  #sessions = new Map<Part, Promise<{ session: Session; params: string[] }>>();
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
    const { runtime } = this;
    const inShape = part === "decoder" ? codeShape(this.arch) : this.arch.inputShape;
    const outShape = part === "encoder" ? codeShape(this.arch) : this.arch.inputShape;
    const { session, params: inputs } = await this.#open(part);
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    const inSize = size(inShape);
    const outSizes = outputs.map((o) => size(o === "output" ? outShape : codeShape(this.arch)));
    const results = outSizes.map((s) => new Float32Array(samples.count * s));
    const shapes = new Map(paramSpecs(this.arch).map((p) => [p.name, p.shape]));
    const feeds: Record<string, RuntimeTensor> = {};
    for (const name of inputs) feeds[name] = runtime.tensor(params.get(name)!, shapes.get(name)!);
    for (let first = 0; first < samples.count; first += CHUNK) {
      const n = Math.min(CHUNK, samples.count - first);
      const data = samples.data.subarray(first * inSize, (first + n) * inSize);
      feeds.input = runtime.tensor(data, [n, ...inShape]);
      const out = await session.run(feeds, outputs);
      for (const [i, name] of outputs.entries()) {
        results[i].set(await runtime.read(out[name]), first * outSizes[i]);
      }
    }
    return results;
  }

  #open(part: Part): Promise<{ session: Session; params: string[] }> {
    let opened = this.#sessions.get(part);
    if (!opened) {
      const graph = buildInference(this.arch, part).graph;
      // The part's own parameters: runtimes differ on extra inputs (ORT-web rejects them).
      const params = graph.inputs.map((v) => (v.source as { name: string }).name)
        .filter((name) => name !== "input");
      const provider = loweringFor(this.options.provider);
      opened = this.runtime.createSession(
        encodeModel(graph, { name: part, provider }),
        this.options,
      )
        .then((session) => ({ session, params }), (e) => {
          this.#sessions.delete(part); // a failed open is tried again next time
          throw e;
        });
      this.#sessions.set(part, opened);
    }
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
