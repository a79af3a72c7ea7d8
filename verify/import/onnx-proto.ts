/**
 * The part of the ONNX protobuf schema that a ViT import reads, written from the ONNX IR specification
 * (onnx/IR.md, field numbers as the spec assigns them), decoded with protobufjs. Only what the importer
 * needs: the graph's nodes, initializers, inputs and outputs, node attributes and tensor data (raw_data or
 * the typed repeated fields). Sparse initializers and external data are detected and refused.
 */
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto2";
package ivit_onnx;

message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}

message SparseTensorProto { optional TensorProto values = 1; }

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
}

message AttributeProto {
  optional string name = 1;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}

message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  optional Tensor tensor_type = 1;
}
message TensorShapeProto {
  message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; }
  repeated Dimension dim = 1;
}
`;

/** protobufjs gives int64 fields as Long objects (or numbers when small). */
export interface LongLike {
  toNumber(): number;
}
export type Int64 = number | LongLike;

export interface OnnxStringEntry {
  key: string;
  value: string;
}
export interface OnnxTensorProto {
  dims: Int64[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  int64_data: Int64[];
  name: string;
  raw_data: Uint8Array;
  double_data: number[];
  external_data: OnnxStringEntry[];
  data_location: number;
}
export interface OnnxAttributeProto {
  name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: OnnxTensorProto | null;
  g?: OnnxGraphProto | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
}
export interface OnnxNodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: OnnxAttributeProto[];
}
export interface OnnxValueInfoProto {
  name: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim: Array<{ dim_value?: Int64 | null; dim_param?: string | null }> } | null } | null } | null;
}
export interface OnnxGraphProto {
  node: OnnxNodeProto[];
  name: string;
  initializer: OnnxTensorProto[];
  sparse_initializer: unknown[];
  input: OnnxValueInfoProto[];
  output: OnnxValueInfoProto[];
}
export interface OnnxModelProto {
  ir_version: Int64;
  opset_import: Array<{ domain: string; version: Int64 }>;
  producer_name: string;
  producer_version: string;
  graph?: OnnxGraphProto | null;
  metadata_props: OnnxStringEntry[];
}

/** TensorProto.DataType values the importer reads. */
export const ONNX_DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT16: 5, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;

let modelType: protobuf.Type | undefined;

/** Decode an ONNX ModelProto. Throws protobufjs's error on malformed or truncated bytes. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModelProto {
  modelType ??= protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('ivit_onnx.ModelProto');
  // the decoded message has exactly the fields of SCHEMA, which the interfaces above restate
  return modelType.decode(bytes) as unknown as OnnxModelProto;
}

export function int64(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
