/**
 * Constant folding just far enough for the fuse rules: what a value is when it
 * is a constant (an initializer that is not a graph input, a Constant node,
 * ConstantOfShape, or a Cast/CastLike/Expand of one), as numbers in its
 * element type.
 */
import Long from 'long';
import { AttributeType, DataType, type TensorProto } from '../onnx/proto.js';
import { has } from '../onnx/decode.js';
import { isExternal } from '../onnx/external-data.js';
import { float16ToNumber, bfloat16ToNumber, numberToFloat16, numberToBfloat16 } from '../ops/float16.js';
import type { Value } from '../graph/value.js';
import type { Node } from '../graph/node.js';
import { isAiOnnxDomain } from '../onnx/domain.js';

export interface ConstantTensor {
  dataType: number;
  dims: number[];
  /** Element values as numbers (exact for floats and safe integers). */
  values: number[];
}

const BIG_CONSTANT = 1 << 20;

/** Decodes a (non-external) TensorProto's values; undefined for types or layouts this does not read. */
export function tensorValues(t: TensorProto): ConstantTensor | undefined {
  if (isExternal(t)) return undefined;
  const dims = t.dims.map((d) => Long.fromValue(d).toNumber());
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > BIG_CONSTANT) return undefined;
  const dt = t.dataType;
  let values: number[] | undefined;
  if (has(t, 'rawData')) {
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const read: Record<number, [number, (o: number) => number]> = {
      [DataType.FLOAT]: [4, (o) => dv.getFloat32(o, true)],
      [DataType.DOUBLE]: [8, (o) => dv.getFloat64(o, true)],
      [DataType.FLOAT16]: [2, (o) => float16ToNumber(dv.getUint16(o, true))],
      [DataType.BFLOAT16]: [2, (o) => bfloat16ToNumber(dv.getUint16(o, true))],
      [DataType.INT32]: [4, (o) => dv.getInt32(o, true)],
      [DataType.INT64]: [8, (o) => Number(dv.getBigInt64(o, true))],
      [DataType.INT8]: [1, (o) => dv.getInt8(o)],
      [DataType.UINT8]: [1, (o) => dv.getUint8(o)],
      [DataType.BOOL]: [1, (o) => dv.getUint8(o)],
    };
    const r = read[dt];
    if (!r || t.rawData.length !== r[0] * count) return undefined;
    values = Array.from({ length: count }, (_, i) => r[1](i * r[0]));
  } else if (dt === DataType.FLOAT) values = [...t.floatData];
  else if (dt === DataType.DOUBLE) values = [...t.doubleData];
  else if (dt === DataType.FLOAT16) values = t.int32Data.map(float16ToNumber);
  else if (dt === DataType.BFLOAT16) values = t.int32Data.map(bfloat16ToNumber);
  else if (dt === DataType.INT32 || dt === DataType.INT8 || dt === DataType.UINT8 || dt === DataType.BOOL) values = [...t.int32Data];
  else if (dt === DataType.INT64) values = t.int64Data.map((v) => Long.fromValue(v).toNumber());
  if (!values || values.length !== count) return undefined;
  return { dataType: dt, dims, values };
}

/** Rounds a number to how `dataType` stores it (floats), or undefined for a conversion this does not model. */
export function castNumber(v: number, dataType: number): number | undefined {
  switch (dataType) {
    case DataType.FLOAT: return Math.fround(v);
    case DataType.DOUBLE: return v;
    case DataType.FLOAT16: return float16ToNumber(numberToFloat16(v));
    case DataType.BFLOAT16: return bfloat16ToNumber(numberToBfloat16(v));
    default: return undefined;
  }
}

function constantNodeValue(n: Node): ConstantTensor | undefined {
  const a = n.attributes[0];
  if (!a || n.attributes.length !== 1) return undefined;
  switch (a.name) {
    case 'value': return a.type === AttributeType.TENSOR && a.t ? tensorValues(a.t) : undefined;
    case 'value_float': return { dataType: DataType.FLOAT, dims: [], values: [a.f] };
    case 'value_floats': return { dataType: DataType.FLOAT, dims: [a.floats.length], values: [...a.floats] };
    case 'value_int': return { dataType: DataType.INT64, dims: [], values: [Long.fromValue(a.i).toNumber()] };
    default: return undefined;
  }
}

/**
 * The constant `v` is, if it is one. `like` resolves CastLike targets and
 * Shape(like) inputs of ConstantOfShape/Expand (the zeros_like forms).
 */
export function constantOf(v: Value | undefined, like?: Value, typeOf?: (v: Value) => number | undefined): ConstantTensor | undefined {
  if (!v) return undefined;
  if (v.initializer) {
    if (v.graph?.inputs.includes(v)) return undefined; // an input with a default can be overridden
    return tensorValues(v.initializer);
  }
  const n = v.producer();
  if (!n || !isAiOnnxDomain(n.domain)) return undefined;
  switch (n.opType) {
    case 'Constant': return constantNodeValue(n);
    case 'Identity': return constantOf(n.inputs[0], like, typeOf);
    case 'Cast': {
      const target = n.attrs.int('to');
      const c = constantOf(n.inputs[0], like, typeOf);
      if (!c || target === undefined) return undefined;
      const values = c.values.map((x) => castNumber(x, target));
      return values.every((x) => x !== undefined) ? { dataType: target, dims: c.dims, values: values as number[] } : undefined;
    }
    case 'CastLike': {
      const c = constantOf(n.inputs[0], like, typeOf);
      const target = n.inputs[1] && typeOf?.(n.inputs[1]);
      if (!c || target === undefined) return undefined;
      const values = c.values.map((x) => castNumber(x, target));
      return values.every((x) => x !== undefined) ? { dataType: target, dims: c.dims, values: values as number[] } : undefined;
    }
    case 'ConstantOfShape':
    case 'Expand': {
      // Only the zeros_like(x) shapes: ConstantOfShape(Shape(like)) and Expand(c, Shape(like)).
      const shapeInput = n.opType === 'Expand' ? n.inputs[1] : n.inputs[0];
      const shapeNode = shapeInput?.producer();
      if (!like || !shapeNode || shapeNode.opType !== 'Shape' || shapeNode.inputs[0] !== like || shapeNode.attributes.length) return undefined;
      const fill = n.opType === 'Expand' ? constantOf(n.inputs[0], like, typeOf) : (n.attribute('value')?.t ? tensorValues(n.attribute('value')!.t!) : { dataType: DataType.FLOAT, dims: [1], values: [0] });
      if (!fill || fill.values.length !== 1) return undefined;
      // Marked with dims = ['like']: it has exactly like's shape.
      return { dataType: fill.dataType, dims: [-1], values: fill.values };
    }
    default:
      return undefined;
  }
}

/** The single value all elements share, if they do (and there is at least one). */
export function uniformValue(c: ConstantTensor): number | undefined {
  if (c.values.length === 0) return undefined;
  const first = c.values[0]!;
  return c.values.every((x) => Object.is(x, first)) ? first : undefined;
}
