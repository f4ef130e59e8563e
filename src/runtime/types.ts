/**
 * The one runtime interface the core depends on. Adapters (`node.ts` on
 * `onnxruntime-node`, and a browser one on `onnxruntime-web`) are the only files
 * that import ONNX Runtime.
 *
 * @module
 */

/** Execution providers. */
export type Provider = "cpu" | "cuda" | "webgpu" | "wasm";

/** A tensor owned by the runtime (an `ort.Tensor`); the core treats it as opaque. */
export interface RuntimeTensor {
  /** Shape. */
  readonly dims: readonly number[];
}

/** Options for opening a session. */
export interface SessionOptions {
  /** Execution provider (default `"cpu"`). */
  provider?: Provider;
  /** Intra-op threads (default: ORT's choice, one per physical core). */
  threads?: number;
  /**
   * Let idle intra-op threads spin-wait for work (default true, ORT's default):
   * fastest on an idle machine; `false` is kinder to a busy one.
   */
  spinning?: boolean;
}

/** An open ONNX Runtime session. */
export interface Session {
  /**
   * Runs the model.
   *
   * @param feeds Inputs by name.
   * @param outputs Names of the outputs to compute (default all).
   * @returns Outputs by name.
   */
  run(
    feeds: Record<string, RuntimeTensor>,
    outputs?: readonly string[],
  ): Promise<Record<string, RuntimeTensor>>;
  /** Frees the session. */
  release(): Promise<void>;
}

/** An ONNX Runtime binding. */
export interface Runtime {
  /** e.g. `"onnxruntime-node 1.30.0"`. */
  readonly name: string;
  /**
   * Opens a session on model bytes.
   *
   * @param model ONNX model bytes.
   * @param options Provider and threads.
   * @returns The session.
   */
  createSession(model: Uint8Array, options?: SessionOptions): Promise<Session>;
  /**
   * Wraps host data as a float32 tensor (no copy where the binding allows).
   *
   * @param data Elements.
   * @param dims Shape.
   * @returns The tensor.
   */
  tensor(data: Float32Array, dims: readonly number[]): RuntimeTensor;
  /**
   * Reads a tensor's elements back to the host.
   *
   * @param t The tensor.
   * @returns Its elements (may share memory with `t`).
   */
  read(t: RuntimeTensor): Promise<Float32Array>;
  /**
   * Writes a file atomically (temporary file, then rename), where there is a file system.
   *
   * @param path Destination.
   * @param bytes Content.
   */
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
  /**
   * Reads a file, where there is a file system.
   *
   * @param path Source.
   * @returns Content.
   */
  readFile(path: string): Promise<Uint8Array>;
}
