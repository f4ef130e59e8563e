/**
 * The `onnxruntime-web` adapter, for the browser: the `"wasm"` provider
 * (WebAssembly on the CPU) and the `"webgpu"` provider. With `src/runtime/node.ts`
 * the only file that imports ONNX Runtime; a browser bundle built from
 * `src/web.ts` never pulls the native addon of `onnxruntime-node`.
 *
 * ORT-web loads its WebAssembly binary (`ort-wasm-simd-threaded.jsep.wasm`) when the
 * first session opens. By default it is looked for next to the module that holds
 * this code (`dist/web/` in the library's browser build, where `deno task build:web`
 * copies it); {@link configureWebRuntime} points elsewhere.
 *
 * @module
 */

import * as ort from "onnxruntime-web";
import { AutoencoderError } from "../errors.ts";
import { chooseProvider, isSoftwareRenderer } from "./providers.ts";
import { checkThreads } from "./threads.ts";
import type {
  Provider,
  ProviderInfo,
  Runtime,
  RuntimeTensor,
  Session,
  SessionOptions,
} from "./types.ts";

/** The WebAssembly binary of the `onnxruntime-web` build this adapter imports (wasm and WebGPU). */
export const ORT_WASM_FILE = "ort-wasm-simd-threaded.jsep.wasm";

/** Options of {@link configureWebRuntime}. */
export interface WebRuntimeOptions {
  /**
   * Where ORT-web's WebAssembly binary lies: the URL of a folder (ending in `/`)
   * holding `ort-wasm-simd-threaded.jsep.wasm`, or of the file itself. Default: the
   * folder of the module holding this code.
   */
  wasmPaths?: string | URL;
  /**
   * WebAssembly threads (`ort.env.wasm.numThreads`; default 1). More than one needs
   * a cross-origin isolated page (COOP and COEP headers).
   */
  numThreads?: number;
}

let initialized = false;

/**
 * Sets where ORT-web finds its WebAssembly binary and how many threads it uses.
 * Call it before the first session opens; ORT-web reads these once.
 *
 * @param options The binary's location and the thread count.
 * @throws {AutoencoderError} If a session has already opened.
 *
 * @example
 * ```ts ignore
 * import { configureWebRuntime } from "@autoencoders/onnx/web";
 * configureWebRuntime({ wasmPaths: "https://example.com/ort/" });
 * ```
 */
export function configureWebRuntime(options: WebRuntimeOptions): void {
  if (initialized) {
    throw new AutoencoderError(
      "Cannot configure onnxruntime-web: a session has already opened and ORT-web reads its settings once; call configureWebRuntime before creating or running any model",
    );
  }
  if (options.wasmPaths !== undefined) {
    let url: URL;
    try {
      url = new URL(options.wasmPaths, globalThis.location?.href);
    } catch (cause) {
      throw new AutoencoderError(
        `Cannot configure onnxruntime-web: wasmPaths "${options.wasmPaths}" is not a URL; pass an absolute URL or one relative to the page`,
        { cause },
      );
    }
    const file = url.pathname.endsWith(".wasm") ? url : new URL(ORT_WASM_FILE, url);
    ort.env.wasm.wasmPaths = { wasm: file.href };
  }
  if (options.numThreads !== undefined) {
    checkThreads(options.numThreads, "configure onnxruntime-web");
    ort.env.wasm.numThreads = options.numThreads;
  }
}

/**
 * Deno and Node load onnxruntime-web's Node build (the `node` export condition): wasm
 * only, its binary found in its own package.
 */
const onServer = typeof (globalThis as { process?: { versions?: { node?: string } } }).process
  ?.versions?.node === "string";

// Defaults: in the browser, the binary beside this module (the file name is that of the
// JSEP build, which `onnxruntime-web` resolves to); one thread (no cross-origin isolation
// needed).
if (!onServer) ort.env.wasm.wasmPaths = { wasm: new URL(ORT_WASM_FILE, import.meta.url).href };
ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

/**
 * Whether this browser offers WebGPU with a usable adapter.
 *
 * @returns `true` when `navigator.gpu` exists and gives an adapter.
 *
 * @example
 * ```ts ignore
 * import { hasWebGpu } from "@autoencoders/onnx/web";
 * const provider = (await hasWebGpu()) ? "webgpu" : "wasm";
 * ```
 */
export async function hasWebGpu(): Promise<boolean> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } })?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

class WebSession implements Session {
  constructor(readonly session: ort.InferenceSession, readonly onDevice: boolean) {}

