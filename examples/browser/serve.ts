/**
 * A tiny static server for the browser example (`deno task serve`): the page from
 * `examples/browser/`, the browser build from `dist/web/` (`deno task build:web`
 * makes it), the pretrained models from `models/pretrained/`, and the four MNIST
 * files under `/data/mnist/`, found as the library's loader finds them: `--data DIR`,
 * `$AUTOENCODERS_DATA_DIR`, the cache, a download into the cache, else the embedded
 * 3000-digit subset (the page's `loadMnistFromUrl` accepts its files too).
 *
 * Every answer carries the COOP and COEP headers that make the page cross-origin
 * isolated, so that ORT-web may run one WebAssembly thread per core (README.md, "What
 * your own server must send"). A file with a
 * precompressed copy beside it (`build.ts` writes `.br` and `.gz`) is sent compressed
 * to a browser whose `Accept-Encoding` takes it.
 *
 * Usage: deno task serve [--port N] [--data DIR]   (port: 8000 or $PORT)
 *
 * @module
 */

import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScriptArgs } from "../../src/cli/command.ts";
import { describeData } from "../../src/data/datasets.ts";
import { loadMnist } from "../../src/data/mnist.ts";

/** Where the server takes its files from. */
export interface ServeOptions {
  /** TCP port (0: any free port). Default 8000. */
  port?: number;
  /** Interface to listen on. Default `"127.0.0.1"` (localhost only). */
  hostname?: string;
  /** The MNIST folder served under `/data/mnist/` (`loadMnist(...).source`, for one). */
  dataDir: string;
  /** Called once listening, with the page's URL. */
  onListen?: (url: string) => void;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** URL prefix → folder; the page's own folder answers everything else. */
function mounts(dataDir: string): [string, string][] {
  return [
    ["/dist/web/", join(ROOT, "dist", "web")],
    ["/models/", join(ROOT, "models", "pretrained")],
    ["/data/mnist/", dataDir],
    ["/", join(ROOT, "examples", "browser")],
  ];
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".md": "text/markdown; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** Headers every answer carries: cross-origin isolation, for ORT-web's threads. */
export const ISOLATION: Readonly<Record<string, string>> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

/** Precompressed copies, by preference: `Content-Encoding` and file suffix. */
const ENCODINGS: [string, string][] = [["br", ".br"], ["gzip", ".gz"]];

/** A short plain-text answer. */
function answer(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, { status, headers: { ...ISOLATION, ...headers } });
}

/**
 * The precompressed copy of `file` to send, if the request accepts its encoding and
 * it is at least as new as the file.
 */
async function compressedCopy(
  request: Request,
  file: string,
  info: Deno.FileInfo,
): Promise<{ path: string; encoding: string; size: number } | undefined> {
  const accepted = (request.headers.get("accept-encoding") ?? "").split(",").map((e) =>
    e.split(";")[0].trim()
  );
  for (const [encoding, suffix] of ENCODINGS) {
    if (!accepted.includes(encoding)) continue;
    const copy = await Deno.stat(file + suffix).catch(() => undefined);
    if (copy?.isFile && (copy.mtime?.getTime() ?? 0) >= (info.mtime?.getTime() ?? 0)) {
      return { path: file + suffix, encoding, size: copy.size };
    }
  }
  return undefined;
}

/** The request's path, decoded, or `undefined` if it is malformed (bad `%` escape, NUL). */
function requestPath(request: Request): string | undefined {
  try {
    const path = decodeURIComponent(new URL(request.url).pathname);
    return path.includes("\0") ? undefined : path;
  } catch {
    return undefined; // URIError: a `%` not followed by two hex digits of UTF-8
  }
}

/** Whether `file`'s real path (symbolic links resolved) lies inside `dir`'s. */
async function inside(dir: string, file: string): Promise<boolean> {
  const [realDir, realFile] = await Promise.all([Deno.realPath(dir), Deno.realPath(file)]);
  return realFile === realDir ||
    realFile.startsWith(realDir.endsWith(sep) ? realDir : realDir + sep);
}

/**
 * Answers one request from the mounted folders (GET and HEAD only): 400 to a
 * malformed path (a bad `%` escape, a NUL byte), 404 to a path outside the folders
 * (`..`, or a symbolic link that leads out of them), 403 to a file it may not read.
 *
 * @param request The request.
 * @param dataDir The MNIST folder.
 * @returns The file, or 400 / 403 / 404 / 405.
 */
export async function handle(request: Request, dataDir: string): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return answer(405, "Method not allowed", { allow: "GET, HEAD" });
  }
  let path = requestPath(request);
  if (path === undefined) return answer(400, "Bad request: malformed path");
  if (path === "/") path = "/index.html";
  const [prefix, dir] = mounts(dataDir).find(([prefix]) => path.startsWith(prefix))!;
  const file = normalize(join(dir, path.slice(prefix.length)));
  if (file !== normalize(dir) && !file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) {
    return answer(404, "Not found");
  }
  try {
    const info = await Deno.stat(file);
    if (!info.isFile || !(await inside(dir, file))) return answer(404, "Not found");
    const compressed = await compressedCopy(request, file, info);
    const headers: Record<string, string> = {
      ...ISOLATION,
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": String(compressed?.size ?? info.size),
      "cache-control": "no-cache",
      "vary": "accept-encoding",
    };
    if (compressed) headers["content-encoding"] = compressed.encoding;
    if (request.method === "HEAD") return new Response(null, { headers });
    const handle = await Deno.open(compressed?.path ?? file);
    return new Response(handle.readable, { headers });
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied) return answer(403, "Forbidden");
    return answer(404, "Not found"); // not there, not a folder on the way, a name too long...
  }
}

