/**
 * A runtime-neutral tensor: what backends take and return. Field names follow
 * onnxruntime-common's Tensor (`type`, `data`, `dims`), so an ORT tensor is one.
 */
export type TensorType = 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'string';

export type TensorData = Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | string[];

export interface TensorLike {
  readonly type: TensorType | string;
  readonly data: TensorData | ArrayLike<number> | ArrayLike<bigint>;
  readonly dims: readonly number[];
}

/** ONNX DataType number → the runtime type name, for the types runtimes take as inputs. */
export const ONNX_TO_TENSOR_TYPE: Readonly<Record<number, TensorType>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
