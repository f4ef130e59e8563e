/**
 * `Builder`: the typed way to add operators to a {@link Graph}. Every node goes
 * through {@link Builder.op}, which looks the op up in the registry, checks its
 * attributes and infers (and so validates) its output types.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";
import { type Attrs, Graph, type Shape, staticSize, type Value } from "../ir/graph.ts";
import { sameShape } from "../ir/shapes.ts";
import { type OpType, registry } from "./registry.ts";
import type { Rewrite, Vjp } from "./types.ts";

/**
 * Emits operators into a graph.
 *
 * @example
 * ```ts
 * import { Builder } from "./builder.ts";
 * const b = new Builder();
 * const x = b.graph.input("x", "float32", ["N", 4]);
 * const y = b.reduceMean(b.relu(x), [0, 1], false);
 * console.assert(y.shape.length === 0);
 * ```
 */
export class Builder {
  /** The graph being built. */
  readonly graph: Graph;
  #constants = new Map<string, Value>();
  #rewrites: readonly Rewrite[] = [];

  /**
   * Creates a builder.
   *
   * @param graph The graph to extend (a new one by default).
   */
  constructor(graph: Graph = new Graph()) {
    this.graph = graph;
  }

  /**
   * Adds one node of a registered op.
   *
   * @param type ONNX operator type.
   * @param inputs Inputs in ONNX order.
   * @param attrs Attributes (checked against the op's record).
   * @returns The node's outputs.
   */
  op(type: OpType, inputs: readonly Value[], attrs: Attrs = {}): Value[] {
    for (const rewrite of this.#rewrites) {
      if (rewrite.op !== type) continue;
      const outputs = this.withRewrites([], () => rewrite.apply(this, inputs, attrs));
      if (outputs) return outputs;
    }
    const def = registry[type];
    const where = this.graph.scope ? `${type} in "${this.graph.scope}"` : type;
    for (const name of Object.keys(attrs)) {
      if (!(name in def.attrs)) {
        throw new AutoencoderError(`Cannot build ${where}: unknown attribute "${name}"`);
      }
    }
    return this.graph.addNode(type, inputs, attrs, def.infer(inputs, attrs, where));
  }

  /**
   * Adds one node and returns its single output.
   *
   * @param type ONNX operator type.
   * @param inputs Inputs.
   * @param attrs Attributes.
   * @returns The output.
   */
  op1(type: OpType, inputs: readonly Value[], attrs: Attrs = {}): Value {
    return this.op(type, inputs, attrs)[0];
  }

  /**
   * A float32 scalar constant (shared within the graph).
   *
   * @param x The number.
   * @returns A `[]` constant.
   */
  scalar(x: number): Value {
    return this.shared(`f:${x}`, () => this.graph.constant(new Float32Array([x]), []));
  }

  /**
   * An int64 vector constant (shared within the graph).
   *
   * @param xs The integers.
   * @returns A `[xs.length]` constant.
   */
  ints(xs: readonly number[]): Value {
    return this.shared(
      `i:${xs}`,
      () => this.graph.constant(BigInt64Array.from(xs, BigInt), [xs.length]),
    );
  }

