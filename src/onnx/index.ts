/** The ONNX codec: decoding, encoding, external-data rules. Browser-safe (no Node built-ins). */
export { onnx, AttributeType, DataType, DataLocation } from './proto.js';
export type { ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, SparseTensorProto, ValueInfoProto, TypeProto, FunctionProto } from './proto.js';
export { decodeModel, has, type DecodeOptions } from './decode.js';
export { encodeModel, encodeModelChunked, encodedSize, MAX_PROTO_BYTES, type ChunkedEncodeOptions } from './encode.js';
export { checkExternalLocation, externalDataInfo, externalDataEntries, isExternal, type ExternalDataInfo } from './external-data.js';
export { DATA_TYPES, dataTypeInfo, dataTypeName, rawByteLength, type DataTypeInfo } from './dtypes.js';
export { forEachMessage, mapMessages, cloneShallow } from './walk.js';
export { makeTensor, tensorToFloat32, type TensorData } from './tensor.js';
