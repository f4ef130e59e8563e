/**
 * What drives the page in a real browser, shared by `measure.ts` and the browser
 * tests: Debian's Chromium (headless, WebGPU on SwiftShader), playwright-core, and
 * the browser build.
 *
 * @module
 */

import type { Browser } from "playwright-core";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Headless, no network chatter, WebGPU on SwiftShader (Vulkan on the CPU, shipped with chromium). */
export const CHROMIUM_ARGS: string[] = [
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

/**
 * Starts headless Chromium through playwright-core, imported here: on import it
 * probes /proc/sys/fs/binfmt_misc/WSLInterop (is this WSL?), which Deno lets only
 * --allow-all read; the `is-wsl` package it bundles skips the probe when
 * __IS_WSL_TEST__ is set.
 *
 * @returns The browser (close it).
 */
export async function launchChromium(): Promise<Browser> {
  if (!Deno.env.get("__IS_WSL_TEST__")) Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

let built: Promise<void> | undefined;

/**
 * Runs `deno task build:web` (once per process).
 *
 * @throws {Error} With the build's errors, if it fails.
 */
export function buildWeb(): Promise<void> {
  return built ??= (async () => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "build:web"],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(`deno task build:web failed:\n${new TextDecoder().decode(stderr)}`);
    }
  })();
}
