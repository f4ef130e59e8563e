/// <reference lib="dom" />
/**
 * The models the page reconstructs with: the five pretrained ones (from `models/`)
 * and the one trained in the page. Sessions open when a model is first used.
 *
 * @module
 */

import {
  corruptAll,
  gaussianNoise,
  type Provider,
  type Session,
  webRuntime,
} from "../../src/web.ts";

/** Where the pretrained models lie. */
export const MODELS_URL = "models/";

/** The pretrained models: their folder under `models/` and one sample's input shape. */
export const PRETRAINED = [
  { name: "undercomplete", input: [784] },
  { name: "sparse", input: [784] },
  { name: "deep", input: [784] },
  { name: "conv", input: [1, 28, 28] },
  { name: "denoising", input: [1, 28, 28] },
] as const;

/** One sample's input shape, by the kinds the page trains. */
export const INPUT_SHAPES: Record<string, readonly number[]> = {
  undercomplete: [784],
  conv: [1, 28, 28],
};

const fetched = new Map<string, Promise<Uint8Array>>();

/** A file's bytes (fetched once), or an error naming it. */
export function fetchBytes(path: string): Promise<Uint8Array> {
  let bytes = fetched.get(path);
  if (!bytes) {
    bytes = fetch(path).then(async (response) => {
      if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
      return new Uint8Array(await response.arrayBuffer());
    });
    fetched.set(path, bytes);
    bytes.catch(() => fetched.delete(path));
  }
  return bytes;
}

/** Starts fetching the pretrained models' files (their sessions still open on first use). */
export function prefetchPretrained(): void {
  for (const { name } of PRETRAINED) {
    for (const part of ["encoder", "decoder"]) {
      fetchBytes(`${MODELS_URL}${name}/${part}.onnx`).catch(() => {}); // reported when used
    }
  }
}

/** What a model makes of a digit. */
export interface Reconstruction {
  code: Float32Array;
  codeDims: number[];
  output: Float32Array;
}

/** A model with an encoder and a decoder, opened on first use. */
export class PageModel {
  #sessions?: Promise<[Session, Session]>;

  /**
   * @param name Its name (a table row's `data-model`).
   * @param input One sample's input shape.
   * @param parts Its encoder's and decoder's bytes, fetched on first use.
   * @param provider The provider its sessions open on.
   */
  constructor(
    readonly name: string,
    readonly input: readonly number[],
    readonly parts: () => Promise<[Uint8Array, Uint8Array]>,
    readonly provider: Provider,
  ) {}

  /** Opens the sessions (once). */
  open(): Promise<[Session, Session]> {
    return this.#sessions ??= (async () => {
      const bytes = await this.parts();
      const options = { provider: this.provider };
      return await Promise.all(bytes.map((b) => webRuntime.createSession(b, options))) as [
        Session,
        Session,
      ];
    })().catch((e) => {
      this.#sessions = undefined;
      throw e;
    });
  }

  /** Encodes then decodes one digit. */
  async reconstruct(x: Float32Array): Promise<Reconstruction> {
    const [encoder, decoder] = await this.open();
    const input = webRuntime.tensor(x, [1, ...this.input]);
    const { output: code } = await encoder.run({ input }, ["output"]);
    const { output } = await decoder.run({ input: code }, ["output"]);
    return {
      code: await webRuntime.read(code),
      codeDims: code.dims.slice(1),
      output: await webRuntime.read(output),
    };
  }

  /** Closes its sessions. */
  async close(): Promise<void> {
    const sessions = await this.#sessions?.catch(() => undefined);
    this.#sessions = undefined;
    await Promise.all(sessions?.map((s) => s.release()) ?? []);
  }
}

/** A pretrained model, its files fetched from `models/<name>/`. */
export function pretrained(name: string, input: readonly number[], provider: Provider): PageModel {
  const part = (p: string) => fetchBytes(`${MODELS_URL}${name}/${p}.onnx`);
  return new PageModel(
    name,
    input,
    () => Promise.all([part("encoder"), part("decoder")]),
    provider,
  );
}

const NOISE = gaussianNoise(0.5);

/** Noise as the denoising model was trained with: clip(x + 0.5 · N(0, 1), 0, 1). */
export function addNoise(x: Float32Array, seed: number): Float32Array {
  return corruptAll(NOISE, x, seed);
}
