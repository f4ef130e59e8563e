/**
 * The `onnxruntime-node` adapter, used unchanged from Deno (`npm:` specifier,
 * `--allow-ffi` for the native addon) and from Node: what differs from
 * onnxruntime-web (the probes of CUDA and WebGPU, threads and spinning per session,
 * the Identity-session download of GPU tensors, files); the rest is `core.ts`.
 *
 * @module
 */

import * as ort from "onnxruntime-node";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import process from "node:process";
import { AutoencoderError, printable, quote } from "../errors.ts";
import { Builder } from "../ops/builder.ts";
import { encodeModel } from "../onnx/model.ts";
import { writeFileAtomic } from "./files.ts";
import { createRuntime } from "./core.ts";
import { isSoftwareRenderer, webGpuAdapter } from "./providers.ts";
import type { Provider, ProviderInfo, Runtime } from "./types.ts";

/** How to get the CUDA provider of onnxruntime-node. */
const CUDA_HOWTO =
  "install onnxruntime-node with its CUDA binaries (npm install onnxruntime-node --onnxruntime-node-install=cuda12, or deno install --allow-scripts=npm:onnxruntime-node on a machine that can download them) and a CUDA 12 driver";

/** How to get the WebGPU provider of onnxruntime-node (Dawn on Vulkan, on Linux). */
const WEBGPU_HOWTO =
  "install the GPU's Vulkan driver and the Vulkan loader (Debian: libvulkan1); without a GPU, SwiftShader runs it on the CPU, slower than the CPU provider: set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian's chromium ships it)";

/**
 * The `onnxruntime-node` runtime: providers `"cuda"`, `"webgpu"` (Dawn) and
 * `"cpu"`, the default.
 *
 * @example
 * ```ts ignore
 * import { nodeRuntime } from "./node.ts";
 * const t = nodeRuntime.tensor(new Float32Array(4), [2, 2]);
 * ```
 */
export const nodeRuntime: Runtime = createRuntime({
  name: `onnxruntime-node ${ort.env.versions.node ?? ""}`.trim(),
  ort,
  defaultProvider: "cpu",
  // Fastest first.
  probes: {
    cuda: probeCuda,
    webgpu: probeWebGpu,
    cpu: probeCpu,
  },
  lacks: {
    wasm:
      'onnxruntime-node has none; use provider "cpu" (native code), or onnxruntime-web\'s runtime (webRuntime from "@autoencoders/onnx/web")',
  },
  sessionOptions: (options) => ({
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    extra: {
      session: { intra_op: { allow_spinning: options.spinning === false ? "0" : "1" } },
    },
  }),
  openHint: () => "",
  // onnxruntime-node cannot download a GPU tensor (its getData aborts the process): an
  // Identity session on the same device copies it to the host instead.
  async download(tensor) {
    const copy = await identitySession(tensor.dims.length);
    const { y } = await copy.run({ x: tensor as ort.Tensor });
    return y.data as Float32Array;
  },
  writeFile: writeFileAtomic, // temporary file, flushed, renamed
  async readFile(path) {
    try {
      return new Uint8Array(await readFile(path));
    } catch (cause) {
      throw new AutoencoderError(
        `Cannot read ${quote(path)}: ${
          printable((cause as Error).message)
        }; check the path and that the file is readable`,
        { cause, kind: "io" },
      );
    }
  },
});

/** A tiny model, y = Identity(x) for any shape of the given rank, that opens on any provider. */
function identityModel(rank: number): Uint8Array {
  const b = new Builder();
  const x = b.graph.input("x", "float32", Array.from({ length: rank }, (_, i) => `d${i}`));
  b.graph.output("y", b.op1("Identity", [x]));
  return encodeModel(b.graph, { name: "identity" });
}

const copies = new Map<number, Promise<ort.InferenceSession>>();

/** The WebGPU Identity session (one per rank, kept for the process) that downloads tensors. */
function identitySession(rank: number): Promise<ort.InferenceSession> {
  let session = copies.get(rank);
  if (!session) {
    session = ort.InferenceSession.create(identityModel(rank), {
      executionProviders: ["webgpu"],
      logSeverityLevel: 3,
    });
    copies.set(rank, session);
  }
  return session;
}

