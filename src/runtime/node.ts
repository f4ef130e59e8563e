/**
 * The `onnxruntime-node` adapter, used unchanged from Deno (`npm:` specifier,
 * `--allow-ffi` for the native addon) and from Node.
 *
 * @module
 */

import * as ort from "onnxruntime-node";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { AutoencoderError } from "../errors.ts";
import type { Runtime, RuntimeTensor, Session, SessionOptions } from "./types.ts";

class NodeSession implements Session {
  constructor(readonly session: ort.InferenceSession) {}

  async run(feeds: Record<string, RuntimeTensor>, outputs?: readonly string[]) {
    try {
      return await (outputs
        ? this.session.run(feeds as Record<string, ort.Tensor>, outputs)
        : this.session.run(feeds as Record<string, ort.Tensor>));
    } catch (cause) {
      throw new AutoencoderError(
        `Cannot run ONNX model: ONNX Runtime failed: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  release() {
    return this.session.release();
  }
}

/**
 * The `onnxruntime-node` runtime.
 *
 * @example
 * ```ts ignore
 * import { nodeRuntime } from "./node.ts";
 * const t = nodeRuntime.tensor(new Float32Array(4), [2, 2]);
 * ```
 */
export const nodeRuntime: Runtime = {
  name: `onnxruntime-node ${ort.env.versions.node ?? ""}`.trim(),

  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const provider = options.provider ?? "cpu";
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
        graphOptimizationLevel: "all",
        extra: {
          session: { intra_op: { allow_spinning: options.spinning === false ? "0" : "1" } },
        },
      });
      return new NodeSession(session);
    } catch (cause) {
      throw new AutoencoderError(
        `Cannot open ONNX Runtime session on provider "${provider}": ${(cause as Error).message}`,
        { cause },
      );
    }
  },

  tensor(data: Float32Array, dims: readonly number[]): RuntimeTensor {
    return new ort.Tensor("float32", data, dims);
  },

  read(t: RuntimeTensor): Promise<Float32Array> {
    return Promise.resolve((t as ort.Tensor).data as Float32Array);
  },

  async writeFile(path: string, bytes: Uint8Array): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (cause) {
      await rm(tmp, { force: true });
      throw new AutoencoderError(`Cannot write "${path}": ${(cause as Error).message}`, { cause });
    }
  },

  async readFile(path: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(path));
    } catch (cause) {
      throw new AutoencoderError(`Cannot read "${path}": ${(cause as Error).message}`, { cause });
    }
  },
};
