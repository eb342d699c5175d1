/**
 * The elements of small constant tensors (initializers, Constant nodes), as
 * inference follows them: shapes, axes, pads, scales. Never reads external
 * data, never a tensor of more than MAX_PROPAGATED elements.
 */
import Long from 'long';
import { AttributeType, DataType, type TensorProto } from '../../onnx/proto.js';
import { has } from '../../onnx/decode.js';
import { isExternal } from '../../onnx/external-data.js';
import type { Node } from '../node.js';
import { MAX_PROPAGATED, type Dim, type TensorInfo } from './types.js';

const RAW: Partial<Record<number, [bytes: number, read: (dv: DataView, at: number) => number]>> = {
  [DataType.INT64]: [8, (dv, at) => Number(dv.getBigInt64(at, true))],
  [DataType.INT32]: [4, (dv, at) => dv.getInt32(at, true)],
  [DataType.INT16]: [2, (dv, at) => dv.getInt16(at, true)],
  [DataType.INT8]: [1, (dv, at) => dv.getInt8(at)],
  [DataType.UINT8]: [1, (dv, at) => dv.getUint8(at)],
  [DataType.UINT16]: [2, (dv, at) => dv.getUint16(at, true)],
  [DataType.UINT32]: [4, (dv, at) => dv.getUint32(at, true)],
  [DataType.UINT64]: [8, (dv, at) => Number(dv.getBigUint64(at, true))],
  [DataType.FLOAT]: [4, (dv, at) => dv.getFloat32(at, true)],
  [DataType.DOUBLE]: [8, (dv, at) => dv.getFloat64(at, true)],
  [DataType.BOOL]: [1, (dv, at) => dv.getUint8(at)],
};

/** Elements of a small numeric tensor, or undefined (too big, external, of a type not followed). */
export function tensorElements(t: TensorProto | undefined | null): number[] | undefined {
  if (!t || isExternal(t)) return undefined;
  const count = t.dims.reduce((p: number, d) => p * Long.fromValue(d).toNumber(), 1);
  if (count > MAX_PROPAGATED || t.dims.length > 1) return undefined;
  const raw = RAW[t.dataType];
  if (!raw) return undefined;
  let out: number[];
  if (has(t, 'rawData')) {
    const [bytes, read] = raw;
    if (t.rawData.length !== count * bytes) return undefined;
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    out = Array.from({ length: count }, (_, i) => read(dv, i * bytes));
  } else if (t.dataType === DataType.INT64) out = t.int64Data.map((v) => Long.fromValue(v).toNumber());
  else if (t.dataType === DataType.UINT64) out = t.uint64Data.map((v) => Long.fromValue(v).toNumber());
  else if (t.dataType === DataType.FLOAT) out = [...t.floatData];
  else if (t.dataType === DataType.DOUBLE) out = [...t.doubleData];
  else out = [...t.int32Data];
  return out.length === count ? out : undefined;
}

/** What a TensorProto is: its type, shape and (when small) its elements. */
export function tensorInfo(t: TensorProto): TensorInfo {
  return { elemType: t.dataType, shape: t.dims.map((d) => Long.fromValue(d).toNumber()), value: tensorElements(t) };
}

/** The tensor a Constant node holds in `value`, or the equivalent of its value_* attributes. */
export function constantNodeInfo(node: Node): TensorInfo | undefined {
  for (const a of node.attributes) {
    switch (a.name) {
      case 'value': return a.type === AttributeType.TENSOR && a.t ? tensorInfo(a.t as TensorProto) : undefined;
      case 'value_float': return { elemType: DataType.FLOAT, shape: [], value: [a.f] };
      case 'value_int': return { elemType: DataType.INT64, shape: [], value: [Long.fromValue(a.i).toNumber()] };
      case 'value_floats': return { elemType: DataType.FLOAT, shape: [a.floats.length], value: a.floats.length <= MAX_PROPAGATED ? [...a.floats] : undefined };
      case 'value_ints': return { elemType: DataType.INT64, shape: [a.ints.length], value: a.ints.length <= MAX_PROPAGATED ? a.ints.map((i) => Long.fromValue(i).toNumber()) : undefined };
      case 'value_string': return { elemType: DataType.STRING, shape: [] };
      case 'value_strings': return { elemType: DataType.STRING, shape: [a.strings.length] };
      case 'sparse_value': {
        const s = a.sparseTensor;
        return s?.dims ? { elemType: s.values?.dataType, shape: s.dims.map((d) => Long.fromValue(d).toNumber()) } : undefined;
      }
      default:
    }
  }
  return undefined;
}

/** Numbers of a propagated value, when all are known. */
export function numbersOf(value: readonly Dim[] | undefined): number[] | undefined {
  return value && value.every((d) => typeof d === 'number') ? (value as number[]) : undefined;
}
