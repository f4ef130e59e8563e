/**
 * Which execution provider a model runs on: the one asked for, if the runtime has
 * it here, else a clear error saying how to get it; or, for `"auto"`, the fastest
 * one available. Browser-safe: it asks the runtime, which probes.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import type { Provider, ProviderChoice, ProviderInfo, Runtime } from "./types.ts";

/**
 * Whether a WebGPU adapter or Vulkan driver name is a software renderer
 * (SwiftShader, llvmpipe, lavapipe), which runs on the CPU slower than the CPU provider.
 *
 * @param name An adapter description or a Vulkan ICD file name.
 * @returns `true` for a software renderer.
 *
 * @example
 * ```ts
 * import { isSoftwareRenderer } from "./providers.ts";
 * console.assert(isSoftwareRenderer("/usr/lib/chromium/vk_swiftshader_icd.json"));
 * ```
 */
export function isSoftwareRenderer(name: string): boolean {
  return /swiftshader|lvp|lavapipe|llvmpipe/i.test(name);
}

/** What this JavaScript runtime's own WebGPU says of its adapter. */
export interface WebGpuAdapter {
  /** Its description (else vendor and architecture), when it gives one. */
  device?: string;
  /** Whether it is a software renderer or a fallback adapter. */
  software: boolean;
}

/**
 * Asks `navigator.gpu` (the browser's, or Deno's, which sees the same Vulkan drivers
 * as onnxruntime-node's Dawn) for its high-performance adapter.
 *
 * @returns Its name and whether it is a software one; `undefined` where there is no
 * `navigator.gpu` (Node) or it gives no adapter.
 *
 * @example
 * ```ts ignore
 * import { webGpuAdapter } from "./providers.ts";
 * const adapter = await webGpuAdapter();
 * console.log(adapter?.device ?? "no WebGPU adapter");
 * ```
 */
export async function webGpuAdapter(): Promise<WebGpuAdapter | undefined> {
  type Info = { vendor?: string; architecture?: string; description?: string };
  type Adapter = { info?: Info & { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean };
  const gpu = (globalThis.navigator as {
    gpu?: { requestAdapter(o?: object): Promise<Adapter | null> };
  })?.gpu;
  let adapter: Adapter | null | undefined;
  try {
    adapter = await gpu?.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return undefined;
  }
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  const names = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
  const device = info.description || names;
  return {
    ...(device ? { device } : {}),
    software: adapter.isFallbackAdapter === true || info.isFallbackAdapter === true ||
      isSoftwareRenderer(names),
  };
}

/** The provider a model runs on, and how it was chosen. */
export interface ChosenProvider extends ProviderInfo {
  /** What was asked for. */
  choice: ProviderChoice;
  /** One line for logs: the provider, its device, and what `"auto"` passed over and why. */
  summary: string;
}

/**
 * Resolves a provider choice against what the runtime offers here.
 *
 * `"auto"` takes the first available provider in the runtime's order (fastest
 * first: CUDA, WebGPU, CPU in onnxruntime-node; WebGPU, wasm in onnxruntime-web),
 * passing over a WebGPU adapter that is a software renderer (SwiftShader, llvmpipe):
 * it runs on the CPU, slower than the CPU provider. A provider asked for by name is
 * used if it is available, software or not; nothing falls back silently. `"cpu"`
 * means `"wasm"` on a runtime without a `"cpu"` provider (onnxruntime-web, where
 * WebAssembly is the CPU provider).
 *
 * @param runtime The runtime that will open the sessions.
 * @param choice A provider, or `"auto"`.
 * @returns The provider, with its device and a summary line.
 * @throws {AutoencoderError} If the provider is unknown to the runtime or not available
 * here; the message says how to get it.
 *
 * @example
 * ```ts ignore
 * import { chooseProvider } from "./providers.ts";
 * import { nodeRuntime } from "./node.ts";
 * const chosen = await chooseProvider(nodeRuntime, "auto");
 * console.log(chosen.summary); // e.g. "cpu (auto: cuda not available; ...)"
 * ```
 */
export async function chooseProvider(
  runtime: Runtime,
  choice: ProviderChoice,
): Promise<ChosenProvider> {
  if (choice === "auto") {
    const infos = await runtime.providers();
    const picked = infos.find((p) => p.available && !p.software) ??
      infos.find((p) => p.available);
    if (!picked) {
      throw new AutoencoderError(
        `Cannot pick a provider: ${runtime.name} has none available here: ${
          infos.map((p) => `${p.provider}: ${p.reason}`).join("; ")
        }`,
        { kind: "provider-unavailable" },
      );
    }
    const passed = infos.slice(0, infos.indexOf(picked)).map((p) =>
      p.available
        ? `${p.provider} runs on a software adapter (${
          p.device ?? "unknown"
        }), slower than ${picked.provider}`
        : `${p.provider} is not available`
    );
    return {
      ...picked,
      choice,
      summary: `${describe(picked)}, picked by "auto"${
        passed.length ? ` (${passed.join("; ")})` : ""
      }`,
    };
  }
  // Only the provider asked for is probed: probing others can print native warnings.
  const probe = async (p: Provider) => (await runtime.providers(p)).find((i) => i.provider === p);
  const info = await probe(choice) ?? (choice === "cpu" ? await probe("wasm") : undefined);
  if (!info) {
    const infos = await runtime.providers();
    throw new AutoencoderError(
      `Cannot use provider "${choice}": ${runtime.name} has no such provider; choose one of ${
        ["auto", ...infos.map((p) => p.provider)].map((p) => `"${p}"`).join(", ")
      }`,
      { kind: "provider-unavailable" },
    );
  }
  if (!info.available) {
    throw new AutoencoderError(
      `Cannot use provider "${choice}" of ${runtime.name}: it is not available here; ${info.reason}`,
      { kind: "provider-unavailable" },
    );
  }
  return { ...info, choice, summary: describe(info) };
}

function describe(p: ProviderInfo): string {
  return p.device ? `${p.provider} on ${p.device}${p.software ? " (software)" : ""}` : p.provider;
}