  /** Elementwise sum with broadcasting. @param a Left. @param b Right. @returns `a + b`. */
  add(a: Value, b: Value): Value {
    return this.op1("Add", [a, b]);
  }
  /** Elementwise difference. @param a Left. @param b Right. @returns `a - b`. */
  sub(a: Value, b: Value): Value {
    return this.op1("Sub", [a, b]);
  }
  /** Elementwise product. @param a Left. @param b Right. @returns `a * b`. */
  mul(a: Value, b: Value): Value {
    return this.op1("Mul", [a, b]);
  }
  /** Elementwise quotient. @param a Left. @param b Right. @returns `a / b`. */
  div(a: Value, b: Value): Value {
    return this.op1("Div", [a, b]);
  }
  /** Elementwise power. @param a Base. @param b Exponent. @returns `a ** b`. */
  pow(a: Value, b: Value): Value {
    return this.op1("Pow", [a, b]);
  }
  /** Elementwise negation. @param a Operand. @returns `-a`. */
  neg(a: Value): Value {
    return this.op1("Neg", [a]);
  }
  /** Elementwise ReLU. @param a Operand. @returns `max(a, 0)`. */
  relu(a: Value): Value {
    return this.op1("Relu", [a]);
  }
  /** Elementwise logistic sigmoid. @param a Operand. @returns `1 / (1 + exp(-a))`. */
  sigmoid(a: Value): Value {
    return this.op1("Sigmoid", [a]);
  }
  /** Elementwise absolute value. @param a Operand. @returns `|a|`. */
  abs(a: Value): Value {
    return this.op1("Abs", [a]);
  }
  /** Elementwise sign. @param a Operand. @returns The sign of `a` (-1, 0 or 1). */
  sign(a: Value): Value {
    return this.op1("Sign", [a]);
  }
  /**
   * Elementwise choice.
   *
   * @param condition A bool mask.
   * @param a Taken where the mask is true.
   * @param b Taken elsewhere.
   * @returns `condition ? a : b`.
   */
  where(condition: Value, a: Value, b: Value): Value {
    return this.op1("Where", [condition, a, b]);
  }
  /**
   * The indicator of a mask (Iverson's bracket), as float32.
   *
   * @param condition A bool mask.
   * @returns 1 where `condition` holds, 0 elsewhere.
   */
  indicator(condition: Value): Value {
    return this.op1("Cast", [condition], { to: 1 });
  }
  /** Elementwise comparison. @param a Left. @param b Right. @returns The bool mask `a > b`. */
  greater(a: Value, b: Value): Value {
    return this.op1("Greater", [a, b]);
  }
  /** Elementwise comparison. @param a Left. @param b Right. @returns The bool mask `a == b`. */
  equal(a: Value, b: Value): Value {
    return this.op1("Equal", [a, b]);
  }
  /** Elementwise square root. @param a Operand. @returns `sqrt(a)`. */
  sqrt(a: Value): Value {
    return this.op1("Sqrt", [a]);
  }
  /** Elementwise exponential. @param a Operand. @returns `exp(a)`. */
  exp(a: Value): Value {
    return this.op1("Exp", [a]);
  }

  /**
   * Matrix product, 2-D, batched 3-D, or a batch times one matrix.
   *
   * @param a `[m, k]` or `[B, m, k]`.
   * @param b `[k, n]`, or `[B, k, n]` when `a` is 3-D.
   * @returns `[m, n]` or `[B, m, n]`.
   */
  matmul(a: Value, b: Value): Value {
    return this.op1("MatMul", [a, b]);
  }

  /**
   * `alpha * op(a) @ op(b)` where `op` transposes when asked.
   *
   * @param a Left matrix.
   * @param b Right matrix.
   * @param opts `transA`, `transB`.
   * @returns The product.
   */
  gemm(a: Value, b: Value, opts: { transA?: boolean; transB?: boolean } = {}): Value {
    return this.op1("Gemm", [a, b], { transA: opts.transA ? 1 : 0, transB: opts.transB ? 1 : 0 });
  }

  /** Axis permutation. @param a Operand. @param perm Axis permutation. @returns The transposed tensor. */
  transpose(a: Value, perm: readonly number[]): Value {
    return this.op1("Transpose", [a], { perm });
  }

