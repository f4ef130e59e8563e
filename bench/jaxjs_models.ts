/**
 * The five Keras-blog autoencoders in jax-js (`@jax-js/jax`): parameters, forward pass,
 * loss and one jitted Adam training step, written the way a jax-js user would (pure
 * functions of a parameter tree, `valueAndGrad`, `jit`). Shared by the Deno peer
 * (`bench/jaxjs_peer.ts`) and the browser bench (`bench/browser/`); browser-safe.
 *
 * Same recipe as the other peers: Glorot-uniform kernels and zero biases, NCHW
 * convolutions, "same" 2×2 max-pooling (7 → 4: one zero row and column appended, equal
 * to Keras' −∞ padding after a relu), nearest 2× upsampling, binary cross-entropy from
 * logits (`softplus(z) − x·z`, mean over pixels and batch), the sparse model's L1 activity
 * penalty, the denoising model's `clip(x + 0.5·N(0, 1), 0, 1)` input, and Adam in its
 * Keras-1 form (lr 1e-3, β 0.9 / 0.999, ε 1e-8, the bias correction folded into the
 * step size).
 *
 * @module
 */

import { jit, lax, nn, numpy as np, random, tree, valueAndGrad } from "@jax-js/jax";
import {
  CONV_LAYERS,
  type ConvSpec,
  DENSE_LAYERS,
  isConvModel,
  NOISE_FACTOR,
  type PeerModel,
  type PeerTrainer,
  rng,
  SPARSE_L1,
} from "./peer_models.ts";

/** One layer's weights: a kernel and a bias (NCHW kernels `[out, in, 3, 3]`, biases `[out, 1, 1]`). */
export type Layer = { w: np.Array; b: np.Array };
/** Encoder and decoder layers holding weights, in order. */
export type Params = { encoder: Layer[]; decoder: Layer[] };
/** Adam's moments, shaped as the parameters. */
type Moments = { m: Params; v: Params };

const PIXELS = 784;

/** Glorot-uniform values for a kernel with these fans, from a seeded generator. */
function glorot(shape: number[], fanIn: number, fanOut: number, next: () => number): np.Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = (2 * next() - 1) * limit;
  return np.array(values).reshape(shape);
}

/**
 * Fresh parameters: Glorot-uniform kernels, zero biases; what {@link jaxTrainer} starts from.
 *
 * @param model One of the five models.
 * @param seed Seed of the generator.
 * @returns Encoder and decoder layers.
 */
export function initParams(model: PeerModel, seed: number): Params {
  const next = rng(seed);
  if (isConvModel(model)) {
    let channels = 1;
    const side = (specs: ConvSpec[]) =>
      specs.filter((s) => s[0] === "conv").map(([, filters]) => {
        const out = filters as number;
        const layer = {
          w: glorot([out, channels, 3, 3], channels * 9, out * 9, next),
          b: np.zeros([out, 1, 1]),
        };
        channels = out;
        return layer;
      });
    const [enc, dec] = CONV_LAYERS[model];
    return { encoder: side(enc), decoder: side(dec) };
  }
  const [enc, dec] = DENSE_LAYERS[model];
  let width = PIXELS;
  const side = (widths: number[]) =>
    widths.map((out) => {
      const layer = { w: glorot([width, out], width, out, next), b: np.zeros([out]) };
      width = out;
      return layer;
    });
  const encoder = side(enc), decoder = side([...dec, PIXELS]);
  return { encoder, decoder };
}

/** Keras' 2×2 max-pool with "same" padding: odd sides get one zero row/column at the end. */
function maxPool(x: np.Array): np.Array {
  const [, , h, w] = x.shape;
  const padded = h % 2 || w % 2 ? np.pad(x, [[0, 0], [0, 0], [0, h % 2], [0, w % 2]]) : x;
  return lax.reduceWindow(padded, np.max, [2, 2], [2, 2]);
}

/** Nearest-neighbour 2× upsampling of `[N, C, H, W]`. */
function upsample(x: np.Array): np.Array {
  const [n, c, h, w] = x.shape;
  return np.broadcastTo(x.reshape([n, c, h, 1, w, 1]), [n, c, h, 2, w, 2])
    .reshape([n, c, 2 * h, 2 * w]);
}

/** Runs one side of a conv model; the decoder's last convolution gives logits. */
function convSide(specs: ConvSpec[], layers: Layer[], x: np.Array, logitsLast: boolean): np.Array {
  let i = 0;
  for (const s of specs) {
    if (s[0] === "pool") x = maxPool(x);
    else if (s[0] === "up") x = upsample(x);
    else {
      const { w, b } = layers[i++];
      const padding = s[2] === "same" ? "SAME" : "VALID";
      const z = lax.convGeneralDilated(x, w, [1, 1], padding).add(b);
      x = logitsLast && i === layers.length ? z : nn.relu(z);
    }
  }
  return x;
}