  async run(feeds: Record<string, RuntimeTensor>, outputs?: readonly string[]) {
    const inputs = feeds as Record<string, ort.Tensor>;
    try {
      return await (outputs ? this.session.run(inputs, outputs) : this.session.run(inputs));
    } catch (cause) {
      throw new AutoencoderError(
        `Cannot run ONNX model: ONNX Runtime failed: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  release() {
    return this.session.release();
  }
}

/** The ORT-web execution provider for a requested provider. */
async function webProvider(provider: string): Promise<"wasm" | "webgpu"> {
  switch (provider) {
    case "cpu":
    case "wasm":
      return "wasm";
    case "webgpu":
      if (!(await hasWebGpu())) {
        throw new AutoencoderError(
          'Cannot open ONNX Runtime session on provider "webgpu": this browser offers no WebGPU adapter (navigator.gpu is missing or gives none); use provider "wasm", or a browser with WebGPU enabled (a secure context: https or localhost)',
        );
      }
      return "webgpu";
    case "auto":
      return (await chooseProvider(webRuntime, "auto")).provider as "wasm" | "webgpu";
    case "cuda":
      throw new AutoencoderError(
        'Cannot open ONNX Runtime session on provider "cuda": the browser has no CUDA; use provider "webgpu" or "wasm" (CUDA needs onnxruntime-node, from Deno or Node)',
      );
    default:
      throw new AutoencoderError(
        `Cannot open ONNX Runtime session on provider "${provider}": onnxruntime-web offers "wasm" and "webgpu"; use one of them`,
      );
  }
}

/**
 * The `onnxruntime-web` runtime: sessions on the `"wasm"` provider (`"cpu"` means
 * the same here) or on `"webgpu"`. There is no file system in the browser:
 * `writeFile` and `readFile` throw; use `toOnnx()` and `loadOnnx()` with bytes you
 * download or fetch.
 *
 * @example
 * ```ts ignore
 * import { webRuntime } from "@autoencoders/onnx/web";
 * const bytes = new Uint8Array(await (await fetch("encoder.onnx")).arrayBuffer());
 * const session = await webRuntime.createSession(bytes, { provider: "wasm" });
 * const input = webRuntime.tensor(new Float32Array(784), [1, 784]);
 * const { output } = await session.run({ input });
 * const code = await webRuntime.read(output); // 32 floats
 * ```
 */
export const webRuntime: Runtime = {
  name: `onnxruntime-web ${ort.env.versions.web ?? ""}`.trim(),

  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    checkThreads(options.threads, "open ONNX Runtime session");
    const requested: string = options.provider ?? "wasm";
    const provider = await webProvider(requested);
    if (!initialized && options.threads !== undefined) {
      configureWebRuntime({ numThreads: options.threads });
    }
    initialized = true;
    const onDevice = provider === "webgpu" && (options.deviceOutputs?.length ?? 0) > 0;
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: options.layoutTransforms === false ? "extended" : "all",
        logSeverityLevel: 3, // errors only: no console warnings about shape ops kept on the CPU
        ...(onDevice
          ? {
            preferredOutputLocation: Object.fromEntries(
              options.deviceOutputs!.map((name) => [name, "gpu-buffer" as const]),
            ),
          }
          : {}),
        ...(options.noCpuFallback ? { extra: { session: { disable_cpu_ep_fallback: "1" } } } : {}),
      });
      return new WebSession(session, onDevice);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      const hint = /fetch|wasm|WebAssembly|import/i.test(detail)
        ? `; check that ${ORT_WASM_FILE} is served where configureWebRuntime's wasmPaths points (${
          JSON.stringify(ort.env.wasm.wasmPaths)
        })`
        : "";
      throw new AutoencoderError(
        `Cannot open ONNX Runtime session on provider "${provider}"${hint}: ${detail}`,
        { cause },
      );
    }
  },

  tensor(data: Float32Array, dims: readonly number[]): RuntimeTensor {
    return new ort.Tensor("float32", data, dims);
  },

  async read(t: RuntimeTensor): Promise<Float32Array> {
    const tensor = t as ort.Tensor;
    // GPU-resident tensors are downloaded; CPU ones are returned as they are.
    return (tensor.location === "cpu" ? tensor.data : await tensor.getData()) as Float32Array;
  },

  dispose(t: RuntimeTensor): void {
    const tensor = t as ort.Tensor;
    if (tensor.location === "gpu-buffer") tensor.dispose();
  },

  async providers(only?: Provider): Promise<ProviderInfo[]> {
    // Probing asks the browser for an adapter, which prints nothing: all at once.
    const infos = await (probed ??= probeProviders());
    return infos.filter((p) => only === undefined || p.provider === only);
  },

  writeFile(path: string): Promise<void> {
    return Promise.reject(
      new AutoencoderError(
        `Cannot write "${path}": the browser has no file system; use \`toOnnx()\` for the model's bytes and offer them as a download (a Blob)`,
      ),
    );
  },

  readFile(path: string): Promise<Uint8Array> {
    return Promise.reject(
      new AutoencoderError(
        `Cannot read "${path}": the browser has no file system; fetch the file and pass its bytes to \`loadOnnx()\``,
      ),
    );
  },
};

let probed: Promise<ProviderInfo[]> | undefined;

/** Fastest first: WebGPU (when the browser has an adapter), wasm. */
async function probeProviders(): Promise<ProviderInfo[]> {
  const wasm: ProviderInfo = { provider: "wasm", available: true };
  if (onServer) {
    const reason =
      "onnxruntime-web's Node build, which Deno and Node load, has no WebGPU; use onnxruntime-node's WebGPU provider (the default runtime of \"@autoencoders/onnx\")";
    return [{ provider: "webgpu", available: false, reason }, wasm];
  }
  type Info = { vendor?: string; architecture?: string; description?: string };
  type Adapter = { info?: Info & { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean };
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(o?: object): Promise<unknown> } })
    ?.gpu;
  let adapter: Adapter | null = null;
  try {
    adapter = (await gpu?.requestAdapter({ powerPreference: "high-performance" })) as Adapter;
  } catch {
    adapter = null;
  }
  if (!adapter) {
    return [{
      provider: "webgpu",
      available: false,
      reason:
        "this browser offers no WebGPU adapter (navigator.gpu is missing or gives none); use a browser with WebGPU enabled, in a secure context (https or localhost)",
    }, wasm];
  }
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true ||
    isSoftwareRenderer(name);
  return [{ provider: "webgpu", available: true, device: name || undefined, software }, wasm];
}
