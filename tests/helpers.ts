/**
 * Shared test fixtures: where the MNIST files are, loaded once per test process.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { loadMnist, type MnistData } from "../src/data/mnist.ts";

/** The MNIST directory: `AUTOENCODERS_DATA_DIR`, else the shared copy beside the checkout. */
export const DATA_DIR = Deno.env.get("AUTOENCODERS_DATA_DIR") ||
  fileURLToPath(new URL("../../shared/data/mnist", import.meta.url));

let mnist: Promise<MnistData> | undefined;

/** MNIST, loaded on first use. */
export function mnistData(): Promise<MnistData> {
  return mnist ??= loadMnist({ dir: DATA_DIR });
}

/** Debian's Chromium, which the browser tests drive. */
export const CHROMIUM = "/usr/bin/chromium";

/** Headless, no network chatter, WebGPU on SwiftShader (Vulkan on the CPU, shipped with chromium). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless=new",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=swiftshader",
  "--use-vulkan=swiftshader",
  "--enable-features=Vulkan",
  "--disable-vulkan-surface",
];
