/**
 * Stable topological sort in O(nodes + edges): a depth-first walk in the
 * current order that emits each node after its producers. A graph that is
 * already sorted keeps its order exactly. A node with subgraphs depends on the
 * producers of the outer values its subgraphs read.
 */
import { TreluError } from '../errors.js';
import type { Graph } from './graph.js';
import type { Node } from './node.js';

export function topologicalOrder(graph: Graph): Node[] {
  const nodes = graph.nodes;
  const state = new Map<Node, 1 | 2>(); // 1: on the stack, 2: emitted
  const order: Node[] = [];
  const deps = (n: Node): Node[] => {
    const out: Node[] = [];
    const add = (p: Node | undefined) => {
      if (p && p.graph === graph) out.push(p);
    };
    for (const v of n.inputs) add(v?.producer());
    if (n.subgraphs.size) for (const v of n.outerScopeInputs()) add(v.producer());
    return out;
  };
  for (const start of nodes) {
    if (state.has(start)) continue;
    const stack: { node: Node; deps: Node[]; next: number }[] = [{ node: start, deps: deps(start), next: 0 }];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.deps.length) {
        const d = top.deps[top.next++]!;
        const s = state.get(d);
        if (s === 1) throw new TreluError('E_GRAPH', `graph '${graph.name}' has a cycle through ${d}`, { hint: 'a node depends, directly or not, on its own output' });
        if (s === undefined) {
          state.set(d, 1);
          stack.push({ node: d, deps: deps(d), next: 0 });
        }
      } else {
        state.set(top.node, 2);
        order.push(top.node);
        stack.pop();
      }
    }
  }
  return order;
}

/** Sorts the graph's nodes in place (see topologicalOrder); returns whether the order changed. */
export function topologicalSort(graph: Graph): boolean {
  const before = graph.nodes;
  const order = topologicalOrder(graph);
  const changed = order.some((n, i) => n !== before[i]);
  if (changed) graph.reorder(order);
  return changed;
}
