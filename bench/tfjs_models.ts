/**
 * The five Keras-blog autoencoders in TensorFlow.js (`tf.layers`, Glorot init, BCE from
 * logits, Adam 1e-3 / 0.9 / 0.999 / 1e-8): one trainer per model, shared by the Deno peer
 * (`bench/tfjs_peer.ts`) and the browser bench (`bench/browser/`); browser-safe.
 *
 * The wasm backend has no `Conv2DBackpropFilter` kernel, so it cannot train a convolution
 * as shipped; {@link registerConv2DBackpropFilter} adds one that runs the backend's own
 * `Conv3DBackpropFilterV2` kernel on a depth-1 view.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import * as tfWasm from "@tensorflow/tfjs-backend-wasm";
import {
  CONV_LAYERS,
  type ConvSpec,
  DENSE_LAYERS,
  isConvModel,
  NOISE_FACTOR,
  type PeerModel,
  type PeerTrainer,
  SPARSE_L1,
} from "./peer_models.ts";

const PIXELS = 784;

/**
 * Registers `Conv2DBackpropFilter` for the wasm backend, which lacks it: reshapes the NHWC
 * input and output gradient to depth-1 NDHWC views (no copy) and runs the backend's
 * `Conv3DBackpropFilterV2` kernel.
 */
export function registerConv2DBackpropFilter(): void {
  type KernelArgs = Parameters<tf.KernelFunc>[0];
  type Info = tf.TensorInfo;
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) return;
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }: KernelArgs) => {
      const reshape = tf.getKernel("Reshape", "wasm")!.kernelFunc;
      const filter3d = tf.getKernel("Conv3DBackpropFilterV2", "wasm")!.kernelFunc;
      const { x, dy } = inputs as { x: Info; dy: Info };
      const a = attrs as unknown as {
        strides: number | [number, number];
        pad: "same" | "valid";
        filterShape: [number, number, number, number];
      };
      const strides = typeof a.strides === "number" ? [a.strides, a.strides] : a.strides;
      const view = (t: Info) =>
        reshape({
          inputs: { x: t },
          backend,
          attrs: { shape: [t.shape[0], 1, ...t.shape.slice(1)] },
        }) as Info;
      const x5 = view(x), dy5 = view(dy);
      const dw5 = filter3d({
        inputs: { x: x5, dy: dy5 },
        backend,
        attrs: { strides: [1, ...strides], pad: a.pad, filterShape: [1, ...a.filterShape] },
      }) as Info;
      const dw = reshape({ inputs: { x: dw5 }, backend, attrs: { shape: a.filterShape } }) as Info;
      for (const t of [x5, dy5, dw5]) (backend as tf.KernelBackend).disposeData(t.dataId);
      return dw;
    },
  });
}

/** What TF.js' wasm backend runs on, as it reports it after start-up. */
export interface TfjsWasmInfo {
  /** Threads of XNNPACK's pool (`getThreadsCount()`). */
  wasm_threads: number;
  /** The binary TF.js chose, by the same feature flags its loader reads. */
  wasm_binary: string;
}

/**
 * Starts TF.js' wasm backend with `threads` threads where it can. TF.js takes its threaded
 * SIMD binary only outside Node (and Deno's Node compatibility), in a page that can share
 * memory (cross-origin isolated), and caps the pool at `navigator.hardwareConcurrency / 2`
 * (it assumes two hyperthreads per core), so on a 2-core machine `setThreadsCount(2)` alone
 * gets 1 thread: in a browser this raises `hardwareConcurrency` to `2 * threads` first.
 *
 * @param threads Threads to ask for.
 * @returns The threads and binary it got.
 */
export async function startTfjsWasm(threads: number): Promise<TfjsWasmInfo> {
  tfWasm.setThreadsCount(threads);
  if (!tf.env().get("IS_NODE") && navigator.hardwareConcurrency < 2 * threads) {
    Object.defineProperty(navigator, "hardwareConcurrency", {
      value: 2 * threads,
      configurable: true,
    });
  }
  if (!(await tf.setBackend("wasm"))) throw new Error(`Cannot start TF.js' wasm backend`);
  const [simd, threaded] = await Promise.all(
    ["WASM_HAS_SIMD_SUPPORT", "WASM_HAS_MULTITHREAD_SUPPORT"].map((f) => tf.env().getAsync(f)),
  );
  const variant = simd ? (threaded ? "-threaded-simd" : "-simd") : "";
  return {
    wasm_threads: tfWasm.getThreadsCount(),
    wasm_binary: `tfjs-backend-wasm${variant}.wasm`,
  };
}

