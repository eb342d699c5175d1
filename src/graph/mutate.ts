/** Rewiring helpers that keep uses, outputs and names consistent. */
import type { Graph } from './graph.js';
import type { Value } from './value.js';

/**
 * Points every use of `oldValue` at `newValue`.
 *
 *   before:  A ─old─▶ B, C          after:  A ─old─▶ (nothing)
 *                                            X ─new─▶ B, C
 *
 * With `graphOutputs`, graph outputs that are `oldValue` become `newValue`
 * too, and the names are swapped so the model's output name does not change.
 */
export function replaceAllUsesWith(oldValue: Value, newValue: Value, options: { graphOutputs?: boolean } = {}): void {
  for (const use of oldValue.uses()) use.node.replaceInput(use.index, newValue);
  if (!options.graphOutputs) return;
  const graph = oldValue.graph;
  if (!graph) return;
  let replaced = false;
  graph.outputs = graph.outputs.map((v) => {
    if (v !== oldValue) return v;
    replaced = true;
    return newValue;
  });
  if (replaced) {
    const declared = graph.outputInfos.get(oldValue);
    if (declared) {
      graph.outputInfos.delete(oldValue);
      graph.outputInfos.set(newValue, declared);
    }
    const name = oldValue.name;
    oldValue.name = newValue.name;
    newValue.name = name;
  }
}

/** Whether `value` is one of `graph`'s outputs. */
export function isGraphOutput(graph: Graph, value: Value): boolean {
  return graph.outputs.includes(value);
}
