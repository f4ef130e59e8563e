/**
 * The one runtime interface the core depends on. `core.ts` implements it once
 * over any ORT package; the adapters (`node.ts` on `onnxruntime-node`, `web.ts` on
 * `onnxruntime-web`) are the only files that import ONNX Runtime.
 *
 * @module
 */

/** Execution providers. */
export type Provider = "cpu" | "cuda" | "webgpu" | "wasm";

/** Every execution provider the library knows, in the order `"auto"` prefers them. */
export const PROVIDERS: readonly Provider[] = ["cuda", "webgpu", "cpu", "wasm"];

/** A provider to use, or `"auto"`: the fastest one available here. */
export type ProviderChoice = Provider | "auto";

/** What a runtime found out about one of its execution providers on this machine. */
export interface ProviderInfo {
  /** The provider. */
  provider: Provider;
  /** Whether sessions open on it here. */
  available: boolean;
  /** The device, when known, e.g. `"SwiftShader Device (Subzero)"`. */
  device?: string;
  /**
   * The device is a software renderer on the CPU (SwiftShader, llvmpipe): it works,
   * but slower than the CPU provider, so `"auto"` passes it over.
   */
  software?: boolean;
  /** When it is not available: why, and how to get it. */
  reason?: string;
  /**
   * The channel block of the CPU's blocked-layout (NCHWc) convolutions, where the
   * runtime has them (onnxruntime-node on x86-64: 8, or 16 with AVX-512), as a
   * one-node session found it. The training graphs' convolutions use it.
   */
  nchwcBlock?: number;
}

/** A tensor owned by the runtime (an `ort.Tensor`); the core treats it as opaque. */
export interface RuntimeTensor {
  /** Shape. */
  readonly dims: readonly number[];
}

/** Options for opening a session. */
export interface SessionOptions {
  /**
   * Execution provider (default: the runtime's own, `"cpu"` in onnxruntime-node,
   * `"wasm"` in onnxruntime-web), or `"auto"`: the fastest available here. A session
   * opens only on a provider whose probe says it works here.
   */
  provider?: ProviderChoice;
  /**
   * Intra-op threads, 1 to 4 per core: more is an error (default: ORT's choice, one
   * per physical core).
   */
  threads?: number;
  /**
   * Let idle intra-op threads spin-wait for work (default true, ORT's default):
   * fastest on an idle machine; `false` is kinder to a busy one.
   */
  spinning?: boolean;
  /**
   * Outputs to leave on the device (WebGPU: `preferredOutputLocation: "gpu-buffer"`),
   * to be fed back as inputs without a round trip through the host. Providers that
   * compute on the host ignore it; {@link Session.onDevice} says which it is.
   */
  deviceOutputs?: readonly string[];
  /**
   * Fail to open the session if any node would run on ORT's CPU provider instead of
   * the one asked for (ORT's `session.disable_cpu_ep_fallback`); by default such
   * nodes run on the CPU, with copies to and from the device around them.
   */
  noCpuFallback?: boolean;
  /**
   * Let ORT rewrite convolutions and pooling into its blocked NCHWc layout (graph
   * optimization level `all`; `false` stops at `extended`). Default true: it speeds up
   * convolutions whose weights are constants (inference). Graphs that take the weights
   * as inputs (train and eval steps) keep plain convolutions anyway and only pay for
   * the reorders around pooling, so they turn it off (5% faster on the denoising step).
   */
  layoutTransforms?: boolean;
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
  /** Whether the outputs named in `deviceOutputs` stay on the device. */
  readonly onDevice: boolean;
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
   * Reads a tensor's elements back to the host (downloading it from the device if it
   * is there).
   *
   * @param t The tensor.
   * @returns Its elements (may share memory with `t`).
   */
  read(t: RuntimeTensor): Promise<Float32Array>;
  /**
   * Frees a tensor left on the device by a session; does nothing to a host tensor.
   *
   * @param t The tensor; it must not be used afterwards if it was on the device.
   */
  dispose(t: RuntimeTensor): void;
  /**
   * The execution providers of this runtime, fastest first, and whether each
   * works here (probed once per process: a tiny session on each).
   *
   * @param only Probe just this provider (probing another can print native warnings,
   * such as Vulkan's when there is no GPU).
   * @returns One entry per provider the runtime knows; with `only`, that provider's
   * entry alone, or none if the runtime has no such provider.
   */
  providers(only?: Provider): Promise<ProviderInfo[]>;
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
