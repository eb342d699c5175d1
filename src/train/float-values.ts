/**
 * Numbers written in one of the float element types a gradient can have:
 * float32 and float64 as themselves, float16 and bfloat16 as their bits. The
 * constants the backward pass writes in its tensors' own types (rules' scalars,
 * fold-casts' folded CastLikes) all go through it.
 */
import { DataType } from '../onnx/proto.js';
import { numberToBfloat16, numberToFloat16 } from '../ops/float16.js';

/** `values` as a typed array of `elemType`, or undefined where that is not a float type. */
export function floatValues(values: readonly number[], elemType: number): Float32Array | Float64Array | Uint16Array | undefined {
  switch (elemType) {
    case DataType.FLOAT: return Float32Array.from(values);
    case DataType.DOUBLE: return Float64Array.from(values);
    case DataType.FLOAT16: return Uint16Array.from(values, numberToFloat16);
    case DataType.BFLOAT16: return Uint16Array.from(values, numberToBfloat16);
    default: return undefined;
  }
}
