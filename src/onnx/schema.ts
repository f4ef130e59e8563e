/**
 * The subset of `onnx.proto` the library reads and writes, as a protobufjs JSON
 * descriptor (field numbers as in the ONNX specification).
 *
 * @module
 */

import protobuf from "protobufjs";

const repeated = (type: string, id: number) => ({ rule: "repeated", type, id });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            opsetImport: repeated("OperatorSetIdProto", 8),
            producerName: { type: "string", id: 2 },
            producerVersion: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            modelVersion: { type: "int64", id: 5 },
            docString: { type: "string", id: 6 },
            graph: { type: "GraphProto", id: 7 },
            metadataProps: repeated("StringStringEntryProto", 14),
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } },
        },
        StringStringEntryProto: {
          fields: { key: { type: "string", id: 1 }, value: { type: "string", id: 2 } },
        },
        GraphProto: {
          fields: {
            node: repeated("NodeProto", 1),
            name: { type: "string", id: 2 },
            initializer: repeated("TensorProto", 5),
            docString: { type: "string", id: 10 },
            input: repeated("ValueInfoProto", 11),
            output: repeated("ValueInfoProto", 12),
            valueInfo: repeated("ValueInfoProto", 13),
          },
        },
        NodeProto: {
          fields: {
            input: repeated("string", 1),
            output: repeated("string", 2),
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            domain: { type: "string", id: 7 },
            attribute: repeated("AttributeProto", 5),
            docString: { type: "string", id: 6 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            type: { type: "int32", id: 20 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            floats: repeated("float", 7),
            ints: repeated("int64", 8),
            strings: repeated("bytes", 9),
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: "string", id: 1 },
            type: { type: "TypeProto", id: 2 },
            docString: { type: "string", id: 3 },
          },
        },
        TypeProto: {
          fields: { tensorType: { type: "TensorTypeProto", id: 1 } },
        },
        TensorTypeProto: {
          fields: {
            elemType: { type: "int32", id: 1 },
            shape: { type: "TensorShapeProto", id: 2 },
          },
        },
        TensorShapeProto: { fields: { dim: repeated("Dimension", 1) } },
        Dimension: {
          oneofs: { value: { oneof: ["dimValue", "dimParam"] } },
          fields: {
            dimValue: { type: "int64", id: 1 },
            dimParam: { type: "string", id: 2 },
          },
        },
        TensorProto: {
          fields: {
            dims: repeated("int64", 1),
            dataType: { type: "int32", id: 2 },
            floatData: repeated("float", 4),
            int32Data: repeated("int32", 5),
            int64Data: repeated("int64", 7),
            name: { type: "string", id: 8 },
            rawData: { type: "bytes", id: 9 },
            doubleData: repeated("double", 10),
            dataLocation: { type: "int32", id: 14 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

/** The `onnx.ModelProto` message type. */
export const ModelProto: protobuf.Type = root.lookupType("onnx.ModelProto");

/** ONNX `TensorProto.DataType` codes the library uses. */
export const DataType = { FLOAT: 1, INT64: 7, BOOL: 9 } as const;

/** ONNX `AttributeProto.AttributeType` codes the library uses. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

/** The IR version written (ONNX 1.12; the checker and every ORT 1.30 build read it). */
export const IR_VERSION = 8;