/** Encoder and decoder; the decoder ends in logits (the sigmoid is in the loss). */
function build(model: PeerModel, seed: number): { encoder: tf.Sequential; decoder: tf.Sequential } {
  let seedCount = seed * 1000;
  const glorot = () => tf.initializers.glorotUniform({ seed: seedCount++ });
  const encoder = tf.sequential(), decoder = tf.sequential();
  if (isConvModel(model)) {
    const add = (to: tf.Sequential, specs: ConvSpec[], inputShape: number[]) => {
      specs.forEach((s, i) => {
        const first = i === 0 ? { inputShape } : {};
        if (s[0] === "conv") {
          to.add(tf.layers.conv2d({
            ...first,
            filters: s[1],
            kernelSize: 3,
            padding: s[2],
            activation: i === specs.length - 1 && to === decoder ? "linear" : "relu",
            kernelInitializer: glorot(),
            biasInitializer: "zeros",
          }));
        } else if (s[0] === "pool") {
          // Keras' MaxPooling2D((2, 2), padding="same"): 7 -> 4.
          to.add(tf.layers.maxPooling2d({ ...first, poolSize: 2, strides: 2, padding: "same" }));
        } else {
          to.add(tf.layers.upSampling2d({ ...first, size: [2, 2] })); // nearest
        }
      });
    };
    const [enc, dec] = CONV_LAYERS[model];
    add(encoder, enc, [28, 28, 1]);
    add(decoder, dec, encoder.outputs[0].shape.slice(1) as number[]);
  } else {
    const [enc, dec] = DENSE_LAYERS[model];
    let prev = PIXELS;
    for (const [to, widths] of [[encoder, enc], [decoder, dec]] as const) {
      for (const units of widths) {
        to.add(tf.layers.dense({
          inputShape: [prev],
          units,
          activation: "relu",
          kernelInitializer: glorot(),
        }));
        prev = units;
      }
    }
    decoder.add(
      tf.layers.dense({ inputShape: [prev], units: PIXELS, kernelInitializer: glorot() }),
    );
  }
  return { encoder, decoder };
}

/**
 * Builds a trainer on the current TF.js backend, with fresh weights.
 *
 * @param model One of the five models.
 * @param seed Seed of the initial weights.
 * @returns The trainer.
 */
export function tfjsTrainer(model: PeerModel, seed = 0): PeerTrainer {
  const { encoder, decoder } = build(model, seed);
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const shape = (n: number) => isConvModel(model) ? [n, 28, 28, 1] : [n, PIXELS];
  return {
    shape,
    step(batch, n) {
      const target = tf.tensor(batch.subarray(0, n * PIXELS), shape(n));
      const cost = optimizer.minimize(() => {
        const input = model === "denoising"
          ? tf.clipByValue(tf.add(target, tf.randomNormal(target.shape, 0, NOISE_FACTOR)), 0, 1)
          : target;
        const code = encoder.apply(input, { training: true }) as tf.Tensor;
        const logits = decoder.apply(code, { training: true }) as tf.Tensor;
        let l = tf.losses.sigmoidCrossEntropy(target, logits);
        if (model === "sparse") {
          // Keras 1 activity regularizer: λ · sum over units of mean over batch of |h|.
          l = tf.add(l, tf.mul(tf.sum(tf.mean(tf.abs(code), 0)), SPARSE_L1));
        }
        return l as tf.Scalar;
      }, true)!;
      tf.dispose(target);
      return cost.data().then((d) => {
        cost.dispose();
        return d[0];
      });
    },
    async predict(images, n) {
      const out = tf.tidy(() => {
        const input = tf.tensor(images.subarray(0, n * PIXELS), shape(n));
        return tf.sigmoid(decoder.apply(encoder.apply(input)) as tf.Tensor);
      });
      const data = await out.data();
      out.dispose();
      return data as Float32Array<ArrayBuffer>;
    },
    dispose() {
      encoder.dispose();
      decoder.dispose();
      optimizer.dispose();
    },
  };
}
