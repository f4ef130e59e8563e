/**
 * The graph IR: symbolic tensors ({@link Value}) produced by {@link Node}s in a
 * {@link Graph}. Shapes are static except for named (symbolic) dimensions such as
 * the batch dimension `"N"`. Names for the ONNX file are assigned by the encoder;
 * here only graph inputs, outputs and constants carry names.
 *
 * @module
 */

import { AutoencoderError } from "../errors.ts";

/** Element types the library emits (`bool` only for masks between ops). */
export type DType = "float32" | "int64" | "bool";

/** A dimension: a fixed size, or a symbol such as `"N"` for the batch. */
export type Dim = number | string;

/** A tensor shape; `[]` is a scalar. */
export type Shape = readonly Dim[];

/** An attribute value of a node. */
export type AttrValue = number | readonly number[] | string;

/** The attributes of a node, by name. */
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Where a value comes from. */
export type Source =
  | { kind: "input"; name: string }
  | { kind: "constant"; name?: string; data: Float32Array | BigInt64Array }
  | { kind: "node"; node: Node; index: number };

/** A symbolic tensor in a graph. */
export interface Value {
  /** Unique within its graph; also its creation order. */
  readonly id: number;
  /** Element type. */
  readonly dtype: DType;
  /** Shape, with symbolic dimensions as strings. */
  readonly shape: Shape;
  /** Graph input, constant, or the output of a node. */
  readonly source: Source;
  /**
   * For vectors whose entries are known when the graph is built (1-D constants,
   * `Shape` outputs): the entries, possibly symbolic.
   */
  readonly known?: readonly Dim[];
}

/** An operator application. */
export interface Node {
  /** Unique within its graph, in topological order. */
  readonly id: number;
  /** ONNX operator type, e.g. `"MatMul"`. */
  readonly op: string;
  /** Inputs, in ONNX order. */
  readonly inputs: readonly Value[];
  /** Outputs, in ONNX order. */
  readonly outputs: readonly Value[];
  /** Attributes. */
  readonly attrs: Attrs;
  /** Dotted name of the layer that emitted it, for error messages and node names. */
  readonly scope: string;
}

/**
 * A run of nodes whose gradient is given as a whole (like `jax.custom_vjp`):
 * autodiff uses `vjp` from `outputs` to `inputs` instead of differentiating the
 * nodes inside. `vjp` is typed loosely here because the rule type lives in `ops`.
 */
export interface Region {
  /** Ids of the nodes inside. */
  readonly nodes: ReadonlySet<number>;
  /** Values the region reads. */
  readonly inputs: readonly Value[];
  /** Values the region produces. */
  readonly outputs: readonly Value[];
  /** The gradient rule, an `ops` `Vjp`. */
  readonly vjp: unknown;
  /** Dotted scope where it was emitted. */
  readonly scope: string;
}

/** Type of a value before it exists. */
export interface TensorType {
  /** Element type. */
  dtype: DType;
  /** Shape. */
  shape: Shape;
  /** See {@link Value.known}. */
  known?: readonly Dim[];
}

/**
 * A computation graph under construction. Nodes are appended in topological order;
 * {@link Graph.addNode} trusts the types it is given (the op registry infers and
 * validates them), so most code builds graphs through `Builder` in `src/ops`.
 *
 * @example
 * ```ts
 * import { Graph } from "./graph.ts";
 * const g = new Graph();
 * const x = g.input("x", "float32", ["N", 784]);
 * const [y] = g.addNode("Relu", [x], {}, [{ dtype: "float32", shape: x.shape }]);
 * g.output("y", y);
 * console.assert(g.nodes.length === 1);
 * ```
 */
export class Graph {
  /** Nodes in topological order. */
  readonly nodes: Node[] = [];
  /** Graph inputs in order. */
  readonly inputs: Value[] = [];
  /** Graph outputs in order, with their names. */
  readonly outputs: { name: string; value: Value }[] = [];
  /** Constants (become ONNX initializers). */
  readonly constants: Value[] = [];
  /** Regions with a gradient of their own. */
  readonly regions: Region[] = [];
  #nextValue = 0;
  #scopes: string[] = [];

  /**
   * Declares a graph input.
   *
   * @param name Input name, unique among inputs (a dotted parameter name or `x`).
   * @param dtype Element type.
   * @param shape Shape, with symbolic dimensions as strings.
   * @returns The input value.
   */
  input(name: string, dtype: DType, shape: Shape): Value {
    if (this.inputs.some((v) => (v.source as { name: string }).name === name)) {
      throw new AutoencoderError(`Cannot declare graph input "${name}": the name is taken`, {
        kind: "bad-input",
      });
    }
    const v = this.#value({ dtype, shape }, { kind: "input", name });
    this.inputs.push(v);
    return v;
  }

  /**
   * Adds a constant tensor.
   *
   * @param data The elements, row-major.
   * @param shape Its shape (static).
   * @param name Optional name for the ONNX initializer.
   * @returns The constant value.
   */
  constant(data: Float32Array | BigInt64Array, shape: readonly number[], name?: string): Value {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new AutoencoderError(
        `Cannot add constant: ${data.length} elements do not fill shape [${shape}]`,
        { kind: "bad-input" },
      );
    }
    const dtype: DType = data instanceof Float32Array ? "float32" : "int64";
    const known = shape.length === 1 ? Array.from(data, Number) : undefined;
    const v = this.#value({ dtype, shape, known }, { kind: "constant", name, data });
    this.constants.push(v);
    return v;
  }

  /**
   * Appends a node whose output types are already inferred.
   *
   * @param op ONNX operator type.
   * @param inputs Input values.
   * @param attrs Attributes.
   * @param types One type per output.
   * @returns The output values.
   */
  addNode(op: string, inputs: readonly Value[], attrs: Attrs, types: TensorType[]): Value[] {
    const outputs: Value[] = [];
    const node: Node = { id: this.nodes.length, op, inputs, outputs, attrs, scope: this.scope };
    types.forEach((t, index) => outputs.push(this.#value(t, { kind: "node", node, index })));
    this.nodes.push(node);
    return outputs;
  }

  /**
   * Marks a value as a graph output.
   *
   * @param name Output name, unique among outputs.
   * @param value The value.
   */
  output(name: string, value: Value): void {
    if (this.outputs.some((o) => o.name === name)) {
      throw new AutoencoderError(`Cannot declare graph output "${name}": the name is taken`, {
        kind: "bad-input",
      });
    }
    this.outputs.push({ name, value });
  }

  /** The dotted name of the current scope (`""` at top level). */
  get scope(): string {
    return this.#scopes.join(".");
  }

  /**
   * Runs `fn` with `name` appended to the scope, so that nodes and errors name the
   * layer that emitted them.
   *
   * @param name Scope segment, e.g. `"encoder.0"`.
   * @param fn The body.
   * @returns What `fn` returns.
   */
  withScope<T>(name: string, fn: () => T): T {
    this.#scopes.push(name);
    try {
      return fn();
    } finally {
      this.#scopes.pop();
    }
  }

  #value(t: TensorType, source: Source): Value {
    return { id: this.#nextValue++, dtype: t.dtype, shape: t.shape, known: t.known, source };
  }
}

/**
 * Formats a shape for messages: `[N, 784]`.
 *
 * @param shape The shape.
 * @returns Its text.
 */
export function showShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Number of elements of a static shape, or `undefined` when a dimension is symbolic.
 *
 * @param shape The shape.
 * @returns The element count.
 */
export function staticSize(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    n *= d;
  }
  return n;
}
