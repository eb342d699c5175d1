/**
 * A Node is one operator application. Its inputs are read-only from the
 * outside: `replaceInput(i, value)` is the one way to change them, and it moves
 * the use record from the old value to the new one, so uses never go stale.
 */
import type { AttributeProto, NodeProto } from '../onnx/proto.js';
import { Value } from './value.js';
import { NodeAttributes } from './node-attributes.js';
import type { Graph } from './graph.js';

let nextNodeId = 0;

export interface NodeInit {
  domain?: string;
  opType: string;
  overload?: string;
  name?: string;
  /** undefined marks an omitted optional input (written as ""). */
  inputs?: readonly (Value | undefined)[];
  /** Output values; they must not have a producer yet. */
  outputs: readonly Value[];
  /** Attributes in the order they will be written. GRAPH attributes carry their subgraphs in `subgraphs`. */
  attributes?: readonly AttributeProto[];
  /** For GRAPH / GRAPHS attributes: attribute name → subgraphs. */
  subgraphs?: ReadonlyMap<string, readonly Graph[]>;
  /** The NodeProto this node was read from; fields the IR does not model (doc_string, metadata_props, ...) come from it. */
  proto?: NodeProto;
}

export class Node {
  /** Unique per process; used for use-tracking keys, not written to the model. */
  readonly id = nextNodeId++;
  domain: string;
  opType: string;
  overload: string;
  name: string;
  attributes: AttributeProto[];
  readonly subgraphs: Map<string, Graph[]>;
  readonly proto?: NodeProto;
  /** The graph this node is in; undefined once removed. */
  graph?: Graph;

  private readonly _inputs: (Value | undefined)[] = [];
  private _attached = true;
  private readonly _outputs: Value[];

  constructor(init: NodeInit) {
    this.domain = init.domain ?? '';
    this.opType = init.opType;
    this.overload = init.overload ?? '';
    this.name = init.name ?? '';
    this.attributes = [...(init.attributes ?? [])];
    this.subgraphs = new Map([...(init.subgraphs ?? new Map<string, Graph[]>())].map(([k, v]) => [k, [...v]]));
    this.proto = init.proto;
    for (const v of init.inputs ?? []) this.appendInput(v);
    this._outputs = [...init.outputs];
    this._outputs.forEach((v, i) => {
      if (v.producer()) throw new Error(`value ${v.name} already has a producer`);
      v._setProducer(this, i);
    });
    for (const gs of this.subgraphs.values()) for (const g of gs) g.parentNode = this;
  }

  get inputs(): readonly (Value | undefined)[] {
    return this._inputs;
  }

  get outputs(): readonly Value[] {
    return this._outputs;
  }

  /** Adds an output (an optional output the node did not produce before, e.g. MaxPool's Indices). */
  appendOutput(value: Value): void {
    if (value.producer()) throw new Error(`value ${value.name} already has a producer`);
    value._setProducer(this, this._outputs.length);
    value.graph = this.graph;
    this._outputs.push(value);
  }

  /** Replaces input `i`, moving the use record. */
  replaceInput(i: number, value: Value | undefined): void {
    if (i < 0 || i >= this._inputs.length) throw new RangeError(`node ${this.name || this.opType} has no input ${i}`);
    if (this._attached) this._inputs[i]?._removeUse(this, i);
    this._inputs[i] = value;
    if (this._attached) value?._addUse(this, i);
  }

  appendInput(value: Value | undefined): void {
    const i = this._inputs.length;
    this._inputs.push(value);
    if (this._attached) value?._addUse(this, i);
  }

  /** Drops every input use; called when the node leaves its graph. */
  detachInputs(): void {
    if (!this._attached) return;
    this._attached = false;
    this._inputs.forEach((v, i) => v?._removeUse(this, i));
  }

  /** Re-registers input uses (after `detachInputs`, when the node is put back). */
  attachInputs(): void {
    if (this._attached) return;
    this._attached = true;
    this._inputs.forEach((v, i) => v?._addUse(this, i));
  }

  /** Typed, checked attribute reads: `node.attrs.int('axis', 1)`. */
  get attrs(): NodeAttributes {
    return new NodeAttributes(this);
  }

  attribute(name: string): AttributeProto | undefined {
    return this.attributes.find((a) => a.name === name);
  }

  /** Replaces the attribute of the same name, or appends it. */
  setAttribute(attr: AttributeProto): void {
    const i = this.attributes.findIndex((a) => a.name === attr.name);
    if (i >= 0) this.attributes[i] = attr;
    else this.attributes.push(attr);
  }

  removeAttribute(name: string): void {
    this.attributes = this.attributes.filter((a) => a.name !== name);
  }

  /** Values used inside this node's subgraphs that are defined outside them (outer-scope references). */
  outerScopeInputs(): Value[] {
    const out: Value[] = [];
    for (const gs of this.subgraphs.values()) for (const g of gs) out.push(...g.outerScopeValues());
    return [...new Set(out)];
  }

  toString(): string {
    return `${this.name || '<anon>'}: ${this.domain ? this.domain + '::' : ''}${this.opType}`;
  }
}