  /**
   * Sum over axes.
   *
   * @param a Operand.
   * @param axes Axes to reduce.
   * @param keepdims Keep reduced axes as size 1.
   * @returns The sums.
   */
  reduceSum(a: Value, axes: readonly number[], keepdims: boolean): Value {
    return this.op1("ReduceSum", [a, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  /**
   * Mean over axes.
   *
   * @param a Operand.
   * @param axes Axes to reduce.
   * @param keepdims Keep reduced axes as size 1.
   * @returns The means.
   */
  reduceMean(a: Value, axes: readonly number[], keepdims: boolean): Value {
    return this.op1("ReduceMean", [a], { axes, keepdims: keepdims ? 1 : 0 });
  }

  /**
   * Reshape to a shape given by static entries (`0` copies, `-1` infers).
   *
   * @param a Operand.
   * @param shape Target.
   * @returns The reshaped tensor.
   */
  reshape(a: Value, shape: readonly number[]): Value {
    return this.op1("Reshape", [a, this.ints(shape)]);
  }

  /**
   * The shape of `a` as an int64 vector; a constant when the shape is static.
   *
   * @param a Operand.
   * @returns `[rank]` int64.
   */
  shapeOf(a: Value): Value {
    const size = staticSize(a.shape);
    return size === undefined ? this.op1("Shape", [a]) : this.ints(a.shape as number[]);
  }

  /**
   * Broadcasts `a` to the shape of `like`.
   *
   * @param a Operand.
   * @param like Value whose shape to take.
   * @returns `a` broadcast.
   */
  expandLike(a: Value, like: Value): Value {
    if (sameShape(a.shape, like.shape)) return a;
    return this.op1("Expand", [a, this.shapeOf(like)]);
  }

  /**
   * Number of elements of `a` over `axes`, as a float32 scalar (a constant when
   * those dimensions are static).
   *
   * @param a Operand.
   * @param axes Axes to count over.
   * @returns A `[]` float32 value.
   */
  countOf(a: Value, axes: readonly number[]): Value {
    const counted = axes.map((i) => (i < 0 ? i + a.shape.length : i));
    const dims = counted.map((i) => a.shape[i]);
    const size = staticSize(dims);
    if (size !== undefined) return this.scalar(size);
    // Counted in float32, not from Shape: WebGPU has no int64 kernels (Gather, ReduceProd
    // and Cast of a shape would run on the CPU). One element per position along the
    // dynamic axes (every other axis cut to length 1), each made 1 (x > x is false, even
    // for NaN), summed, times the static extent.
    const all = [...a.shape.keys()];
    const cut = all.filter((i) => typeof a.shape[i] === "number" || !counted.includes(i));
    const one = cut.length ? this.slice(a, cut.map(() => 0), cut.map(() => 1), cut) : a;
    const ones = this.where(this.op1("Greater", [one, one]), one, this.scalar(1));
    const count = this.reduceSum(ones, all, false);
    const rest = staticSize(dims.filter((d) => typeof d === "number"))!;
    return rest === 1 ? count : this.mul(count, this.scalar(rest));
  }

  /**
   * Undoes broadcasting: sums `g` over the axes along which a tensor of `shape`
   * was broadcast to `g`'s shape. The one place that gradient rules do this.
   *
   * @param g A gradient of the broadcast shape.
   * @param shape The shape of the operand before broadcasting.
   * @returns `g` reduced to `shape`.
   */
  unbroadcast(g: Value, shape: Shape): Value {
    const lead = g.shape.length - shape.length;
    const inner: number[] = [];
    shape.forEach((d, i) => {
      if (d === 1 && g.shape[lead + i] !== 1) inner.push(lead + i);
    });
    let out = inner.length ? this.reduceSum(g, inner, true) : g;
    if (lead > 0) out = this.reduceSum(out, [...Array(lead).keys()], false);
    return out;
  }

  /**
   * Cuts a static box: `starts[i] <= index < ends[i]` along `axes[i]`.
   *
   * @param a Operand.
   * @param starts First index per axis.
   * @param ends One past the last index per axis.
   * @param axes The axes.
   * @returns The box.
   */
  slice(
    a: Value,
    starts: readonly number[],
    ends: readonly number[],
    axes: readonly number[],
  ): Value {
    return this.op1("Slice", [a, this.ints(starts), this.ints(ends), this.ints(axes)]);
  }

  /**
   * A 2-D convolution (stride 1) with bias: `Conv(x, kernel, bias)`. (A single-filter
   * one is emitted otherwise on the CPU: src/lower/single_filter_conv.ts.)
   *
   * @param x `[N, C, H, W]`.
   * @param kernel `[M, C, kh, kw]`.
   * @param bias `[M]`.
   * @param pads `[top, left, bottom, right]`.
   * @returns `[N, M, H', W']`.
   */
  conv(x: Value, kernel: Value, bias: Value, pads: readonly number[]): Value {
    return this.op1("Conv", [x, kernel, bias], {
      kernel_shape: kernel.shape.slice(2) as number[],
      pads,
    });
  }

  /**
   * Nearest-neighbour upsampling of `[N, C, H, W]` by an integer factor (ONNX
   * Resize; its gradient sums each `factor×factor` block).
   *
   * @param a `[N, C, H, W]` with static H and W.
   * @param factor Integer scale.
   * @returns `[N, C, H * factor, W * factor]`.
   */
  upsampleNearest(a: Value, factor: number): Value {
    const roi = this.shared("roi:empty", () => this.graph.constant(new Float32Array(0), [0]));
    const scales = this.shared(
      `scales:${factor}`,
      () => this.graph.constant(new Float32Array([1, 1, factor, factor]), [4]),
    );
    return this.op1("Resize", [a, roi, scales], {
      mode: "nearest",
      coordinate_transformation_mode: "asymmetric",
      nearest_mode: "floor",
    });
  }

  /**
   * Inserts size-1 axes.
   *
   * @param a Operand.
   * @param axes Positions in the output.
   * @returns The expanded-rank tensor.
   */
  unsqueeze(a: Value, axes: readonly number[]): Value {
    return this.op1("Unsqueeze", [a, this.ints(axes)]);
  }

  /**
   * Emits `forward` as a unit whose gradient is `vjp` (as `jax.custom_vjp`), for
   * composites whose derivative is much cheaper than differentiating their parts
   * (binary cross-entropy from logits: `sigmoid(z) - t`).
   *
   * @param inputs The values `forward` reads and `vjp` returns gradients for.
   * @param forward Emits the forward computation from `inputs`.
   * @param vjp Gradients of `inputs` from gradients of the outputs.
   * @returns The outputs of `forward`.
   */
  custom(inputs: readonly Value[], forward: (...xs: Value[]) => Value[], vjp: Vjp): Value[] {
    const first = this.graph.nodes.length;
    const outputs = forward(...inputs);
    const nodes = new Set(this.graph.nodes.slice(first).map((n) => n.id));
    this.graph.regions.push({ nodes, inputs, outputs, vjp, scope: this.graph.scope });
    return outputs;
  }

  /**
   * Runs `fn` with `rewrites` applied to every node it emits (see src/lower): a
   * node whose op a rewrite names is replaced by what the rewrite emits, when its
   * pattern matches. Replacements are emitted without rewrites.
   *
   * @param rewrites The rewrites, tried in order.
   * @param fn The body.
   * @returns What `fn` returns.
   */
  withRewrites<T>(rewrites: readonly Rewrite[], fn: () => T): T {
    const outer = this.#rewrites;
    this.#rewrites = rewrites;
    try {
      return fn();
    } finally {
      this.#rewrites = outer;
    }
  }

  /**
   * A constant made once per builder: `make` runs the first time `key` is asked for.
   *
   * @param key Names the constant among the builder's shared ones.
   * @param make Adds the constant to the graph.
   * @returns The constant.
   */
  shared(key: string, make: () => Value): Value {
    let v = this.#constants.get(key);
    if (!v) this.#constants.set(key, v = make());
    return v;
  }
}
