/**
 * A parameter's value as a feed, from its TensorProto: raw_data of any size
 * (resnet18's 2.4M-element convolutions included), the typed fields, and
 * external data through a reader the caller gives (Node: readExternalBytes),
 * so that no float initializer is refused for its size or its storage.
 */
import Long from 'long';
import { TreluError } from '../errors.js';
import { DataType, type TensorProto } from '../onnx/proto.js';
import { has } from '../onnx/decode.js';
import { isExternal } from '../onnx/external-data.js';
import type { TensorLike } from '../runtime/tensor.js';

/** Reads the bytes of a tensor stored as external data. */
export type ExternalReader = (tensor: TensorProto) => Uint8Array;

const LAYOUT: Record<number, [string, number, (b: ArrayBuffer) => TensorLike['data']]> = {
  [DataType.FLOAT]: ['float32', 4, (b) => new Float32Array(b)],
  [DataType.DOUBLE]: ['float64', 8, (b) => new Float64Array(b)],
  [DataType.FLOAT16]: ['float16', 2, (b) => new Uint16Array(b)],
};

export function parameterValue(name: string, t: TensorProto, readExternal?: ExternalReader): TensorLike {
  const layout = LAYOUT[t.dataType];
  if (!layout) throw new TreluError('E_UNSUPPORTED', `parameter '${name}' has element type ${DataType[t.dataType] ?? t.dataType}; parameters are float32, float64 or float16`);
  const [type, size, view] = layout;
  const dims = t.dims.map((d) => Long.fromValue(d).toNumber());
  const count = dims.reduce((a, b) => a * b, 1);
  let bytes: Uint8Array | undefined;
  if (isExternal(t)) {
    if (!readExternal) throw new TreluError('E_EXTERNAL_DATA', `parameter '${name}' is stored as external data and no reader was given`, { hint: 'load the model from its file (its external data sits beside it)' });
    bytes = readExternal(t);
  } else if (has(t, 'rawData')) bytes = t.rawData;
  if (bytes) {
    if (bytes.byteLength !== count * size) throw new TreluError('E_DECODE', `parameter '${name}': ${bytes.byteLength} bytes of data for ${count} ${type} element(s)`);
    return { type, data: view(bytes.slice().buffer), dims };
  }
  const typed = t.dataType === DataType.FLOAT ? Float32Array.from(t.floatData)
    : t.dataType === DataType.DOUBLE ? Float64Array.from(t.doubleData)
      : Uint16Array.from(t.int32Data);
  if (typed.length !== count) throw new TreluError('E_DECODE', `parameter '${name}': ${typed.length} value(s) for shape [${dims.join(', ')}]`);
  return { type, data: typed, dims };
}
