/**
 * ONNX tensor element types (TensorProto.DataType): names and storage sizes.
 */
export interface DataTypeInfo {
  /** The TensorProto.DataType number. */
  readonly id: number;
  /** ONNX's enum name, e.g. FLOAT16. */
  readonly name: string;
  /** The lower-case name ONNX Runtime's JS API uses, e.g. 'float16'; undefined where ORT JS has none. */
  readonly ortName?: string;
  /** Bits per element in raw_data (4 for INT4/UINT4/FLOAT4E2M1; 0 for STRING). */
  readonly bits: number;
  readonly isFloat: boolean;
}

const T = (id: number, name: string, bits: number, isFloat: boolean, ortName?: string): DataTypeInfo => ({ id, name, bits, isFloat, ortName });

export const DATA_TYPES: readonly DataTypeInfo[] = [
  T(0, 'UNDEFINED', 0, false),
  T(1, 'FLOAT', 32, true, 'float32'),
  T(2, 'UINT8', 8, false, 'uint8'),
  T(3, 'INT8', 8, false, 'int8'),
  T(4, 'UINT16', 16, false, 'uint16'),
  T(5, 'INT16', 16, false, 'int16'),
  T(6, 'INT32', 32, false, 'int32'),
  T(7, 'INT64', 64, false, 'int64'),
  T(8, 'STRING', 0, false, 'string'),
  T(9, 'BOOL', 8, false, 'bool'),
  T(10, 'FLOAT16', 16, true, 'float16'),
  T(11, 'DOUBLE', 64, true, 'float64'),
  T(12, 'UINT32', 32, false, 'uint32'),
  T(13, 'UINT64', 64, false, 'uint64'),
  T(14, 'COMPLEX64', 64, false),
  T(15, 'COMPLEX128', 128, false),
  T(16, 'BFLOAT16', 16, true),
  T(17, 'FLOAT8E4M3FN', 8, true),
  T(18, 'FLOAT8E4M3FNUZ', 8, true),
  T(19, 'FLOAT8E5M2', 8, true),
  T(20, 'FLOAT8E5M2FNUZ', 8, true),
  T(21, 'UINT4', 4, false, 'uint4'),
  T(22, 'INT4', 4, false, 'int4'),
  T(23, 'FLOAT4E2M1', 4, true),
  T(24, 'FLOAT8E8M0', 8, true),
];

const BY_ID = new Map(DATA_TYPES.map((t) => [t.id, t]));

/** The info for a DataType number, or undefined for numbers this schema does not know. */
export function dataTypeInfo(id: number): DataTypeInfo | undefined {
  return BY_ID.get(id);
}

/** `FLOAT16`, or `DataType(99)` for an unknown number. */
export function dataTypeName(id: number): string {
  return BY_ID.get(id)?.name ?? `DataType(${id})`;
}

/** Bytes that `count` elements of type `id` take in raw_data (sub-byte types round up). */
export function rawByteLength(id: number, count: number): number | undefined {
  const info = BY_ID.get(id);
  if (!info || info.bits === 0) return undefined;
  return Math.ceil((count * info.bits) / 8);
}

/**
 * The float types ONNX's arithmetic ops compute in: the T of ThresholdedRelu-22
 * (and Relu, Add, Conv…): FLOAT, DOUBLE, FLOAT16, BFLOAT16. The float8/float4
 * types are storage formats, not among them.
 */
export const ARITHMETIC_FLOAT_TYPES: readonly number[] = [1, 11, 10, 16];

/** Whether `id` is one of ARITHMETIC_FLOAT_TYPES. */
export function isArithmeticFloat(id: number | undefined): boolean {
  return id !== undefined && ARITHMETIC_FLOAT_TYPES.includes(id);
}
