/**
 * Typed constructors and readers for AttributeProto, so rules and builders
 * say what they mean (`attr.float('alpha', 0.5)`) instead of filling protobuf
 * fields by hand.
 */
import Long from 'long';
import { onnx, AttributeType, type AttributeProto, type TensorProto } from '../onnx/proto.js';

const make = (props: onnx.AttributeProto.$Properties): AttributeProto => onnx.AttributeProto.create(props) as AttributeProto;
const long = (v: number | bigint): Long => (typeof v === 'bigint' ? Long.fromString(v.toString()) : Long.fromNumber(v));

export const attr = {
  float: (name: string, f: number) => make({ name, type: AttributeType.FLOAT, f }),
  int: (name: string, i: number | bigint) => make({ name, type: AttributeType.INT, i: long(i) }),
  string: (name: string, s: string) => make({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: TensorProto) => make({ name, type: AttributeType.TENSOR, t }),
  floats: (name: string, floats: number[]) => make({ name, type: AttributeType.FLOATS, floats }),
  ints: (name: string, ints: (number | bigint)[]) => make({ name, type: AttributeType.INTS, ints: ints.map(long) }),
  strings: (name: string, ss: string[]) => make({ name, type: AttributeType.STRINGS, strings: ss.map((s) => new TextEncoder().encode(s)) }),
};

/** The attribute's value as a plain JS value (ints as bigint, so int64 stays exact; strings decoded as UTF-8). */
export function attributeValue(a: AttributeProto): unknown {
  switch (a.type) {
    case AttributeType.FLOAT: return a.f;
    case AttributeType.INT: return BigInt(Long.fromValue(a.i).toString());
    case AttributeType.STRING: return new TextDecoder().decode(a.s);
    case AttributeType.TENSOR: return a.t;
    case AttributeType.GRAPH: return a.g;
    case AttributeType.FLOATS: return [...a.floats];
    case AttributeType.INTS: return a.ints.map((i) => BigInt(Long.fromValue(i).toString()));
    case AttributeType.STRINGS: return a.strings.map((s) => new TextDecoder().decode(s));
    case AttributeType.TENSORS: return a.tensors;
    case AttributeType.GRAPHS: return a.graphs;
    default: return undefined;
  }
}

export function attributeTypeName(type: number): string {
  return (AttributeType as unknown as Record<number, string>)[type] ?? `AttributeType(${type})`;
}