/** Why a session does not open on `provider`, or `undefined` if it opens. */
async function opens(provider: Provider): Promise<string | undefined> {
  try {
    const session = await ort.InferenceSession.create(identityModel(1), {
      executionProviders: [provider],
      logSeverityLevel: 3,
      extra: { session: { disable_cpu_ep_fallback: "1" } },
    });
    await session.release();
    return undefined;
  } catch (cause) {
    // ORT's first line, without the source location: "Failed to get a WebGPU adapter: ..."
    return (cause as Error).message.split("\n")[0].replace(/^\S+:\d+ .*? was false\. /, "");
  }
}

/**
 * The CPU, and its blocked-layout block: a `ReorderInput` of 8 channels gives as many
 * channels as one block holds (the op is missing where ORT's CPU has no NCHWc kernels).
 */
async function probeCpu(): Promise<ProviderInfo> {
  const info: ProviderInfo = { provider: "cpu", available: true };
  if (process.arch !== "x64") return info; // MLAS has NCHWc kernels on x86-64 only
  try {
    const b = new Builder();
    b.graph.output("y", b.op1("ReorderInput", [b.graph.input("x", "float32", [1, 8, 1, 1])]));
    const session = await ort.InferenceSession.create(encodeModel(b.graph, { name: "nchwc" }), {
      logSeverityLevel: 3,
    });
    const { y } = await session.run({
      x: new ort.Tensor("float32", new Float32Array(8), [1, 8, 1, 1]),
    });
    await session.release();
    return { ...info, nchwcBlock: y.dims[1] };
  } catch {
    return info;
  }
}

function builtBackends(): Map<string, boolean> {
  return new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
}

async function probeCuda(): Promise<ProviderInfo> {
  const built = builtBackends();
  if (!built.has("cuda")) {
    return {
      provider: "cuda",
      available: false,
      reason:
        `this onnxruntime-node build has no CUDA provider (${process.platform}-${process.arch}); CUDA builds exist for linux-x64 and win32-x64`,
    };
  }
  if (built.get("cuda") === false && cudaLibrary() === false) {
    // Checked before probing: a missing library makes ORT print an error of its own.
    return {
      provider: "cuda",
      available: false,
      reason:
        `this onnxruntime-node has no CUDA binaries (libonnxruntime_providers_cuda); ${CUDA_HOWTO}`,
    };
  }
  const failure = await opens("cuda");
  return failure === undefined
    ? { provider: "cuda", available: true }
    : { provider: "cuda", available: false, reason: `${CUDA_HOWTO}: ${failure}` };
}

async function probeWebGpu(): Promise<ProviderInfo> {
  const failure = builtBackends().has("webgpu")
    ? await opens("webgpu")
    : "this build has no WebGPU provider";
  return failure === undefined
    ? { provider: "webgpu", available: true, ...await webGpuDevice() }
    : { provider: "webgpu", available: false, reason: `${WEBGPU_HOWTO}: ${failure}` };
}

/** Whether the CUDA provider library lies beside the native addon (undefined: cannot tell). */
function cudaLibrary(): boolean | undefined {
  try {
    const main = createRequire(import.meta.url).resolve("onnxruntime-node");
    const dir = join(dirname(main), "..", "bin", "napi-v6", process.platform, process.arch);
    const file = process.platform === "win32"
      ? "onnxruntime_providers_cuda.dll"
      : "libonnxruntime_providers_cuda.so";
    return existsSync(join(dir, file));
  } catch {
    return undefined;
  }
}

/**
 * What is known of the adapter ORT's WebGPU provider uses: Deno's own WebGPU
 * (navigator.gpu) sees the same Vulkan drivers and says whether the adapter is a
 * software one; Node has no navigator.gpu, so there the Vulkan driver named in
 * VK_ICD_FILENAMES (or VK_DRIVER_FILES) tells SwiftShader and lavapipe apart.
 */
async function webGpuDevice(): Promise<Pick<ProviderInfo, "device" | "software">> {
  let icd = "";
  try {
    icd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES ?? "";
  } catch {
    // Deno without --allow-env for them: Deno's WebGPU below still tells.
  }
  const software = isSoftwareRenderer(icd);
  const adapter = await webGpuAdapter();
  if (adapter?.device) return { device: adapter.device, software: software || adapter.software };
  return software ? { device: /swiftshader/i.test(icd) ? "SwiftShader" : icd, software } : {};
}
