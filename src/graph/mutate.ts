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

/**
 * Makes `newValue` take `oldValue`'s place everywhere: every use, every graph
 * output slot, its name (so the model's interface does not change), its
 * declared type and its value_info entry. `oldValue` keeps only its producer's
 * link and gets `newValue`'s former name; remove its producer afterwards.
 *
 *   before:  P ─old("y")─▶ consumers, graph output "y"
 *   after:   P ─old("y_1")        N ─new("y")─▶ consumers, graph output "y"
 *
 * Refuses (throws) when `oldValue` is a graph input or initializer: those
 * names are the model's interface and cannot move to a computed value.
 */
export function replaceValue(oldValue: Value, newValue: Value): void {
  const graph = oldValue.graph;
  // A produced value is neither (SSA); the scans only run for the others, so a pass replacing
  // n values stays linear rather than n x (inputs + initializers).
  if (graph && !oldValue.producer() && (graph.inputs.includes(oldValue) || graph.initializers.includes(oldValue))) {
    throw new Error(`replaceValue: '${oldValue.name}' is a graph input or initializer`);
  }
  replaceAllUsesWith(oldValue, newValue, { graphOutputs: true });
  if (graph?.outputs.includes(newValue)) {
    // replaceAllUsesWith swapped the names already
  } else {
    const name = oldValue.name;
    oldValue.name = newValue.name;
    newValue.name = name;
  }
  if (!newValue.info && oldValue.info) newValue.info = oldValue.info;
  if (graph) {
    for (const entry of graph.valueInfos) if (entry.value === oldValue) entry.value = newValue;
  }
}
