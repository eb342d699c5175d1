/**
 * A Value is one tensor (or sequence, map, ...) flowing through a graph: a
 * graph input, an initializer, or a node output. It knows who produces it and
 * who uses it; uses are kept in insertion order so that iteration is
 * deterministic, and `uses()` returns a snapshot so callers may rewire while
 * they loop.
 */
import type { TensorProto, SparseTensorProto, TypeProto, ValueInfoProto } from '../onnx/proto.js';
import type { Node } from './node.js';
import type { Graph } from './graph.js';
import type { Dim, TensorInfo } from './infer/types.js';

export interface Use {
  readonly node: Node;
  /** Input index on `node`. */
  readonly index: number;
}

export class Value {
  /** The tensor name. Change it with `graph.rename` (or through a NameAuthority) to keep names unique. */
  name: string;
  /** The declared type, from the graph's input/output/value_info entry; undefined if none was declared. */
  info?: ValueInfoProto;
  /** Set when the value is an initializer (dense). */
  initializer?: TensorProto;
  /** Set when the value is a sparse initializer. */
  sparseInitializer?: SparseTensorProto;
  /** The graph this value belongs to (as input, initializer or node output). */
  graph?: Graph;
  /**
   * What type and shape inference (graph/infer) found, where nothing is
   * declared. Never written to the file: value_info holds only what was declared
   * (or set on `info` by a pass), so round trips stay byte-exact.
   */
  inferred?: TensorInfo;

  private _producer?: Node;
  private _index?: number;
  // Map keyed by "node id/index" keeps insertion order and O(1) removal.
  private readonly _uses = new Map<string, Use>();

  constructor(name: string, init: { info?: ValueInfoProto; initializer?: TensorProto } = {}) {
    this.name = name;
    this.info = init.info;
    this.initializer = init.initializer;
  }

  /** The node that outputs this value, or undefined for graph inputs and initializers. */
  producer(): Node | undefined {
    return this._producer;
  }

  /** The output index on the producer. */
  index(): number | undefined {
    return this._index;
  }

  /** A snapshot of the (node, input index) pairs that read this value, in the order they were added. */
  uses(): Use[] {
    return [...this._uses.values()];
  }

  hasUses(): boolean {
    return this._uses.size > 0;
  }

  /** The declared type proto, if any. */
  get type(): TypeProto | undefined {
    return (this.info?.type ?? undefined) as TypeProto | undefined;
  }

  /** Element type (TensorProto.DataType) from the declared type or the initializer; undefined if unknown. */
  get elemType(): number | undefined {
    if (this.initializer) return this.initializer.dataType;
    const t = this.info?.type?.tensorType;
    return t && t.elemType != null && Object.prototype.hasOwnProperty.call(t, "elemType") ? t.elemType : undefined;
  }

  /** Shape as numbers (fixed dims), strings (symbolic) or undefined (unknown dim); undefined when the rank is unknown. */
  get shape(): (number | string | undefined)[] | undefined {
    if (this.initializer) return this.initializer.dims.map((d) => Number(d));
    const t = this.info?.type?.tensorType;
    if (!t || !Object.prototype.hasOwnProperty.call(t, 'shape') || !t.shape) return undefined;
    return (t.shape.dim ?? []).map((d) => {
      if (d.dimValue != null && Object.prototype.hasOwnProperty.call(d, 'dimValue')) return Number(d.dimValue);
      if (d.dimParam != null && Object.prototype.hasOwnProperty.call(d, 'dimParam')) return d.dimParam;
      return undefined;
    });
  }

  /** Element type: declared (value_info, initializer) or else inferred; undefined if neither knows. */
  get dtype(): number | undefined {
    return this.elemType ?? this.inferred?.elemType;
  }

  /** Shape: the declared one with unknown dims filled from inference, or the inferred one; undefined when the rank is unknown. */
  get shapeInfo(): Dim[] | undefined {
    const declared = this.shape;
    const inferred = this.inferred?.shape;
    if (!declared) return inferred ? [...inferred] : undefined;
    if (!inferred || inferred.length !== declared.length) return declared;
    return declared.map((d, i) => d ?? inferred[i]);
  }

  /** @internal Called by Node when wiring outputs. */
  _setProducer(node: Node | undefined, index: number | undefined): void {
    this._producer = node;
    this._index = index;
  }

  /** @internal Called by Node.replaceInput and friends. */
  _addUse(node: Node, index: number): void {
    this._uses.set(useKey(node, index), { node, index });
  }

  /** @internal */
  _removeUse(node: Node, index: number): void {
    this._uses.delete(useKey(node, index));
  }

  toString(): string {
    return `%${this.name}`;
  }
}

function useKey(node: Node, index: number): string {
  return `${node.id}/${index}`;
}
