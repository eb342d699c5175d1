/** Between ONNX TensorProtos and the checkpoint's tensors (the same DataType numbers, raw little-endian bytes). */
import Long from 'long';
import { TreluError } from '../../errors.js';
import { onnx, DataType, type TensorProto } from '../../onnx/proto.js';
import { has } from '../../onnx/decode.js';
import { isExternal } from '../../onnx/external-data.js';
import { rawByteLength, dataTypeName } from '../../onnx/dtypes.js';
import type { CheckpointTensor } from './checkpoint.js';

const toNumber = (d: number | Long) => (typeof d === 'number' ? d : Long.fromValue(d).toNumber());

/** The tensor's bytes as raw_data holds them, from raw_data or the typed fields. */
export function tensorProtoBytes(t: TensorProto): Uint8Array {
  if (isExternal(t)) throw new TreluError('E_UNSUPPORTED', `tensor '${t.name}' is stored in an external file; load the model with its external data first`);
  if (has(t, 'rawData')) return Uint8Array.prototype.slice.call(t.rawData);
  const dims = t.dims.map(toNumber);
  const count = dims.reduce((a, b) => a * b, 1);
  const typed = (): ArrayLike<number | Long> | undefined => {
    switch (t.dataType) {
      case DataType.FLOAT: return t.floatData;
      case DataType.DOUBLE: return t.doubleData;
      case DataType.INT64: return t.int64Data;
      case DataType.INT32: case DataType.INT16: case DataType.INT8: case DataType.UINT8: case DataType.UINT16: case DataType.BOOL: case DataType.FLOAT16: case DataType.BFLOAT16: return t.int32Data;
      default: return undefined;
    }
  };
  const values = typed();
  if (!values) throw new TreluError('E_UNSUPPORTED', `tensor '${t.name}': ${dataTypeName(t.dataType)} is not supported in a checkpoint`);
  if (values.length !== count) throw new TreluError('E_GRAPH', `tensor '${t.name}' has ${values.length} values for shape [${dims.join(',')}]`);
  const out = new Uint8Array(rawByteLength(t.dataType, count)!);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    switch (t.dataType) {
      case DataType.FLOAT: view.setFloat32(4 * i, Number(v), true); break;
      case DataType.DOUBLE: view.setFloat64(8 * i, Number(v), true); break;
      case DataType.INT64: view.setBigInt64(8 * i, BigInt(Long.fromValue(v as Long).toString()), true); break;
      case DataType.INT32: view.setInt32(4 * i, Number(v), true); break;
      case DataType.INT16: case DataType.UINT16: case DataType.FLOAT16: case DataType.BFLOAT16: view.setUint16(2 * i, Number(v) & 0xffff, true); break;
      default: view.setUint8(i, Number(v) & 0xff);
    }
  }
  return out;
}

export function checkpointTensorFromProto(t: TensorProto, name = t.name): CheckpointTensor {
  return { name, dataType: t.dataType, dims: t.dims.map(toNumber), data: tensorProtoBytes(t) };
}

export function tensorProtoFromCheckpoint(t: CheckpointTensor): TensorProto {
  return onnx.TensorProto.create({ name: t.name, dataType: t.dataType, dims: t.dims.map((d) => Long.fromNumber(d)), rawData: t.data.slice() }) as TensorProto;
}

/** A zero tensor shaped like `t` (moment buffers start at zero). */
export function zerosLike(t: CheckpointTensor, name: string): CheckpointTensor {
  return { name, dataType: t.dataType, dims: [...t.dims], data: new Uint8Array(t.data.length) };
}

/** float32 values of a checkpoint tensor (copied). */
export function checkpointFloat32(t: CheckpointTensor): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new TreluError('E_UNSUPPORTED', `tensor '${t.name}' is ${dataTypeName(t.dataType)}, not FLOAT`);
  const copy = t.data.slice();
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}
