/**
 * The five Keras-blog architectures as plain layer lists, for the JavaScript peers
 * (TF.js in `bench/tfjs_models.ts`, jax-js in `bench/jaxjs_models.ts`), which build
 * them in their own APIs. Browser-safe: no Deno, no Node. The library's own models
 * live in models/; these tables restate them on purpose, because a peer must not
 * load the library (its memory and start-up would count against the peer).
 *
 * @module
 */

/** A convolution (3×3, `filters` outputs), a 2×2 "same" max-pool, or a nearest 2× upsampling. */
export type ConvSpec = ["conv", number, "same" | "valid"] | ["pool"] | ["up"];

/** The five models of the blog (the VAE is ours only). */
export const PEER_MODELS = ["undercomplete", "sparse", "deep", "conv", "denoising"] as const;
/** One of {@link PEER_MODELS}. */
export type PeerModel = typeof PEER_MODELS[number];

/** Encoder and decoder of the conv models; every conv is relu but the decoder's last (logits). */
export const CONV_LAYERS: Record<"conv" | "denoising", [ConvSpec[], ConvSpec[]]> = {
  conv: [
    [["conv", 16, "same"], ["pool"], ["conv", 8, "same"], ["pool"], ["conv", 8, "same"], ["pool"]],
    [
      ["conv", 8, "same"],
      ["up"],
      ["conv", 8, "same"],
      ["up"],
      ["conv", 16, "valid"],
      ["up"],
      ["conv", 1, "same"],
    ],
  ],
  denoising: [
    [["conv", 32, "same"], ["pool"], ["conv", 32, "same"], ["pool"]],
    [["conv", 32, "same"], ["up"], ["conv", 32, "same"], ["up"], ["conv", 1, "same"]],
  ],
};

/** Hidden widths of the dense models' encoder and decoder (relu); a 784-unit logit layer ends each. */
export const DENSE_LAYERS: Record<"undercomplete" | "sparse" | "deep", [number[], number[]]> = {
  undercomplete: [[32], []],
  sparse: [[32], []],
  deep: [[128, 64, 32], [64, 128]],
};

/** Weight of the sparse model's L1 activity penalty (Keras 1: `λ Σ_units mean_batch |h|`). */
export const SPARSE_L1 = 1e-4;
/** Standard deviation of the denoising model's Gaussian input noise (clipped to [0, 1]). */
export const NOISE_FACTOR = 0.5;

/** Whether a model takes `[N, 1, 28, 28]` images (else flat 784-float rows). */
export function isConvModel(model: PeerModel): model is "conv" | "denoising" {
  return model === "conv" || model === "denoising";
}

/**
 * A small seeded generator (mulberry32), for shuffles and initial weights.
 *
 * @param seed Any 32-bit integer.
 * @returns A function giving numbers in [0, 1).
 */
export function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One model in one peer framework, as the benchmarks drive it. */
export interface PeerTrainer {
  /** The shape of `n` images as this framework's model takes them. */
  shape(n: number): number[];
  /** Trains on `n` images from `batch`; resolves to the batch's training loss. */
  step(batch: Float32Array<ArrayBuffer>, n: number): Promise<number>;
  /** Sigmoid reconstructions of `n` images, read back to the host. */
  predict(images: Float32Array<ArrayBuffer>, n: number): Promise<Float32Array<ArrayBuffer>>;
  /** Frees the weights, the optimizer state and anything compiled. */
  dispose(): void;
}

/**
 * The median of numbers.
 *
 * @param xs Numbers (not empty).
 * @returns The middle value (mean of the two middle ones for an even count).
 */
export function median(xs: readonly number[]): number {
  const s = xs.toSorted((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
