/**
 * The inference-session cache of a model: one session per part (encoder, decoder,
 * autoencoder), opened on first use with the graph's weights as inputs, so that a
 * session serves every later weight value without being rebuilt.
 *
 * @module
 */

import { loweringFor } from "./lower/lower.ts";
import { type Architecture, buildInference, paramSpecs, type Part } from "./nn/architecture.ts";
import { encodeModel } from "./onnx/model.ts";
import type { Runtime, RuntimeTensor, Session, SessionOptions } from "./runtime/types.ts";
import type { Samples } from "../training/fit.ts";

/** Samples run per session call. */
const CHUNK = 1000;

/** A model's inference sessions, one per part. */
export class InferenceSessions {
  #sessions = new Map<Part, Promise<{ session: Session; params: string[] }>>();

  /**
   * @param arch The architecture.
   * @param runtime The runtime.
   * @param options Provider and threads (read when a session opens).
   */
  constructor(
    readonly arch: Architecture,
    readonly runtime: Runtime,
    readonly options: SessionOptions,
  ) {}

  /**
   * Runs a part on samples.
   *
   * @param part The part.
   * @param params The current weights.
   * @param samples Inputs of the part (images, or codes for the decoder).
   * @param inShape Shape of one input.
   * @param outShape Shape of one output.
   * @returns The outputs, row-major.
   */
  async run(
    part: Part,
    params: ReadonlyMap<string, Float32Array>,
    samples: Samples,
    inShape: readonly number[],
    outShape: readonly number[],
  ): Promise<Float32Array> {
    const { runtime } = this;
    const { session, params: inputs } = await this.#open(part);
    const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
    const inSize = size(inShape), outSize = size(outShape);
    const result = new Float32Array(samples.count * outSize);
    const shapes = new Map(paramSpecs(this.arch).map((p) => [p.name, p.shape]));
    const feeds: Record<string, RuntimeTensor> = {};
    for (const name of inputs) feeds[name] = runtime.tensor(params.get(name)!, shapes.get(name)!);
    for (let first = 0; first < samples.count; first += CHUNK) {
      const n = Math.min(CHUNK, samples.count - first);
      const data = samples.data.subarray(first * inSize, (first + n) * inSize);
      feeds.input = runtime.tensor(data, [n, ...inShape]);
      const out = await session.run(feeds, ["output"]);
      result.set(await runtime.read(out.output), first * outSize);
    }
    return result;
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
