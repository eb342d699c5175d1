/**
 * Creates nodes in a graph with fresh, unique names: the tool rewrite rules
 * and gradient rules build with.
 *
 *   const b = new Builder(model, graph, { before: node });
 *   const y = b.op('Where', [cond, x, zero]);
 *   const [out, mask] = b.ops('Dropout', [x], 2);
 */
import { AttributeType, type AttributeProto, type TensorProto } from '../onnx/proto.js';
import { ONNX_ATTRIBUTE_TYPES } from '../ops/onnx-attribute-types.js';
import { attr } from './attributes.js';
import type { Graph } from './graph.js';
import type { NameAuthority } from './names.js';
import { Node } from './node.js';
import { Value } from './value.js';
import { isAiOnnxDomain } from '../onnx/domain.js';

export interface BuilderScope {
  readonly valueNames: NameAuthority;
  readonly nodeNames: NameAuthority;
}

/**
 * A plain attribute value. Numbers take the type the ai.onnx schema gives the
 * attribute (`alpha: 1` is a FLOAT on ThresholdedRelu, `axis: 1` an INT); for
 * other domains an integral number is an INT and any other a FLOAT. An
 * AttributeProto (`attr.float('alpha', 1)`) is taken as it is.
 */
export type AttributeValue = number | bigint | string | readonly number[] | readonly bigint[] | readonly string[] | TensorProto | AttributeProto;

export interface OpOptions {
  domain?: string;
  /** Attribute protos in the order to write them, or plain values by name (`{ alpha: 0.5, axis: 1 }`). */
  attributes?: readonly AttributeProto[] | Readonly<Record<string, AttributeValue>>;
  /** Base for the node name and its outputs' names; defaults to the op type in snake case. */
  name?: string;
  /** Exact output names to use (must be free); default: fresh names. */
  outputNames?: readonly string[];
  /**
   * Exact node name, even if taken: for a node that replaces the node of that
   * name (the caller removes the old one). Default: a fresh name.
   */
  nodeName?: string;
}

export class Builder {
  /** Nodes created so far, in order. */
  readonly created: Node[] = [];

  constructor(
    readonly scope: BuilderScope,
    readonly graph: Graph,
    private readonly at: { before?: Node; after?: Node } = {},
  ) {}

  /** Adds a single-output node and returns its output. */
  op(opType: string, inputs: readonly (Value | undefined)[], options: OpOptions = {}): Value {
    return this.ops(opType, inputs, 1, options)[0]!;
  }

  /** Adds a node with `outputs` outputs and returns them. */
  ops(opType: string, inputs: readonly (Value | undefined)[], outputs: number, options: OpOptions = {}): Value[] {
    const base = options.name ?? snake(opType);
    const outs = Array.from({ length: outputs }, (_, i) => {
      const wanted = options.outputNames?.[i];
      if (wanted !== undefined) {
        if (this.scope.valueNames.has(wanted)) throw new Error(`value name '${wanted}' is taken`);
        this.scope.valueNames.register(wanted);
        return new Value(wanted);
      }
      return new Value(this.scope.valueNames.unique(base));
    });
    const node = new Node({
      domain: options.domain ?? '',
      opType,
      name: options.nodeName ?? this.scope.nodeNames.unique(base),
      inputs,
      outputs: outs,
      attributes: toAttributes(opType, options.domain ?? '', options.attributes),
    });
    this.place(node);
    return outs;
  }

  /** Adds an initializer holding `tensor` (renamed to a fresh name based on its own). */
  initializer(tensor: TensorProto): Value {
    const name = this.scope.valueNames.unique(tensor.name || 'const');
    const t = Object.assign(Object.create(Object.getPrototypeOf(tensor)), tensor, { name }) as TensorProto;
    const v = new Value(name, { initializer: t });
    this.graph.addInitializer(v);
    return v;
  }

  private place(node: Node): void {
    const last = this.created[this.created.length - 1];
    if (last) this.graph.insertAfter(last, node);
    else if (this.at.before) this.graph.insertBefore(this.at.before, node);
    else if (this.at.after) this.graph.insertAfter(this.at.after, node);
    else this.graph.append(node);
    this.created.push(node);
  }
}

/** Attribute protos from plain values, typed by the op's schema (see AttributeValue). */
export function toAttributes(opType: string, domain: string, attributes: OpOptions['attributes']): AttributeProto[] {
  if (!attributes) return [];
  if (Array.isArray(attributes)) return [...attributes];
  const schema = isAiOnnxDomain(domain) && Object.hasOwn(ONNX_ATTRIBUTE_TYPES, opType) ? ONNX_ATTRIBUTE_TYPES[opType] : undefined;
  return Object.entries(attributes as Record<string, AttributeValue>).map(([name, v]) => toAttribute(name, v, schema?.[name]));
}

function toAttribute(name: string, v: AttributeValue, type: number | undefined): AttributeProto {
  if (typeof v === 'string') return attr.string(name, v);
  if (typeof v === 'bigint') return attr.int(name, v);
  if (typeof v === 'number') {
    if (type === AttributeType.FLOAT || (type === undefined && !Number.isInteger(v))) return attr.float(name, v);
    if (!Number.isInteger(v)) throw new TypeError(`attribute '${name}' is an INT; got ${v}`);
    return attr.int(name, v);
  }
  if (Array.isArray(v)) {
    if (v.some((x) => typeof x === 'string')) return attr.strings(name, v as string[]);
    const nums = v as (number | bigint)[];
    if (type === AttributeType.FLOATS || (type === undefined && nums.some((x) => typeof x === 'number' && !Number.isInteger(x)))) return attr.floats(name, nums.map(Number));
    return attr.ints(name, nums);
  }
  if ('dataType' in (v as object) || 'dims' in (v as object)) return attr.tensor(name, v as TensorProto);
  return Object.assign(Object.create(Object.getPrototypeOf(v)), v, { name }) as AttributeProto;
}

function snake(opType: string): string {
  return opType.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
