/**
 * A Graph: inputs, initializers, nodes in a mutable order, outputs. Subgraphs
 * (the bodies of If/Loop/Scan) are Graphs too, with `parentNode` set; their
 * nodes may read values of enclosing graphs (outer-scope references), and
 * those reads are recorded as uses on the outer values like any other.
 */
import type { GraphProto, SparseTensorProto, ValueInfoProto } from '../onnx/proto.js';
import { TreluError } from '../errors.js';
import { Node } from './node.js';
import { NodeList } from './node-list.js';
import { Value } from './value.js';

export class Graph implements Iterable<Node> {
  name: string;
  inputs: Value[] = [];
  outputs: Value[] = [];
  /** Dense initializers, in file order. */
  initializers: Value[] = [];
  /** Sparse initializers, in file order. */
  sparseInitializers: Value[] = [];
  /**
   * value_info entries in file order. `value` is undefined for an entry naming
   * nothing in this graph: it is kept and written back as read.
   * Values created later with `info` set and no entry here are appended on write.
   */
  valueInfos: { value: Value | undefined; proto: ValueInfoProto }[] = [];
  /** The graph.output entries as read, for outputs whose declaration differs from `value.info`. */
  readonly outputInfos = new Map<Value, ValueInfoProto>();
  /** The node whose attribute holds this graph, for subgraphs. */
  parentNode?: Node;
  /** The GraphProto this graph was read from: fields the IR does not model come from it. */
  readonly proto?: GraphProto;
  private readonly list = new NodeList();

  constructor(init: { name?: string; proto?: GraphProto } = {}) {
    this.name = init.name ?? init.proto?.name ?? '';
    this.proto = init.proto;
  }

  /** The graph enclosing this one (through `parentNode`), if any. */
  get parent(): Graph | undefined {
    return this.parentNode?.graph;
  }

  [Symbol.iterator](): Iterator<Node> {
    return this.list[Symbol.iterator]();
  }

  /** A snapshot of the nodes in order. */
  get nodes(): Node[] {
    return this.list.toArray();
  }

  get nodeCount(): number {
    return this.list.size;
  }

  append(...nodes: Node[]): void {
    for (const n of nodes) {
      this.adopt(n);
      this.list.append(n);
    }
  }

  insertBefore(ref: Node, ...nodes: Node[]): void {
    for (const n of nodes) {
      this.adopt(n);
      this.list.insertBefore(ref, n);
    }
  }

  insertAfter(ref: Node, ...nodes: Node[]): void {
    let at = ref;
    for (const n of nodes) {
      this.adopt(n);
      this.list.insertAfter(at, n);
      at = n;
    }
  }

  private adopt(node: Node): void {
    if (node.graph && node.graph !== this) throw new Error(`node ${node} belongs to another graph`);
    if (!node.graph) {
      node.graph = this;
      node.attachInputs();
    }
    for (const v of node.outputs) v.graph = this;
  }

  /** Adds a graph input. */
  addInput(value: Value): void {
    value.graph = this;
    this.inputs.push(value);
  }

  /** Adds a dense initializer; its name must be unique (use a NameAuthority). */
  addInitializer(value: Value): void {
    if (!value.initializer) throw new Error(`value ${value.name} has no initializer tensor`);
    value.graph = this;
    this.initializers.push(value);
  }

  addSparseInitializer(value: Value, tensor: SparseTensorProto): void {
    value.sparseInitializer = tensor;
    value.graph = this;
    this.sparseInitializers.push(value);
  }

  /**
   * Removes nodes. With `safe` (the default), first checks that no output of a
   * removed node is used by a node that stays or is a graph output, and throws
   * without touching anything if one is.
   */
  remove(nodes: Node | readonly Node[], options: { safe?: boolean } = {}): void {
    const list = Array.isArray(nodes) ? (nodes as readonly Node[]) : [nodes as Node];
    const removing = new Set(list);
    for (const n of list) {
      if (n.graph !== this) throw new TreluError('E_GRAPH', `node ${n} is not in graph '${this.name}'`);
    }
    if (options.safe ?? true) {
      const outputs = new Set(this.outputs);
      for (const n of list) {
        for (const v of n.outputs) {
          if (outputs.has(v)) throw new TreluError('E_GRAPH', `cannot remove ${n}: its output ${v.name} is a graph output`);
          for (const use of v.uses()) {
            if (!removing.has(use.node) && !isInside(use.node, removing)) {
              throw new TreluError('E_GRAPH', `cannot remove ${n}: its output ${v.name} is used by ${use.node}`);
            }
          }
        }
      }
    }
    for (const n of list) {
      n.detachInputs();
      for (const gs of n.subgraphs.values()) for (const g of gs) g.detachAll();
      this.list.remove(n);
      n.graph = undefined;
    }
  }

  /** Drops every use this graph's nodes (recursively) hold, when the graph is being discarded. */
  private detachAll(): void {
    for (const n of this) {
      n.detachInputs();
      for (const gs of n.subgraphs.values()) for (const g of gs) g.detachAll();
    }
  }

  /** Replaces the node order; `nodes` must be a permutation of the current nodes. */
  reorder(nodes: readonly Node[]): void {
    this.list.reorder(nodes);
  }

  /** Whether `value` is defined in this graph (input, initializer or node output). */
  defines(value: Value): boolean {
    return value.graph === this;
  }

  /** Values read by nodes of this graph or its nested subgraphs that are defined outside this graph. */
  outerScopeValues(): Value[] {
    const out = new Set<Value>();
    const visit = (g: Graph): void => {
      for (const n of g) {
        for (const v of n.inputs) if (v && !isDefinedWithin(v, this)) out.add(v);
        for (const gs of n.subgraphs.values()) for (const sg of gs) visit(sg);
      }
      for (const v of g.outputs) if (!isDefinedWithin(v, this)) out.add(v);
    };
    visit(this);
    return [...out];
  }

  /** This graph and every subgraph nested in it, depth first. */
  *allGraphs(): Generator<Graph> {
    yield this;
    for (const n of this) for (const gs of n.subgraphs.values()) for (const g of gs) yield* g.allGraphs();
  }
}

/** Whether `value` is defined in `graph` or one of its nested subgraphs. */
function isDefinedWithin(value: Value, graph: Graph): boolean {
  for (let g = value.graph; g; g = g.parent) if (g === graph) return true;
  return false;
}

/** Whether `node` sits in a subgraph of one of `nodes`. */
function isInside(node: Node, nodes: ReadonlySet<Node>): boolean {
  for (let g = node.graph; g; g = g.parent) {
    if (g.parentNode && nodes.has(g.parentNode)) return true;
  }
  return false;
}
