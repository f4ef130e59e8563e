/**
 * The one ONNX Runtime core: the session wrapper, the mapping of
 * {@link SessionOptions} onto ORT's session options, the memoised provider probes
 * and the resolution of the provider a session opens on (through
 * {@link chooseProvider}, the one place `"auto"` is resolved). The adapters
 * (`node.ts` on `onnxruntime-node`, `web.ts` on `onnxruntime-web`) pass their ORT
 * namespace and supply only what differs, as onnxruntime's own `js/common` serves
 * its `node` and `web` packages. Browser-safe: it imports no ORT package.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { chooseProvider } from "./providers.ts";
import { checkThreads } from "./threads.ts";
import type {
  Provider,
  ProviderInfo,
  Runtime,
  RuntimeTensor,
  Session,
  SessionOptions,
} from "./types.ts";

/** The part of an ORT tensor the core uses (`Tensor` of onnxruntime-common). */
export interface OrtTensor extends RuntimeTensor {
  /** Where the data lies: `"cpu"`, `"gpu-buffer"`, ... */
  readonly location: string;
  /** The elements, when on the host. */
  readonly data: unknown;
  /** Frees the device data. */
  dispose(): void;
}

/** The ORT session options the core sets (`InferenceSession.SessionOptions`). */
export interface OrtSessionOptions {
  /** One execution provider: no silent fallback to another. */
  executionProviders?: string[];
  /** Intra-op threads of this session. */
  intraOpNumThreads?: number;
  /** `"extended"` keeps ORT's NCHWc layout rewrites out. */
  graphOptimizationLevel?: "extended" | "all";
  /** 3: errors only. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Outputs left on the device. */
  preferredOutputLocation?: Record<string, "gpu-buffer">;
  /** Session configuration entries (`extra.session.*`). */
  extra?: { session?: Record<string, unknown> };
}

/** The part of an ORT session the core uses. */
export interface OrtSession {
  /** Runs the model: all outputs. */
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  /** Runs the model: the outputs named. */
  run(feeds: Record<string, OrtTensor>, fetches: readonly string[]): Promise<
    Record<string, OrtTensor>
  >;
  /** Frees the session. */
  release(): Promise<void>;
}

/** The part of an ORT package's namespace the core uses (`import * as ort from ...`). */
export interface Ort {
  /** Opens sessions. */
  InferenceSession: {
    create(model: Uint8Array, options: OrtSessionOptions): Promise<OrtSession>;
  };
  /** Makes tensors. */
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => OrtTensor;
}

/** What an ORT package brings to {@link createRuntime}: only what differs between them. */
export interface RuntimeAdapter {
  /** The runtime's name, e.g. `"onnxruntime-node 1.30.0"`. */
  name: string;
  /** The ORT package's namespace: it makes the tensors, and opens sessions unless {@link RuntimeAdapter.load} is given. */
  ort: Ort;
  /**
   * The ORT namespace that opens sessions on `provider`, where an adapter has one
   * build per provider (onnxruntime-web's plain wasm build and its WebGPU one):
   * called once the provider is settled and `sessionOptions` has run. Default: `ort`.
   */
  load?(provider: Provider): Promise<Ort>;
  /** The provider a session opens on when none is asked for. */
  defaultProvider: Provider;
  /** Each provider's probe, fastest first; each runs at most once per process. */
  probes: Partial<Record<Provider, () => Promise<ProviderInfo>>>;
  /** For providers this ORT lacks but a user may ask for: why, and what to use instead. */
  lacks: Partial<Record<Provider, string>>;
  /**
   * The session options this ORT takes beyond the common ones (threads, logging,
   * configuration entries); called once a session's provider is settled.
   */
  sessionOptions(options: SessionOptions): OrtSessionOptions;
  /** What to add to the message when a session on `provider` does not open (`""`: nothing). */
  openHint(detail: string, provider: Provider): string;
  /** Copies a tensor kept on the GPU to the host. */
  download(tensor: OrtTensor): Promise<Float32Array>;
  /** {@link Runtime.writeFile}. */
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
  /** {@link Runtime.readFile}. */
  readFile(path: string): Promise<Uint8Array>;
}

/** An error's message, whatever was thrown. */
function detail(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

class OrtRuntimeSession implements Session {
  /** The last run asked for: runs of a session go one after another (ORT-web refuses
   * a run while another is in progress: "Session already started"). */
  #last: Promise<unknown> = Promise.resolve();

  constructor(readonly session: OrtSession, readonly onDevice: boolean) {}

  run(
    feeds: Record<string, RuntimeTensor>,
    outputs?: readonly string[],
  ): Promise<Record<string, OrtTensor>> {
    const run = this.#last.then(() => this.#run(feeds, outputs));
    this.#last = run.catch(() => {});
    return run;
  }

  async #run(feeds: Record<string, RuntimeTensor>, outputs?: readonly string[]) {
    const inputs = feeds as Record<string, OrtTensor>;
    try {
      return await (outputs ? this.session.run(inputs, outputs) : this.session.run(inputs));
    } catch (cause) {
      throw new AutoencoderError(
        `Cannot run ONNX model: ONNX Runtime failed: ${detail(cause)}`,
        { cause },
      );
    }
  }

  release() {
    return this.session.release();
  }
}

/**
 * ORT's session options for a session on `provider`: the adapter's own, then the
 * common ones (one provider, the optimisation level, outputs left on the device,
 * no CPU fallback).
 */
