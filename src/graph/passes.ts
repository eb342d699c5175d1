/**
 * Passes: `run(model) → { modified }`, composed as plain arrays.
 *
 *   const result = runPasses(model, [eliminateDeadNodes, sortTopologically]);
 */
import type { Model } from './model.js';
import type { Graph } from './graph.js';
import { topologicalSort } from './toposort.js';

export interface PassResult {
  modified: boolean;
}

export interface Pass {
  readonly name: string;
  run(model: Model): PassResult;
}

/** Runs the passes in order; `modified` is true if any of them changed the model. */
export function runPasses(model: Model, passes: readonly Pass[]): PassResult & { perPass: { name: string; modified: boolean }[] } {
  const perPass = passes.map((p) => ({ name: p.name, modified: p.run(model).modified }));
  return { modified: perPass.some((p) => p.modified), perPass };
}

/**
 * Removes nodes none of whose outputs are used, in every graph and function
 * body. Keeps graph outputs, nodes whose outputs are read from inside
 * subgraphs (those reads are uses), and nodes without outputs.
 */
export const eliminateDeadNodes: Pass = {
  name: 'eliminate-dead-nodes',
  run(model) {
    let modified = false;
    const sweep = (graph: Graph): void => {
      const outputs = new Set(graph.outputs);
      // Reverse order, so a chain of dead nodes goes in one sweep.
      for (const node of graph.nodes.reverse()) {
        if (node.outputs.length === 0) continue;
        if (node.outputs.some((v) => v.hasUses() || outputs.has(v))) continue;
        graph.remove(node);
        modified = true;
      }
      for (const n of graph) for (const gs of n.subgraphs.values()) for (const g of gs) sweep(g);
    };
    sweep(model.graph);
    for (const fn of model.functions) sweep(fn.body);
    return { modified };
  },
};

/** Sorts every graph and function body topologically (stable). */
export const sortTopologically: Pass = {
  name: 'sort-topologically',
  run(model) {
    let modified = false;
    for (const { graph } of model.allGraphs()) modified = topologicalSort(graph) || modified;
    return { modified };
  },
};
