/// <reference lib="dom" />
/**
 * The variational autoencoder: its decoder draws the blog's 15 × 15 manifold once,
 * and decodes the point under the pointer (or the arrow keys) live.
 *
 * @module
 */

import type { Provider } from "../../src/web.ts";
import { webRuntime } from "../../src/web.ts";
import { normalQuantile } from "../../src/viz/quantile.ts";
import { $, drawGray, PIXELS, setState, SIDE } from "./canvas.ts";
import { fetchBytes, MODELS_URL } from "./models.ts";

/** The grid's side, and the latent coordinate of a pad position u in [0, 1] (either axis). */
const GRID = 15;
const latent = (u: number) => normalQuantile(0.05 + 0.9 * Math.min(1, Math.max(0, u)));

/** Decodes latent points, `[n, 2]` as `n * 2` floats, to `n` images. */
type Decode = (z: Float32Array) => Promise<Float32Array>;

/**
 * Opens the VAE's decoder, draws the manifold and wires the pad.
 *
 * @param provider The provider the decoder's session opens on.
 */
export async function setUpVae(provider: Provider): Promise<void> {
  const status = $("vae-status");
  const decoder = await webRuntime.createSession(
    await fetchBytes(`${MODELS_URL}vae/decoder.onnx`),
    { provider },
  );
  const decode: Decode = async (z) => {
    const { output } = await decoder.run(
      { input: webRuntime.tensor(z, [z.length / 2, 2]) },
      ["output"],
    );
    return await webRuntime.read(output);
  };
  setState(status, "busy", "Decoding the 15 × 15 manifold…");
  await drawManifold(decode);
  setUpPad(decode, status);
}

/** The manifold, drawn once: row i has z₁ = grid[i], column j has z₀ = grid[j] (the blog's). */
async function drawManifold(decode: Decode): Promise<void> {
  const grid = Array.from({ length: GRID }, (_, i) => latent(i / (GRID - 1)));
  const codes = new Float32Array(GRID * GRID * 2);
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) codes.set([grid[j], grid[i]], 2 * (i * GRID + j));
  }
  const images = await decode(codes);
  const figure = new Float32Array(GRID * SIDE * GRID * SIDE);
  const across = GRID * SIDE;
  for (let k = 0; k < GRID * GRID; k++) {
    const [i, j] = [Math.floor(k / GRID), k % GRID];
    for (let y = 0; y < SIDE; y++) {
      figure.set(
        images.subarray(k * PIXELS + y * SIDE, k * PIXELS + (y + 1) * SIDE),
        (i * SIDE + y) * across + j * SIDE,
      );
    }
  }
  const manifold = $<HTMLCanvasElement>("vae-manifold");
  drawGray(manifold, figure, across, across);
  manifold.dataset.drawn = "true";
}

/** The arrow keys, as moves of one grid cell. */
const KEYS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/**
 * The pad: the pointer's place on the grid, as fractions of the grid cells' centres
 * (the first and last cells' centres are the quantiles 0.05 and 0.95), decoded live;
 * the arrow keys move one cell.
 */
function setUpPad(decode: Decode, status: HTMLElement): void {
  const pad = $("vae-pad"), marker = $("vae-marker");
  const show = latestOnly(decode, status);
  let place = [0, 0];
  const moveTo = (x: number, y: number) => { // pixels within the pad
    place = [x, y];
    const cell = pad.clientWidth / GRID;
    const u = (x - cell / 2) / (pad.clientWidth - cell),
      v = (y - cell / 2) / (pad.clientHeight - cell);
    marker.hidden = false;
    marker.style.left = `${x}px`;
    marker.style.top = `${y}px`;
    show(latent(u), latent(v));
  };
  pad.addEventListener("pointermove", (e) => {
    const r = pad.getBoundingClientRect();
    moveTo(e.clientX - r.left, e.clientY - r.top);
  });
  pad.addEventListener("keydown", (e) => {
    const [dx, dy] = KEYS[e.key] ?? [0, 0];
    if (dx === 0 && dy === 0) return;
    e.preventDefault();
    const cell = pad.clientWidth / GRID,
      clamp = (v: number) => Math.min(pad.clientWidth, Math.max(0, v));
    moveTo(clamp(place[0] + dx * cell), clamp(place[1] + dy * cell));
  });
  moveTo(pad.clientWidth / 2, pad.clientHeight / 2); // z = (0, 0)
}

/**
 * Shows the decoding of a latent point; points asked for while one decodes wait,
 * and only the last of them is decoded next.
 */
function latestOnly(decode: Decode, status: HTMLElement): (z0: number, z1: number) => void {
  const output = $<HTMLCanvasElement>("vae-output");
  let pending: [number, number] | undefined, running = false;
  const run = async () => {
    running = true;
    try {
      while (pending) {
        const [z0, z1] = pending;
        pending = undefined;
        drawGray(output, await decode(new Float32Array([z0, z1])));
        output.dataset.z = `${z0.toFixed(3)},${z1.toFixed(3)}`;
        $("vae-z").textContent = `z = (${z0.toFixed(2)}, ${z1.toFixed(2)})`;
        setState(status, "done", `Decoded z = (${z0.toFixed(2)}, ${z1.toFixed(2)})`);
      }
    } catch (e) {
      setState(status, "error", `Error: ${(e as Error).message}`);
    } finally {
      running = false;
    }
  };
  return (z0, z1) => {
    pending = [z0, z1];
    if (!running) run();
  };
}
