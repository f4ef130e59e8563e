/**
 * The jax-js peer of the benchmarks (`bench/jaxjs_models.ts`): its first training loss equals
 * the blog's loss computed by hand from the same initial weights (undercomplete and sparse,
 * on jax-js' wasm device, jitted), its training lowers the loss, and the conv models train
 * and reconstruct in [0, 1].
 */

import assert from "node:assert/strict";
import { defaultDevice, init, tree } from "@jax-js/jax";
import { readMnist } from "../bench/data.ts";
import { initParams, jaxTrainer } from "../bench/jaxjs_models.ts";
import { SPARSE_L1 } from "../bench/peer_models.ts";

// jax-js' wasm workers live as long as the process.
const options = { sanitizeOps: false, sanitizeResources: false };
const PIXELS = 784;

async function wasm(): Promise<void> {
  assert.ok((await init("wasm")).includes("wasm"), "jax-js did not start its wasm device");
  defaultDevice("wasm");
}

/** BCE from logits (mean) of a 784-h-784 relu network, plus λ Σ_units mean_batch |h|. */
function handLoss(x: Float32Array, n: number, w: Float32Array[], b: Float32Array[], l1: number) {
  const hidden = b[0].length;
  let bce = 0, penalty = 0;
  const h = new Float64Array(hidden);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * PIXELS, (i + 1) * PIXELS);
    for (let j = 0; j < hidden; j++) {
      let z = b[0][j];
      for (let k = 0; k < PIXELS; k++) z += row[k] * w[0][k * hidden + j];
      h[j] = Math.max(0, z);
      penalty += h[j] / n;
    }
    for (let k = 0; k < PIXELS; k++) {
      let z = b[1][k];
      for (let j = 0; j < hidden; j++) z += h[j] * w[1][j * PIXELS + k];
      const softplus = Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
      bce += (softplus - row[k] * z) / (n * PIXELS);
    }
  }
  return bce + l1 * penalty;
}

for (const model of ["undercomplete", "sparse"] as const) {
  Deno.test(
    `jax-js ${model}: the first loss is the hand-computed one, and training lowers it`,
    options,
    async () => {
      await wasm();
      const n = 64;
      const x = readMnist(n) as Float32Array<ArrayBuffer>;
      const params = initParams(model, 7);
      const [w, b] = [[] as Float32Array[], [] as Float32Array[]];
      for (const layer of [...params.encoder, ...params.decoder]) {
        w.push(await layer.w.ref.data() as Float32Array);
        b.push(await layer.b.ref.data() as Float32Array);
      }
      tree.dispose(params);
      const expected = handLoss(x, n, w, b, model === "sparse" ? SPARSE_L1 : 0);

      const trainer = jaxTrainer(model, 7);
      const losses = [];
      for (let i = 0; i < 6; i++) losses.push(await trainer.step(x, n));
      trainer.dispose();
      assert.ok(
        Math.abs(losses[0] - expected) < 1e-5 * expected,
        `first loss ${losses[0]} differs from the hand-computed ${expected}`,
      );
      assert.ok(losses[5] < 0.985 * losses[0], `loss did not fall: ${losses.join(", ")}`);
    },
  );
}

Deno.test(
  "jax-js conv and denoising: steps train, reconstructions lie in [0, 1]",
  options,
  async () => {
    await wasm();
    const n = 8;
    const x = readMnist(n) as Float32Array<ArrayBuffer>;
    for (const model of ["conv", "denoising"] as const) {
      const trainer = jaxTrainer(model, 0);
      const first = await trainer.step(x, n);
      let last = first;
      for (let i = 0; i < 3; i++) last = await trainer.step(x, n);
      const out = await trainer.predict(x, n);
      trainer.dispose();
      assert.ok(first > 0.3 && first < 1, `${model}: first loss ${first} is not near ln 2`);
      assert.ok(last < first, `${model}: loss did not fall (${first} -> ${last})`);
      assert.equal(out.length, n * PIXELS);
      assert.ok(
        out.every((v) => v >= 0 && v <= 1),
        `${model}: a reconstruction lies outside [0, 1]`,
      );
    }
  },
);

Deno.test({
  name: "startJaxjs: the wasm pool has the workers it reports, whatever the cores (Linux)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // A fresh process: this file's static import has already fixed this process' pool.
    const start = new URL("../bench/jaxjs_start.ts", import.meta.url).href;
    const code = `
      const jax = await (await import(${
      JSON.stringify(start)
    })).startJaxjs("wasm", Number(Deno.args[0]));
      const { numpy: np } = await import("@jax-js/jax");
      await np.ones([8192]).mul(2).data();
      const names = [...Deno.readDirSync("/proc/self/task")]
        .map((t) => Deno.readTextFileSync("/proc/self/task/" + t.name + "/comm").trim());
      console.log(JSON.stringify({ reported: jax.workers, running: names.filter((n) => /^worker-/.test(n)).length }));
      Deno.exit(0);`;
    for (const threads of [1, 3]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", code, String(threads)],
        stderr: "inherit",
      }).output();
      assert.equal(out.code, 0);
      const got = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
      assert.deepEqual(got, { reported: threads, running: threads });
    }
  },
});
