/**
 * ONNX `ModelProto` encoding and decoding. This is the only place where
 * intermediate values get names; graph inputs, outputs and named constants keep
 * theirs (stable dotted parameter names such as `encoder.0.kernel`).
 *
 * @module
 */

import { AutoencoderError, quote } from "../errors.ts";
import type { AttrValue, DType, Graph, Shape, Value } from "../ir/graph.ts";
import { lower } from "../lower/lower.ts";
import type { Provider } from "../lower/rewrite.ts";
import { OPSET, type OpType, registry } from "../ops/registry.ts";
import { AttributeType, DataType, IR_VERSION, ModelProto } from "./schema.ts";

/** Library name and version written into every model as its producer. */
export const PRODUCER = { name: "@autoencoders/onnx", version: "0.1.0" } as const;

/** Options of {@link encodeModel}. */
export interface EncodeOptions {
  /** Graph name. */
  name?: string;
  /** Key-value metadata stored in the model (`metadata_props`). */
  metadata?: Record<string, string>;
  /**
   * Float32 tensors stored as initializers although no node reads them (the
   * optimizer state in checkpoints); ONNX runtimes ignore them.
   */
  extraInitializers?: ReadonlyMap<string, { dims: readonly number[]; data: Float32Array }>;
  /**
   * The provider whose rewrites lower the graph (src/lower), or `"none"` to encode
   * the graph as built. Default `"cpu"`, whose graphs also run wholly on WebGPU.
   */
  provider?: Provider | "none";
}

/**
 * Serialises a graph as an ONNX model (opset {@link OPSET}, IR version 8), lowered
 * for a provider. Nodes that no output depends on are left out.
 *
 * @param plain The graph; its outputs must be declared.
 * @param options Name, metadata and provider.
 * @returns The model's bytes.
 *
 * @example
 * ```ts
 * import { Builder } from "../ops/builder.ts";
 * import { decodeModel, encodeModel } from "./model.ts";
 * const b = new Builder();
 * b.graph.output("y", b.relu(b.graph.input("x", "float32", ["N", 2])));
 * const bytes = encodeModel(b.graph, { name: "relu" });
 * console.assert(decodeModel(bytes).outputs[0].name === "y");
 * ```
 */