/** Code and logits of a batch (`[N, 784]` or `[N, 1, 28, 28]`). */
function forward(model: PeerModel, params: Params, x: np.Array): [np.Array, np.Array] {
  if (isConvModel(model)) {
    const [enc, dec] = CONV_LAYERS[model];
    const code = convSide(enc, params.encoder, x, false);
    return [code.ref, convSide(dec, params.decoder, code, true)];
  }
  const dense = (h: np.Array, { w, b }: Layer) => np.dot(h, w).add(b);
  const code = params.encoder.reduce((h, l) => nn.relu(dense(h, l)), x);
  const last = params.decoder.length - 1;
  const logits = params.decoder.reduce(
    (h, l, i) => i < last ? nn.relu(dense(h, l)) : dense(h, l),
    code.ref,
  );
  return [code, logits];
}

/** The training loss: BCE from logits, plus the sparse model's penalty. */
function loss(model: PeerModel, params: Params, input: np.Array, target: np.Array): np.Array {
  const [code, logits] = forward(model, params, input);
  const bce = np.mean(nn.softplus(logits.ref).sub(target.mul(logits)));
  if (model !== "sparse") {
    code.dispose();
    return bce;
  }
  return bce.add(np.sum(np.mean(np.abs(code), 0)).mul(SPARSE_L1));
}

/** The input the network sees: the target, or for the denoising model a noisy copy. */
function corrupt(model: PeerModel, target: np.Array, key: np.Array): np.Array {
  if (model !== "denoising") {
    key.dispose();
    return target;
  }
  const noise = random.normal(key, target.shape).mul(NOISE_FACTOR);
  return np.clip(target.add(noise), 0, 1);
}

/**
 * Builds a trainer on the current default device (`defaultDevice()`), with fresh weights.
 *
 * @param model One of the five models.
 * @param seed Seed of the initial weights and of the denoising noise.
 * @param useJit Trace the step and the reconstruction once with `jit` (default: the faster way
 *   measured here on wasm: yes for the dense models; no for the conv ones, whose eager steps
 *   took half the time of the jitted ones, bench/README.md).
 * @returns The trainer.
 */
export function jaxTrainer(model: PeerModel, seed = 0, useJit = !isConvModel(model)): PeerTrainer {
  const [beta1, beta2, eps, lr] = [0.9, 0.999, 1e-8, 1e-3];
  let params = initParams(model, seed);
  const zeros = (p: Params) => tree.map((a: np.Array) => np.zerosLike(a), tree.ref(p)) as Params;
  let moments: Moments = { m: zeros(params), v: zeros(params) };
  const stepFn = (p: Params, s: Moments, target: np.Array, key: np.Array, stepSize: np.Array) => {
    const input = corrupt(model, target.ref, key);
    const [value, g] = valueAndGrad((q: Params) => loss(model, q, input, target))(tree.ref(p));
    const m = tree.map(
      (m: np.Array, g: np.Array) => m.mul(beta1).add(g.mul(1 - beta1)),
      s.m,
      tree.ref(g),
    ) as Params;
    const v = tree.map(
      (v: np.Array, g: np.Array) => v.mul(beta2).add(g.ref.mul(g).mul(1 - beta2)),
      s.v,
      g,
    ) as Params;
    const next = tree.map(
      (p: np.Array, m: np.Array, v: np.Array) =>
        p.sub(stepSize.ref.mul(m).div(np.sqrt(v).add(eps))),
      p,
      tree.ref(m),
      tree.ref(v),
    ) as Params;
    stepSize.dispose();
    return [value, next, { m, v }] as [np.Array, Params, Moments];
  };
  const reconstructFn = (p: Params, x: np.Array) => nn.sigmoid(forward(model, p, x)[1]);
  const eager = <F extends object>(f: F) => Object.assign(f, { dispose() {} });
  const trainStep = useJit ? jit(stepFn) : eager(stepFn);
  const reconstruct = useJit ? jit(reconstructFn) : eager(reconstructFn);
  const shape = (n: number) => isConvModel(model) ? [n, 1, 28, 28] : [n, PIXELS];
  let t = 0;
  return {
    shape,
    async step(batch, n) {
      t++;
      const x = np.array(batch.subarray(0, n * PIXELS)).reshape(shape(n));
      const stepSize = np.array(lr * Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t));
      const key = random.key(seed * 1_000_003 + t);
      const [value, next, state] = trainStep(params, moments, x, key, stepSize);
      [params, moments] = [next, state];
      return (await value.data())[0];
    },
    async predict(images, n) {
      const x = np.array(images.subarray(0, n * PIXELS)).reshape(shape(n));
      return await reconstruct(tree.ref(params), x).data() as Float32Array<ArrayBuffer>;
    },
    dispose() {
      tree.dispose([params, moments]);
      trainStep.dispose();
      reconstruct.dispose();
    },
  };
}
