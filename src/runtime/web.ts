/**
 * The `onnxruntime-web` adapter, for the browser: the `"wasm"` provider
 * (WebAssembly on the CPU) and the `"webgpu"` provider: what differs from
 * onnxruntime-node (its probes, global thread settings, the binary's location,
 * GPU downloads by `getData`, no files); the rest is `core.ts`. With
 * `src/runtime/node.ts` the only file that imports ONNX Runtime; a browser bundle
 * built from `src/web.ts` never pulls the native addon of `onnxruntime-node`.
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
import { createRuntime } from "./core.ts";
import { webGpuAdapter } from "./providers.ts";
import { checkThreads } from "./threads.ts";
import type { ProviderInfo, Runtime } from "./types.ts";

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

/** The thread count ORT-web can use on this page, and why. */
export interface WebThreads {
  /** `navigator.hardwareConcurrency` on a cross-origin isolated page, else 1. */
  threads: number;
  /** Why: isolated with N cores, or what the page's server must send for threads. */
  reason: string;
}

/**
 * How many WebAssembly threads ORT-web can use here: one per core where the page
 * is cross-origin isolated (its server sends `Cross-Origin-Opener-Policy: same-origin`
 * and `Cross-Origin-Embedder-Policy: require-corp`, so `SharedArrayBuffer` exists),
 * else 1, with the reason.
 *
 * @returns The count and the reason, to pass to {@link configureWebRuntime} and to show.
 *
 * @example
 * ```ts ignore
 * import { configureWebRuntime, webThreads } from "@autoencoders/onnx/web";
 * const { threads, reason } = webThreads();
 * configureWebRuntime({ numThreads: threads });
 * console.log(`${threads} thread(s): ${reason}`);
 * ```
 */
export function webThreads(): WebThreads {
  const cores = globalThis.navigator?.hardwareConcurrency;
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    return {
      threads: 1,
      reason:
        "the page is not cross-origin isolated, so WebAssembly threads are off; its server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp",
    };
  }
  const threads = Number.isInteger(cores) && cores! > 0 ? cores! : 1;
  return { threads, reason: `cross-origin isolated: one thread per core (${cores ?? "unknown"})` };
}

/**
 * The WebAssembly threads ORT-web runs with in this JavaScript context (page or
 * worker): once a session has opened, what ORT-web really uses (it falls back to 1,
 * with a console warning, where threads cannot work: no cross-origin isolation).
 *
 * @returns `ort.env.wasm.numThreads`.
 *
 * @example
 * ```ts ignore
 * import { ortWebThreads } from "@autoencoders/onnx/web";
 * console.log(`ORT-web runs ${ortWebThreads()} thread(s)`);
 * ```
 */
export function ortWebThreads(): number {
  return ort.env.wasm.numThreads ?? 1;
}

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
      { kind: "bad-input" },
    );
  }
  if (options.wasmPaths !== undefined) {
    let url: URL;
    try {
      url = new URL(options.wasmPaths, globalThis.location?.href);
    } catch (cause) {
      throw new AutoencoderError(
        `Cannot configure onnxruntime-web: wasmPaths "${options.wasmPaths}" is not a URL; pass an absolute URL or one relative to the page`,
        { cause, kind: "bad-input" },
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
 * Whether {@link webRuntime} opens WebGPU sessions here: in a browser whose
 * `navigator.gpu` gives an adapter (software ones included); never in Deno or Node,
 * where onnxruntime-web loads its Node build, which has no WebGPU. To pick a provider,
 * give models `provider: "auto"` instead: it passes over software adapters
 * (SwiftShader), which are slower than wasm.
 *
 * @returns `true` when provider `"webgpu"` is available to {@link webRuntime}.
 *
 * @example
 * ```ts ignore
 * import { hasWebGpu } from "@autoencoders/onnx/web";
 * console.log((await hasWebGpu()) ? "WebGPU" : "no WebGPU"); // models: provider "auto" chooses
 * ```
 */
export async function hasWebGpu(): Promise<boolean> {
  return (await webRuntime.providers("webgpu"))[0].available;
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
export const webRuntime: Runtime = createRuntime({
  name: `onnxruntime-web ${ort.env.versions.web ?? ""}`.trim(),
  ort,
  defaultProvider: "wasm",
  probes: {
    webgpu: probeWebGpu,
    wasm: () => Promise.resolve({ provider: "wasm", available: true }),
  },
  lacks: {
    cuda:
      'the browser has no CUDA; use provider "webgpu" or "wasm" (CUDA needs onnxruntime-node, from Deno or Node)',
  },
  sessionOptions(options) {
    // ORT-web's threads are global, read when the first session opens.
    if (!initialized && options.threads !== undefined) {
      configureWebRuntime({ numThreads: options.threads });
    }
    initialized = true;
    return {
      logSeverityLevel: 3, // errors only: no console warnings about shape ops kept on the CPU
      // Idle WebAssembly threads spin-wait unless told not to (ORT-web's default).
      ...(options.spinning === false
        ? { extra: { session: { intra_op: { allow_spinning: "0" } } } }
        : {}),
    };
  },
  openHint: (detail) =>
    /fetch|wasm|WebAssembly|import/i.test(detail)
      ? `; check that ${ORT_WASM_FILE} is served where configureWebRuntime's wasmPaths points (${
        JSON.stringify(ort.env.wasm.wasmPaths)
      })`
      : "",
  download: async (tensor) => await (tensor as ort.Tensor).getData() as Float32Array,
  writeFile(path) {
    return Promise.reject(
      new AutoencoderError(
        `Cannot write "${path}": the browser has no file system; use \`toOnnx()\` for the model's bytes and offer them as a download (a Blob)`,
        { kind: "io" },
      ),
    );
  },
  readFile(path) {
    return Promise.reject(
      new AutoencoderError(
        `Cannot read "${path}": the browser has no file system; fetch the file and pass its bytes to \`loadOnnx()\``,
        { kind: "io" },
      ),
    );
  },
});

/** WebGPU: available when the browser gives an adapter; never in onnxruntime-web's Node build. */
async function probeWebGpu(): Promise<ProviderInfo> {
  if (onServer) {
    const reason =
      "onnxruntime-web's Node build, which Deno and Node load, has no WebGPU; use onnxruntime-node's WebGPU provider (the default runtime of \"@autoencoders/onnx\")";
    return { provider: "webgpu", available: false, reason };
  }
  const adapter = await webGpuAdapter();
  return adapter ? { provider: "webgpu", available: true, ...adapter } : {
    provider: "webgpu",
    available: false,
    reason:
      'this browser offers no WebGPU adapter (navigator.gpu is missing or gives none); use provider "wasm", or a browser with WebGPU enabled, in a secure context (https or localhost)',
  };
}
