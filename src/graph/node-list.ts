/**
 * An ordered set of nodes that tolerates insertion and removal while it is
 * being iterated (the role of onnx-ir's DoublyLinkedSet): a removed entry keeps
 * its forward link, so an iterator standing on it moves on to what followed it.
 */
import type { Node } from './node.js';

interface Entry {
  node: Node | undefined;
  prev: Entry;
  next: Entry;
  removed: boolean;
}

export class NodeList implements Iterable<Node> {
  private readonly root: Entry;
  private readonly entries = new Map<Node, Entry>();

  constructor() {
    const root = { node: undefined, removed: false } as unknown as Entry;
    root.prev = root;
    root.next = root;
    this.root = root;
  }

  get size(): number {
    return this.entries.size;
  }

  has(node: Node): boolean {
    return this.entries.has(node);
  }

  append(node: Node): void {
    this.insertAfterEntry(this.root.prev, node);
  }

  insertBefore(ref: Node, node: Node): void {
    this.insertAfterEntry(this.entry(ref).prev, node);
  }

  insertAfter(ref: Node, node: Node): void {
    this.insertAfterEntry(this.entry(ref), node);
  }

  remove(node: Node): void {
    const e = this.entry(node);
    e.prev.next = e.next;
    e.next.prev = e.prev;
    e.removed = true;
    this.entries.delete(node);
  }

  /** Replaces the whole order (used by topological sort); `nodes` must be a permutation of the current ones. */
  reorder(nodes: readonly Node[]): void {
    if (nodes.length !== this.entries.size || nodes.some((n) => !this.entries.has(n))) throw new Error('reorder: not a permutation');
    for (const n of nodes) this.remove(n);
    for (const n of nodes) this.append(n);
  }

  first(): Node | undefined {
    return this.root.next.node;
  }

  *[Symbol.iterator](): Iterator<Node> {
    let e = this.root.next;
    while (e !== this.root) {
      if (!e.removed) yield e.node!;
      e = e.next;
    }
  }

  toArray(): Node[] {
    return [...this];
  }

  private entry(node: Node): Entry {
    const e = this.entries.get(node);
    if (!e) throw new Error(`node ${node} is not in this graph`);
    return e;
  }

  private insertAfterEntry(after: Entry, node: Node): void {
    if (this.entries.has(node)) throw new Error(`node ${node} is already in this graph`);
    const e: Entry = { node, prev: after, next: after.next, removed: false };
    after.next.prev = e;
    after.next = e;
    this.entries.set(node, e);
  }
}
