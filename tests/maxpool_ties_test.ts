/**
 * MaxPool's gradient where several elements of a window tie for its maximum: the
 * window's gradient is shared equally among them, so each window passes on exactly
 * the gradient it received. Finite differences cannot check this (the max has a kink
 * at every tie), so the emitted rule is held to a plain TypeScript reference, in
 * float64 on the interpreter and in float32 through ORT, on inputs made of ties:
 * constant regions, saturated values and a positive bias over a blank image.
 */

import assert from "node:assert/strict";
import { grad } from "../src/autodiff/grad.ts";
import { encodeModel } from "../src/onnx/model.ts";
import { Builder } from "../src/ops/builder.ts";
import { evaluate } from "../src/ops/interpret.ts";
import { tensor } from "../src/ops/tensor64.ts";
import { nodeRuntime } from "../src/runtime/node.ts";

interface Case {
  name: string;
  shape: [number, number, number, number];
  pads: [number, number, number, number];
  x: (i: number) => number;
}

const CASES: Case[] = [
  { name: "a constant image", shape: [2, 2, 4, 6], pads: [0, 0, 0, 0], x: () => 0.25 },
  {
    name: "a positive bias over a blank image, Keras 'same' 7 -> 4",
    shape: [1, 3, 7, 7],
    pads: [0, 0, 1, 1],
    x: (i) => (i % 23 === 0 ? 0.9 : 0.1),
  },
  {
    name: "saturated strokes (1s) among distinct values",
    shape: [2, 1, 6, 6],
    pads: [0, 0, 0, 0],
    x: (i) => (i % 3 === 0 ? 1 : ((i * 37) % 11) / 11),
  },
  {
    name: "pairs of ties, odd size with padding",
    shape: [1, 2, 5, 3],
    pads: [0, 0, 1, 1],
    x: (i) => Math.floor(i / 2) % 4,
  },
];

/**
 * The plain rule: each window's gradient divided among the elements equal to its maximum.
 * Also returns how many windows have a tie.
 */
function reference(c: Case, x: number[], g: number[]): { dx: number[]; tiedWindows: number } {
  const [n, ch, h, w] = c.shape;
  const oh = Math.floor((h + c.pads[0] + c.pads[2] - 2) / 2) + 1;
  const ow = Math.floor((w + c.pads[1] + c.pads[3] - 2) / 2) + 1;
  const dx = new Array<number>(x.length).fill(0);
  let tiedWindows = 0;
  for (let plane = 0; plane < n * ch; plane++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const cells: number[] = [];
        for (let di = 0; di < 2; di++) {
          for (let dj = 0; dj < 2; dj++) {
            const r = 2 * i + di - c.pads[0], s = 2 * j + dj - c.pads[1];
            if (r >= 0 && r < h && s >= 0 && s < w) cells.push(plane * h * w + r * w + s);
          }
        }
        const max = Math.max(...cells.map((k) => x[k]));
        const tied = cells.filter((k) => x[k] === max);
        for (const k of tied) dx[k] += g[(plane * oh + i) * ow + j] / tied.length;
        if (tied.length > 1) tiedWindows++;
      }
    }
  }
  return { dx, tiedWindows };
}

function build(c: Case) {
  const b = new Builder();
  const x = b.graph.input("x", "float32", c.shape);
  const y = b.op1("MaxPool", [x], { kernel_shape: [2, 2], strides: [2, 2], pads: c.pads });
  const g = b.graph.input("g", "float32", y.shape);
  const loss = b.reduceSum(b.mul(y, g), [0, 1, 2, 3], false);
  b.graph.output("dx", grad(b, loss, [x]).get(x)!);
  return { graph: b.graph, outShape: y.shape as number[] };
}

for (const c of CASES) {
  Deno.test(`MaxPool gradient with tied windows: ${c.name}`, async () => {
    const { graph, outShape } = build(c);
    const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
    const x = Array.from({ length: size(c.shape) }, (_, i) => Math.fround(c.x(i)));
    const g = Array.from({ length: size(outShape) }, (_, i) => Math.fround(((i % 7) - 3) / 4));
    const { dx: expected, tiedWindows } = reference(c, x, g);
    assert.ok(tiedWindows > 0, "the case has tied windows");

    const dx64 = evaluate(graph, { x: tensor(c.shape, x), g: tensor(outShape, g) }).dx.data;
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(dx64[i] - expected[i]) < 1e-12, `interpreter dx[${i}]`);
    }

    const session = await nodeRuntime.createSession(encodeModel(graph));
    try {
      const feeds = {
        x: nodeRuntime.tensor(Float32Array.from(x), c.shape),
        g: nodeRuntime.tensor(Float32Array.from(g), outShape),
      };
      const dx32 = await nodeRuntime.read((await session.run(feeds, ["dx"])).dx);
      for (let i = 0; i < x.length; i++) {
        assert.ok(
          Math.abs(dx32[i] - expected[i]) < 1e-6,
          `ORT dx[${i}]: ${dx32[i]} vs ${expected[i]}`,
        );
      }
      // Each window passes on exactly its gradient.
      const total = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(total(dx32) - total(g)) < 1e-4);
    } finally {
      await session.release();
    }
  });
}
