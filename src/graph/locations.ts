/** Human-readable places in a model: `graph`, `graph/Loop 'loop'.body`, `function custom.Foo`. */
import type { Graph } from './graph.js';
import type { Model, OnnxFunction } from './model.js';

export interface GraphPlace {
  graph: Graph;
  /** Where the graph lives, for messages. */
  location: string;
  /** The function whose body this graph is (or is nested in). */
  fn?: OnnxFunction;
}

export function functionLabel(fn: OnnxFunction): string {
  return `${fn.domain ? fn.domain + '.' : ''}${fn.name}${fn.overload ? ':' + fn.overload : ''}`;
}

/** Every graph of the model with its location: the main graph and subgraphs, then each function body. */
export function graphPlaces(model: Model): GraphPlace[] {
  const out: GraphPlace[] = [];
  const visit = (graph: Graph, location: string, fn?: OnnxFunction): void => {
    out.push({ graph, location, fn });
    for (const node of graph) {
      for (const [attrName, gs] of node.subgraphs) {
        gs.forEach((g, i) => visit(g, `${location}/${node.opType} '${node.name || node.outputs[0]?.name || '?'}'.${attrName}${gs.length > 1 ? `[${i}]` : ''}`, fn));
      }
    }
  };
  visit(model.graph, 'graph');
  for (const fn of model.functions) visit(fn.body, `function ${functionLabel(fn)}`, fn);
  return out;
}
