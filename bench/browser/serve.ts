/**
 * The browser bench's static server: serves `dist/bench/` (the bundled page, ORT-web's
 * and TF.js' WebAssembly binaries) and the training images at `/data.f32`, with the COOP
 * and COEP headers that make the page cross-origin isolated, so that WebAssembly can share
 * memory between threads.
 *
 * @module
 */

import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".wasm": "application/wasm",
};

/** Headers of every response: cross-origin isolation, no caching. */
const ISOLATION = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

/**
 * Starts the server on 127.0.0.1 and a free port.
 *
 * @param root Folder of the built page.
 * @param data The images `/data.f32` answers with.
 * @returns The server and its base URL.
 */
export function serveBench(
  root: string,
  data: Float32Array,
): { server: Deno.HttpServer; url: string } {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/data.f32") {
      return new Response(bytes.slice(), {
        headers: { ...ISOLATION, "content-type": "application/octet-stream" },
      });
    }
    const file = normalize(join(root, path === "/" ? "index.html" : path));
    if (!file.startsWith(root)) return new Response("Forbidden", { status: 403 });
    try {
      const body = await Deno.readFile(file);
      const type = TYPES[extname(file)] ?? "application/octet-stream";
      return new Response(body, { headers: { ...ISOLATION, "content-type": type } });
    } catch {
      return new Response(`Not found: ${path}`, { status: 404, headers: ISOLATION });
    }
  });
  return { server, url: `http://127.0.0.1:${server.addr.port}/` };
}
