/**
 * The `onnxruntime-web` adapter, for the browser: the `"wasm"` provider
 * (WebAssembly on the CPU) and the `"webgpu"` provider: what differs from
 * onnxruntime-node (its probes, global thread settings, the binaries' location,
 * GPU downloads by `getData`, no files); the rest is `core.ts`. With
 * `src/runtime/node.ts` the only file that imports ONNX Runtime; a browser bundle
 * built from `src/web.ts` never pulls the native addon of `onnxruntime-node`.
 *
 * Two ORT-web builds serve the browser. `"wasm"` sessions open with the plain
 * build (`onnxruntime-web/wasm`, binary `ort-wasm-simd-threaded.wasm`, 14 MB),
 * imported here; `"webgpu"` sessions with the JSEP build (`onnxruntime-web`,
 * binary `ort-wasm-simd-threaded.jsep.wasm`, 28 MB), imported dynamically when the
 * first WebGPU session opens, so a page that trains on wasm never fetches it. The
 * plain build is the faster on wasm: V8 tiers up half the code (bench/NOTES.md,
 * issue 16 parts 5 and 8). Each build loads its binary when its first session
 * opens: by default from the folder of the module that holds this code (`dist/web/`
 * in the library's browser build, where `deno task build:web` copies both);
 * {@link configureWebRuntime} points elsewhere. In Deno and Node, `onnxruntime-web`
 * resolves to its Node build (wasm only, its binary found in its own package),
 * which opens every session.
 *
 * @module
 */

import * as plain from "onnxruntime-web/wasm";
import { AutoencoderError } from "../errors.ts";
import { createRuntime } from "./core.ts";
import { webGpuAdapter } from "./providers.ts";
import { checkThreads } from "./threads.ts";
import type { Provider, ProviderInfo, Runtime } from "./types.ts";

/**
 * The WebAssembly binaries of the two `onnxruntime-web` builds this adapter loads in
 * the browser, by provider: `wasm`, the plain build's (sessions on `"wasm"`);
 * `webgpu`, the JSEP build's (sessions on `"webgpu"`). Serve both from one folder.
 */
export const ORT_WASM_FILES: { readonly wasm: string; readonly webgpu: string } = {
  wasm: "ort-wasm-simd-threaded.wasm",
  webgpu: "ort-wasm-simd-threaded.jsep.wasm",
};

/** Options of {@link configureWebRuntime}. */
export interface WebRuntimeOptions {
  /**
   * Where ORT-web's WebAssembly binaries lie: the URL of a folder (ending in `/`)
   * holding both {@link ORT_WASM_FILES} (`ort-wasm-simd-threaded.wasm` for wasm,
   * `ort-wasm-simd-threaded.jsep.wasm` for WebGPU), or of either file, which means
   * its folder. Default: the folder of the module holding this code.
   */
  wasmPaths?: string | URL;
  /**
   * WebAssembly threads (`ort.env.wasm.numThreads`; default 1). More than one needs
   * a cross-origin isolated page (COOP and COEP headers).
   */
  numThreads?: number;
}

/** One ORT-web build: the plain one and the JSEP one have the same API. */
type OrtWeb = typeof plain;

/** What {@link configureWebRuntime} set: each build gets it when its first session opens. */
const settings: { folder?: URL; numThreads: number } = { numThreads: 1 };

/** The builds loaded so far, by the provider they serve. */
const builds: Partial<Record<"wasm" | "webgpu", Promise<OrtWeb>>> = {};

/** The build whose session opened first in this context (page or worker). */
let first: OrtWeb | undefined;

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
 * worker): once a session has opened, what the ORT-web build of the first session
 * really uses (it falls back to 1, with a console warning, where threads cannot work:
 * no cross-origin isolation); before, what {@link configureWebRuntime} set.
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
  return first ? first.env.wasm.numThreads ?? 1 : settings.numThreads;
}