/**
 * Whether a request's `Host` header names this server: `localhost` or `127.0.0.1`
 * with its port. Any other name may be a DNS-rebinding page reaching the server.
 *
 * @param request The request.
 * @param port The port the server listens on.
 * @returns `true` if the host is expected.
 */
export function expectedHost(request: Request, port: number): boolean {
  const host = request.headers.get("host")?.toLowerCase();
  return host === `localhost:${port}` || host === `127.0.0.1:${port}`;
}

/**
 * Starts the server.
 *
 * @param options Port, interface, data folder, listen callback.
 * @returns The running server (`shutdown()` stops it; `addr.port` is its port).
 *
 * @example
 * ```ts ignore
 * import { serve } from "./serve.ts";
 * const server = serve({ port: 0, dataDir: "src/data/mnist_subset" });
 * console.log(`http://localhost:${server.addr.port}/`);
 * await server.shutdown();
 * ```
 */
export function serve(options: ServeOptions): Deno.HttpServer<Deno.NetAddr> {
  const dataDir = normalize(options.dataDir);
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
    {
      port: options.port ?? 8000,
      hostname: options.hostname ?? "127.0.0.1",
      onListen: ({ port }) => options.onListen?.(`http://localhost:${port}/`),
      onError: (e) => {
        console.error(`Cannot answer a request: ${(e as Error)?.message ?? e}`); // one line, no stack
        return answer(500, "Internal server error");
      },
    },
    (request) =>
      expectedHost(request, server.addr.port)
        ? handle(request, dataDir)
        : answer(403, "Forbidden: unexpected Host header; open the page at localhost or 127.0.0.1"),
  );
  return server;
}

if (import.meta.main) {
  const usage = `Serve the browser example (the task builds dist/web/ first).

Usage: deno task serve [--port N] [--data DIR]

  --port N      port (default $PORT, else 8000)
  --data DIR    folder with the MNIST IDX files (default: $AUTOENCODERS_DATA_DIR, the
                cache, a download into the cache, else the library's 3000-digit subset)
  -h, --help    show this help`;
  const { values } = parseScriptArgs(usage, {
    args: Deno.args,
    options: { port: { type: "string" }, data: { type: "string" } },
  });
  const asked = values.port ?? Deno.env.get("PORT") ?? "8000";
  const port = Number(asked);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    const from = values.port === undefined ? "$PORT" : "--port";
    console.error(`Cannot serve: ${from} must be a port number (0 to 65535), got "${asked}"`);
    Deno.exit(2);
  }
  const data = await loadMnist({ dir: values.data, orSubset: true }).catch((e) => {
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  });
  console.log(`MNIST: ${describeData(data)}`);
  try {
    await Deno.stat(join(ROOT, "dist", "web", "app.js"));
  } catch {
    console.warn("dist/web/app.js is missing: run `deno task build:web` first");
  }
  serve({
    port,
    dataDir: data.source,
    onListen: (url) => console.log(`Serving the example on ${url}`),
  });
}
