/**
 * Codes brought to a plane for latent views: PCA (`ml-pca`) or UMAP (`umap-js`),
 * both plain JavaScript, so this module works in the browser build too.
 *
 * @module
 */

import { PCA } from "ml-pca";
import { UMAP } from "umap-js";
import { AutoencoderError } from "../errors.ts";
import { Random } from "../nn/random.ts";

/** How codes of more than two values are brought to a plane. */
export type Projection = "pca" | "umap";

/** The projections, for command-line choices. */
export const PROJECTIONS: readonly Projection[] = ["pca", "umap"];

/**
 * At most this many codes are embedded by UMAP (the first ones: its approximate
 * neighbour graph and layout epochs grow faster than the count; 2000 points take
 * about 2 s on one core).
 */
export const UMAP_POINTS = 2000;

/** Options of {@link projectCodes}. */
export interface ProjectOptions {
  /** `"pca"` (default): the first two principal components; `"umap"`: a UMAP embedding. */
  projection?: Projection;
  /** Seed of UMAP's random initialisation and sampling (default 0): the same seed, the same figure. */
  seed?: number;
}

/**
 * Codes as points on a plane: the codes themselves when they have two values, else
 * their projection on the first two principal components (NIPALS, which finds only
 * those two, quick for large codes) or their 2-D UMAP embedding (`umap-js`, 15
 * neighbours, seeded).
 *
 * @param codes `count` rows of `size` values.
 * @param size Values per code.
 * @param options Projection (default PCA) and UMAP's seed.
 * @returns `count` rows of 2 values, and how they were made.
 *
 * @example
 * ```ts
 * import { projectCodes } from "./projection.ts";
 * const { points, method } = projectCodes(new Float32Array([0, 0, 1, 1, 2, 2.5, 3, 2]), 2);
 * console.assert(points.length === 8 && method === "code");
 * ```
 */
export function projectCodes(
  codes: Float32Array,
  size: number,
  options: ProjectOptions = {},
): { points: Float32Array; method: "code" | Projection } {
  const count = codes.length / size;
  if (!Number.isInteger(count) || count < 2 || size < 1) {
    throw new AutoencoderError(
      `Cannot project codes: expected at least 2 codes of ${size} values, got ${codes.length} values`,
      { kind: "bad-input" },
    );
  }
  if (size === 2) return { points: codes.slice(), method: "code" };
  const rows = Array.from({ length: count }, (_, i) => {
    const row = Array.from(codes.subarray(i * size, (i + 1) * size));
    return size === 1 ? [...row, 0] : row;
  });
  if (size === 1) return { points: Float32Array.from(rows.flat()), method: "code" };
  if (options.projection === "umap") {
    const rng = new Random(options.seed ?? 0);
    const umap = new UMAP({
      nComponents: 2,
      nNeighbors: Math.min(15, count - 1),
      random: () => rng.next(),
    });
    return { points: Float32Array.from(umap.fit(rows).flat()), method: "umap" };
  }
  const pca = new PCA(rows, { method: "NIPALS", nCompNIPALS: 2, center: true, scale: false });
  const projected = pca.predict(rows, { nComponents: 2 }).to2DArray();
  return { points: Float32Array.from(projected.flat()), method: "pca" };
}