export function encodeModel(plain: Graph, options: EncodeOptions = {}): Uint8Array {
  const provider = options.provider ?? "cpu";
  const graph = provider === "none" ? plain : lower(plain, provider);
  const names = nameValues(graph);
  const nodes = encodeNodes(graph, names);
  const message = {
    irVersion: IR_VERSION,
    opsetImport: opsetImports(nodes),
    producerName: PRODUCER.name,
    producerVersion: PRODUCER.version,
    graph: {
      name: options.name ?? "graph",
      node: nodes,
      input: graph.inputs.map((v) => valueInfo(names.nameOf(v), v.dtype, v.shape)),
      output: graph.outputs.map(({ name, value }) => valueInfo(name, value.dtype, value.shape)),
      initializer: encodeInitializers(
        graph,
        names,
        new Set(nodes.flatMap((n) => n.input)),
        options.extraInitializers,
      ),
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

/** ONNX's opset, and version 1 of every other domain the nodes use (ORT's contrib ops). */
function opsetImports(nodes: readonly { domain: string }[]) {
  const others = [...new Set(nodes.map((n) => n.domain).filter((d) => d !== ""))];
  return [{ domain: "", version: OPSET }, ...others.map((domain) => ({ domain, version: 1 }))];
}

/** The names of a graph's values in its model. */
interface ModelNames {
  /** A value's name; an intermediate value's (`t<id>`) is made when first asked for. */
  nameOf(v: Value): string;
  /** The names of the inputs, the named constants and the outputs. */
  taken: Set<string>;
  /** Outputs written by an Identity node: an input, a constant, or a value output twice. */
  identities: { from: Value; to: string }[];
}

function usedTwice(name: string): AutoencoderError {
  return new AutoencoderError(`Cannot encode model: the name "${name}" is used twice`, {
    kind: "bad-input",
  });
}

/** Names the inputs, constants and outputs of a graph; a name used twice is an error. */
function nameValues(graph: Graph): ModelNames {
  const names = new Map<number, string>();
  const taken = new Set<string>();
  const claim = (v: Value, name: string) => {
    if (taken.has(name)) throw usedTwice(name);
    taken.add(name);
    names.set(v.id, name);
  };
  for (const v of graph.inputs) claim(v, (v.source as { name: string }).name);
  graph.constants.forEach((v, i) => {
    const name = (v.source as { name?: string }).name;
    if (name) claim(v, name);
    else names.set(v.id, `const.${i}`);
  });

  // Outputs take over the names of the values they are; an input, a constant or a
  // value output twice goes through an Identity node instead.
  const identities: { from: Value; to: string }[] = [];
  for (const { name, value } of graph.outputs) {
    if (value.source.kind === "node" && !names.has(value.id)) claim(value, name);
    else {
      taken.add(name);
      identities.push({ from: value, to: name });
    }
  }
  const nameOf = (v: Value) => {
    let name = names.get(v.id);
    if (!name) names.set(v.id, name = `t${v.id}`);
    return name;
  };
  return { nameOf, taken, identities };
}

/** The `NodeProto`s of the nodes some output depends on, then the outputs' Identity nodes. */
function encodeNodes(graph: Graph, { nameOf, identities }: ModelNames) {
  const live = liveNodes(graph);
  const nodes = graph.nodes.filter((n) => live.has(n.id)).map((n) => ({
    name: `${n.scope ? n.scope + "/" : ""}${n.op}.${n.id}`,
    opType: registry[n.op as OpType].onnxType ?? n.op,
    domain: registry[n.op as OpType].domain ?? "",
    input: n.inputs.map(nameOf),
    output: n.outputs.map(nameOf),
    attribute: Object.entries(n.attrs).map(([name, value]) => encodeAttribute(n.op, name, value)),
  }));
  for (const { from, to } of identities) {
    nodes.push({
      name: `output/${to}`,
      opType: "Identity",
      input: [nameOf(from)],
      output: [to],
      attribute: [],
      domain: "",
    });
  }
  return nodes;
}

/** An `AttributeProto`, of the type the op's record declares. */
function encodeAttribute(op: string, name: string, value: AttrValue) {
  const type = registry[op as OpType].attrs[name];
  switch (type) {
    case "int":
      return { name, type: AttributeType.INT, i: value as number };
    case "float":
      return { name, type: AttributeType.FLOAT, f: value as number };
    case "ints":
      return { name, type: AttributeType.INTS, ints: value as number[] };
    default:
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value as string) };
  }
}

/** The constants the nodes read, then the extra initializers (whose names must be new). */
function encodeInitializers(
  graph: Graph,
  { nameOf, taken }: ModelNames,
  used: ReadonlySet<string>,
  extra: EncodeOptions["extraInitializers"],
) {
  return graph.constants
    .filter((v) => used.has(nameOf(v)))
    .map((v) => {
      const data = (v.source as { data: Float32Array | BigInt64Array }).data;
      return {
        name: nameOf(v),
        dims: v.shape as number[],
        dataType: data instanceof Float32Array ? DataType.FLOAT : DataType.INT64,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      };
    })
    .concat(
      [...(extra ?? [])].map(([name, { dims, data }]) => {
        if (taken.has(name)) throw usedTwice(name);
        return {
          name,
          dims: [...dims],
          dataType: DataType.FLOAT,
          rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        };
      }),
    );
}

function valueInfo(name: string, dtype: DType, shape: Shape) {
  return {
    name,
    type: {
      tensorType: {
        elemType: { float32: DataType.FLOAT, int64: DataType.INT64, bool: DataType.BOOL }[dtype],
        shape: {
          dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function liveNodes(graph: Graph): Set<number> {
  const needed = new Set(graph.outputs.map((o) => o.value.id));
  const live = new Set<number>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (n.outputs.some((o) => needed.has(o.id))) {
      live.add(n.id);
      n.inputs.forEach((v) => needed.add(v.id));
    }
  }
  return live;
}

/** A graph input or output of a decoded model. */
export interface TensorInfo {
  /** Name. */
  name: string;
  /** Element type (`"other"` for types the library does not emit). */
  dtype: DType | "other";
  /** Shape; symbolic dimensions as strings. */
  shape: (number | string)[];
}

/** What {@link decodeModel} reads from a model. */
export interface DecodedModel {
  /** Graph inputs. */
  inputs: TensorInfo[];
  /** Graph outputs. */
  outputs: TensorInfo[];
  /** Float32 initializers by name. */
  initializers: Map<string, { dims: number[]; data: Float32Array }>;
  /** `metadata_props`. */
  metadata: Record<string, string>;
  /** Operator types used, in node order. */
  ops: string[];
}

/**
 * Reads an ONNX model's interface, float32 initializers and metadata.
 *
 * @param bytes The model file's bytes.
 * @param file Names the file in error messages.
 * @returns The decoded parts.
 *
 * @example
 * ```ts
 * import { decodeModel } from "./model.ts";
 * try {
 *   decodeModel(new Uint8Array([1, 2, 3]), "junk.onnx");
 * } catch (e) {
 *   console.assert(String(e).includes("junk.onnx"));
 * }
 * ```
 */
export function decodeModel(bytes: Uint8Array, file = "model"): DecodedModel {
  const m = parseModel(bytes, file);
  const initializers = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const t of m.graph.initializer as InitializerObject[]) {
    if (t.dataType !== DataType.FLOAT) continue;
    initializers.set(t.name, { dims: t.dims, data: initializerData(t, file) });
  }
  const inputs: ValueInfoObject[] = m.graph.input.filter((vi: { name: string }) =>
    !initializers.has(vi.name)
  );
  return {
    inputs: inputs.map(tensorInfo),
    outputs: m.graph.output.map(tensorInfo),
    initializers,
    metadata: Object.fromEntries(
      m.metadataProps.map((p: { key: string; value: string }) => [p.key, p.value]),
    ),
    ops: m.graph.node.map((n: { opType: string }) => n.opType),
  };
}

/** A `ModelProto` as a plain object; an error says the file is not a whole model. */
// deno-lint-ignore no-explicit-any
function parseModel(bytes: Uint8Array, file: string): any {
  // deno-lint-ignore no-explicit-any
  let m: any;
  try {
    m = ModelProto.toObject(ModelProto.decode(bytes), {
      longs: Number,
      defaults: true,
      bytes: Uint8Array,
    });
  } catch (cause) {
    throw new AutoencoderError(
      `Cannot read ONNX model ${
        quote(file)
      }: the file is not a valid ONNX model; check that it is an .onnx file, whole (save or download it again)`,
      { cause, kind: "io" },
    );
  }
  if (!m.graph) {
    throw new AutoencoderError(
      `Cannot read ONNX model ${
        quote(file)
      }: the file has no graph; check that it is an .onnx file, whole (save or download it again)`,
      { kind: "io" },
    );
  }
  return m;
}

/** A `ValueInfoProto` as a plain object. */
interface ValueInfoObject {
  name: string;
  type?: {
    tensorType?: {
      elemType: number;
      shape?: { dim: { dimValue?: number; dimParam?: string }[] };
    };
  };
}

function tensorInfo(vi: ValueInfoObject): TensorInfo {
  const t = vi.type?.tensorType;
  const dtype = t?.elemType === DataType.FLOAT
    ? "float32"
    : t?.elemType === DataType.INT64
    ? "int64"
    : "other";
  return {
    name: vi.name,
    dtype,
    shape: (t?.shape?.dim ?? []).map((d) => d.dimParam || (d.dimValue ?? 0)),
  };
}

/** A float `TensorProto` as a plain object. */
interface InitializerObject {
  name: string;
  dataType: number;
  dims: number[];
  dataLocation: number;
  rawData: Uint8Array;
  floatData: number[];
}

/** The values of a float initializer; an error says what is wrong with the file. */
function initializerData(t: InitializerObject, file: string): Float32Array {
  const size = t.dims.reduce((a: number, b: number) => a * b, 1);
  if (t.dataLocation === 1) { // EXTERNAL: the values are in another file
    throw new AutoencoderError(
      `Cannot read ONNX model "${file}": initializer "${t.name}" keeps its values in an external data file, which this library does not read; save the model with its weights inside (onnx.save with save_as_external_data=False)`,
      { kind: "io" },
    );
  }
  if (t.rawData.length) {
    if (t.rawData.length !== size * 4) {
      throw new AutoencoderError(
        `Cannot read ONNX model ${quote(file)}: initializer ${
          quote(t.name)
        } holds ${t.rawData.length} bytes, expected ${
          size * 4
        }; the file is corrupt (save or download it again)`,
        { kind: "io" },
      );
    }
    return new Float32Array(new Uint8Array(t.rawData).buffer); // a copy, aligned
  }
  if (t.floatData.length !== size) {
    throw new AutoencoderError(
      `Cannot read ONNX model ${quote(file)}: initializer ${
        quote(t.name)
      } holds ${t.floatData.length} values, expected ${size}; the file is corrupt (save or download it again)`,
      { kind: "io" },
    );
  }
  return Float32Array.from(t.floatData);
}