function ortOptions(
  provider: Provider,
  options: SessionOptions,
  own: OrtSessionOptions,
): { ortOptions: OrtSessionOptions; onDevice: boolean } {
  // Only WebGPU keeps outputs on the device: onnxruntime-node returns CUDA outputs on the host.
  const onDevice = provider === "webgpu" && (options.deviceOutputs?.length ?? 0) > 0;
  return {
    onDevice,
    ortOptions: {
      ...own,
      executionProviders: [provider],
      graphOptimizationLevel: options.layoutTransforms === false ? "extended" : "all",
      ...(onDevice
        ? {
          preferredOutputLocation: Object.fromEntries(
            options.deviceOutputs!.map((name) => [name, "gpu-buffer" as const]),
          ),
        }
        : {}),
      extra: {
        session: {
          ...own.extra?.session,
          ...(options.noCpuFallback ? { disable_cpu_ep_fallback: "1" } : {}),
        },
      },
    },
  };
}

/**
 * Makes a {@link Runtime} from an ORT package and what is particular to it.
 *
 * A session opens on the provider asked for (the adapter's default if none;
 * `"auto"`: the fastest available, by {@link chooseProvider}) only once that
 * provider's probe says it works here; otherwise the error says how to get it.
 *
 * @param adapter The ORT namespace and what differs: probes, options, downloads, files.
 * @returns The runtime.
 *
 * @example
 * ```ts ignore
 * import * as ort from "onnxruntime-web";
 * import { createRuntime } from "./core.ts";
 * const runtime = createRuntime({
 *   name: "onnxruntime-web",
 *   ort,
 *   defaultProvider: "wasm",
 *   probes: { wasm: () => Promise.resolve({ provider: "wasm", available: true }) },
 *   lacks: {},
 *   sessionOptions: () => ({ logSeverityLevel: 3 }),
 *   openHint: () => "",
 *   download: () => Promise.reject(new Error("no GPU")),
 *   writeFile: () => Promise.reject(new Error("no files")),
 *   readFile: () => Promise.reject(new Error("no files")),
 * });
 * ```
 */
export function createRuntime(adapter: RuntimeAdapter): Runtime {
  const { ort } = adapter;
  const probed = new Map<Provider, Promise<ProviderInfo>>();
  const runtime: Runtime = {
    name: adapter.name,
    createSession: (model: Uint8Array, options: SessionOptions = {}): Promise<Session> =>
      openSession(adapter, runtime, model, options),

    tensor(data: Float32Array, dims: readonly number[]): RuntimeTensor {
      return new ort.Tensor("float32", data, dims);
    },

    async read(t: RuntimeTensor): Promise<Float32Array> {
      const tensor = t as OrtTensor;
      if (tensor.location !== "gpu-buffer") return tensor.data as Float32Array;
      try {
        return await adapter.download(tensor);
      } catch (cause) {
        throw new AutoencoderError(
          `Cannot read a tensor back from the GPU: ONNX Runtime failed: ${detail(cause)}`,
          { cause },
        );
      }
    },

    dispose(t: RuntimeTensor): void {
      const tensor = t as OrtTensor;
      if (tensor.location === "gpu-buffer") tensor.dispose();
    },

    providers(only?: Provider): Promise<ProviderInfo[]> {
      const names = (Object.keys(adapter.probes) as Provider[])
        .filter((p) => only === undefined || p === only);
      return Promise.all(names.map((p) => probeOnce(adapter, probed, p)));
    },

    writeFile: (path, bytes) => adapter.writeFile(path, bytes),
    readFile: (path) => adapter.readFile(path),
  };
  return runtime;
}

/**
 * {@link Runtime.createSession}: settles the provider (through `runtime`'s probes),
 * then opens the session; an error says why the provider or the model failed.
 */
async function openSession(
  adapter: RuntimeAdapter,
  runtime: Runtime,
  model: Uint8Array,
  options: SessionOptions,
): Promise<Session> {
  checkThreads(options.threads, "open ONNX Runtime session");
  const requested = options.provider ?? adapter.defaultProvider;
  const lacks = adapter.lacks[requested as Provider];
  if (lacks !== undefined) {
    throw new AutoencoderError(
      `Cannot open ONNX Runtime session on provider "${requested}": ${lacks}`,
      { kind: "provider-unavailable" },
    );
  }
  const { provider } = await chooseProvider(runtime, requested);
  const { ortOptions: settings, onDevice } = ortOptions(
    provider,
    options,
    adapter.sessionOptions(options),
  );
  try {
    const ort = adapter.load ? await adapter.load(provider) : adapter.ort;
    return new OrtRuntimeSession(await ort.InferenceSession.create(model, settings), onDevice);
  } catch (cause) {
    const message = detail(cause);
    throw new AutoencoderError(
      `Cannot open ONNX Runtime session on provider "${provider}"${
        adapter.openHint(message, provider)
      }: ${message}`,
      { cause },
    );
  }
}

/** Runs `provider`'s probe once and remembers its answer; a probe that throws is asked again next time. */
function probeOnce(
  adapter: RuntimeAdapter,
  probed: Map<Provider, Promise<ProviderInfo>>,
  provider: Provider,
): Promise<ProviderInfo> {
  let info = probed.get(provider);
  if (!info) {
    info = adapter.probes[provider]!().catch((e) => {
      probed.delete(provider);
      throw e;
    });
    probed.set(provider, info);
  }
  return info;
}
