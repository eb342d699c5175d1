/**
 * Typed, checked reads of a node's attributes (onnx_ir's
 * `node.attributes.get_int('axis', 1)`, tfjs's typed attrs):
 *
 *   const axis = node.attrs.int('axis', 1);
 *   const pads = node.attrs.ints('pads', [0, 0, 0, 0]);
 *   const mode = node.attrs.string('mode', 'constant');
 *
 * int64 values come back as JS numbers (Long handled here); a value outside
 * the safe-integer range, an attribute of the wrong type, or an attribute
 * given twice is a TreluError('E_GRAPH') naming the node, never a crash in
 * the rule that read it.
 */
import Long from 'long';
import { TreluError } from '../errors.js';
import { AttributeType, type AttributeProto, type TensorProto } from '../onnx/proto.js';

export interface NodeLike {
  readonly attributes: readonly AttributeProto[];
  readonly opType: string;
  readonly name: string;
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(AttributeType as unknown as Record<string, number>).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k]),
);

export class NodeAttributes {
  constructor(private readonly node: NodeLike) {}

  /** The attribute proto of that name, or undefined. Given twice: an error. */
  get(name: string): AttributeProto | undefined {
    let found: AttributeProto | undefined;
    for (const a of this.node.attributes) {
      if (a.name !== name) continue;
      if (found) throw this.error(`attribute '${name}' is given more than once`);
      found = a;
    }
    return found;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined {
    const a = this.typed(name, AttributeType.INT);
    return a ? this.toNumber(a.i, name) : dflt;
  }

  ints(name: string, dflt: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, dflt?: number[]): number[] | undefined {
    const a = this.typed(name, AttributeType.INTS);
    return a ? a.ints.map((i) => this.toNumber(i, name)) : dflt;
  }

  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  float(name: string, dflt?: number): number | undefined {
    const a = this.typed(name, AttributeType.FLOAT);
    return a ? a.f : dflt;
  }

  floats(name: string, dflt: number[]): number[];
  floats(name: string): number[] | undefined;
  floats(name: string, dflt?: number[]): number[] | undefined {
    const a = this.typed(name, AttributeType.FLOATS);
    return a ? [...a.floats] : dflt;
  }

  string(name: string, dflt: string): string;
  string(name: string): string | undefined;
  string(name: string, dflt?: string): string | undefined {
    const a = this.typed(name, AttributeType.STRING);
    return a ? new TextDecoder().decode(a.s) : dflt;
  }

  strings(name: string, dflt: string[]): string[];
  strings(name: string): string[] | undefined;
  strings(name: string, dflt?: string[]): string[] | undefined {
    const a = this.typed(name, AttributeType.STRINGS);
    return a ? a.strings.map((s) => new TextDecoder().decode(s)) : dflt;
  }

  tensor(name: string): TensorProto | undefined {
    const a = this.typed(name, AttributeType.TENSOR);
    if (a && !a.t) throw this.error(`attribute '${name}' holds no tensor`);
    return a?.t ?? undefined;
  }

  private typed(name: string, type: number): AttributeProto | undefined {
    const a = this.get(name);
    if (!a) return undefined;
    // Old writers leave `type` unset (0): accept the value if its field is there, or if no field is
    // (an unset int, float or string, an empty list: the proto cannot tell them apart).
    const untyped = a.type === AttributeType.UNDEFINED && [type, AttributeType.UNDEFINED].includes(inferType(a));
    if (a.type !== type && !untyped) {
      throw this.error(`attribute '${name}' must be ${TYPE_NAMES[type] ?? type}, not ${TYPE_NAMES[a.type] ?? a.type}`);
    }
    return a;
  }

  private toNumber(v: Long | number | null | undefined, name: string): number {
    const l = Long.fromValue(v ?? 0);
    const n = l.toNumber();
    if (!Number.isSafeInteger(n)) throw this.error(`attribute '${name}' holds ${l.toString()}, out of the range this tool handles`);
    return n;
  }

  private error(message: string): TreluError {
    return new TreluError('E_GRAPH', `${this.node.opType} node '${this.node.name}': ${message}`, { hint: 'the model is malformed; onnx.checker would reject it too' });
  }
}

function inferType(a: AttributeProto): number {
  if (a.ints?.length) return AttributeType.INTS;
  if (a.floats?.length) return AttributeType.FLOATS;
  if (a.strings?.length) return AttributeType.STRINGS;
  if (a.t) return AttributeType.TENSOR;
  if (a.s?.length) return AttributeType.STRING;
  return AttributeType.UNDEFINED;
}