/**
 * Sets where ORT-web finds its WebAssembly binaries and how many threads it uses;
 * both builds (wasm and WebGPU) get these settings.
 * Call it before the first session opens; ORT-web reads these once.
 *
 * @param options The binaries' location and the thread count.
 * @throws {AutoencoderError} If a session has already opened, or `wasmPaths` is not a
 * URL, or names a file other than one of {@link ORT_WASM_FILES}.
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
  const folder = options.wasmPaths === undefined ? undefined : wasmFolder(options.wasmPaths);
  if (options.numThreads !== undefined) {
    checkThreads(options.numThreads, "configure onnxruntime-web");
    settings.numThreads = options.numThreads;
  }
  if (folder) settings.folder = folder;
}

/** The folder `wasmPaths` names: itself, or the folder of one of {@link ORT_WASM_FILES}. */
function wasmFolder(wasmPaths: string | URL): URL {
  let url: URL;
  try {
    url = new URL(wasmPaths, globalThis.location?.href);
  } catch (cause) {
    throw new AutoencoderError(
      `Cannot configure onnxruntime-web: wasmPaths "${wasmPaths}" is not a URL; pass an absolute URL or one relative to the page`,
      { cause, kind: "bad-input" },
    );
  }
  const file = url.pathname.split("/").at(-1)!;
  if (file === "" || !file.includes(".")) {
    return url.pathname.endsWith("/") ? url : new URL(`${url.href}/`);
  }
  if (!Object.values(ORT_WASM_FILES).includes(file)) {
    throw new AutoencoderError(
      `Cannot configure onnxruntime-web: wasmPaths "${wasmPaths}" names the file "${file}", which is neither of ORT-web's binaries (${
        Object.values(ORT_WASM_FILES).join(", ")
      }); pass the URL of the folder that holds both, under these names`,
      { kind: "bad-input" },
    );
  }
  return new URL("./", url);
}

/**
 * Deno and Node load onnxruntime-web's Node build (the `node` export condition of
 * `onnxruntime-web`): wasm only, its binary found in its own package.
 */
const onServer = typeof (globalThis as { process?: { versions?: { node?: string } } }).process
  ?.versions?.node === "string";

/**
 * The ORT-web build that opens sessions on `provider`, loaded and configured on first
 * use: in the browser the plain build for `"wasm"` and the JSEP build (imported
 * here, on demand) for `"webgpu"`; in Deno and Node, the Node build for all.
 */
function loadBuild(provider: Provider): Promise<OrtWeb> {
  const key = provider === "webgpu" && !onServer ? "webgpu" : "wasm";
  builds[key] ??=
    (key === "wasm" && !onServer
      ? Promise.resolve(plain)
      : import("onnxruntime-web") as Promise<OrtWeb>).then((ort) => {
        ort.env.wasm.numThreads = settings.numThreads;
        ort.env.logLevel = "error";
        if (!onServer) {
          const file = new URL(ORT_WASM_FILES[key], settings.folder ?? import.meta.url);
          ort.env.wasm.wasmPaths = { wasm: file.href };
        }
        first ??= ort;
        return ort;
      }, (cause) => {
        delete builds[key]; // a later session tries again (the chunk may be served by then)
        throw cause;
      });
  return builds[key];
}

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
  name: `onnxruntime-web ${plain.env.versions.web ?? ""}`.trim(),
  // Tensors of the plain build: ORT-web's sessions read their fields (type, dims,
  // data, location), never their class, so the JSEP and Node builds take them too.
  ort: plain,
  load: loadBuild,
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
  openHint: (detail, provider) =>
    !onServer && /fetch|wasm|WebAssembly|import/i.test(detail)
      ? `; check that ${ORT_WASM_FILES[provider === "webgpu" ? "webgpu" : "wasm"]}${
        provider === "webgpu"
          ? " (and ORT-web's JSEP chunk, ort.bundle.min-*.js, beside the library)"
          : ""
      } is served where configureWebRuntime's wasmPaths points (${
        settings.folder?.href ?? new URL("./", import.meta.url).href
      })`
      : "",
  download: async (tensor) => await (tensor as plain.Tensor).getData() as Float32Array,
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
