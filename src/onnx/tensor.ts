/** Creating TensorProtos from typed arrays and reading them back. */
import Long from 'long';
import { TreluError } from '../errors.js';
import { onnx, DataType, type TensorProto } from './proto.js';
import { has } from './decode.js';
import { isExternal } from './external-data.js';

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array | Int16Array;

function littleEndianBytes(data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Every platform Node and browsers run on today is little-endian; check rather than assume.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('big-endian hosts are not supported');
  return bytes.slice();
}

/** A TensorProto with `data` in raw_data (copied). `dataType` defaults from the array type. */
export function makeTensor(name: string, dims: readonly number[], data: TensorData, dataType = defaultDataType(data)): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new TreluError('E_USAGE', `tensor '${name}': ${data.length} values for shape [${dims.join(',')}]`);
  return onnx.TensorProto.create({
    name,
    dims: dims.map((d) => Long.fromNumber(d)),
    dataType,
    rawData: littleEndianBytes(data),
  }) as TensorProto;
}

function defaultDataType(data: TensorData): number {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Float64Array) return DataType.DOUBLE;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof BigInt64Array) return DataType.INT64;
  if (data instanceof Int8Array) return DataType.INT8;
  if (data instanceof Uint16Array) return DataType.FLOAT16;
  if (data instanceof Int16Array) return DataType.INT16;
  return DataType.UINT8;
}

/** A tensor's float32 values (raw_data or float_data). */
export function tensorToFloat32(t: TensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new TreluError('E_UNSUPPORTED', `tensor '${t.name}' is not float32`);
  if (isExternal(t)) throw new TreluError('E_UNSUPPORTED', `tensor '${t.name}' is external; load its bytes first`);
  if (has(t, 'rawData')) {
    const copy = Uint8Array.prototype.slice.call(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}
