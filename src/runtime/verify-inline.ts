/**
 * For --verify: a model-local function's values cannot be observed from
 * outside, so the probing copy gets each call of the function replaced by the
 * function's body (with the call's attributes bound), and a change inside the
 * function is then checked at every call site.
 *
 *   before:  a ─▶ F(alpha=0.5) ─▶ y          F: x ─▶ ThresholdedRelu(alpha=@alpha) ─▶ out
 *   after:   a ─▶ ThresholdedRelu(alpha=0.5) ─▶ Identity ─▶ y
 */
import type { AttributeProto } from '../onnx/proto.js';
import type { Model, OnnxFunction } from '../graph/model.js';
import type { Graph } from '../graph/graph.js';
import type { Value } from '../graph/value.js';
import { Builder } from '../graph/builder.js';
import { replaceAllUsesWith } from '../graph/mutate.js';
import { topologicalOrder } from '../graph/toposort.js';

export class NotInlinable extends Error {}

/** One inlined call: the graph it is in, and where each of the body's values went. */
export interface InlinedCall {
  graph: Graph;
  values: Map<Value, Value>;
}

/** Replaces every call of `fn` in the model's graphs with its body; returns the calls, in graph order. */
export function inlineFunctionCalls(model: Model, fn: OnnxFunction): InlinedCall[] {
  const out: InlinedCall[] = [];
  for (const graph of [...model.graph.allGraphs()]) {
    for (const call of graph.nodes) {
      if (call.opType !== fn.name || call.domain !== fn.domain || call.overload !== fn.overload) continue;
      const values = new Map<Value, Value>();
      fn.body.inputs.forEach((p, i) => {
        const a = call.inputs[i];
        if (a) values.set(p, a);
      });
      const b = new Builder(model, graph, { before: call });
      for (const node of topologicalOrder(fn.body)) {
        if (node.subgraphs.size) throw new NotInlinable(`function ${fn.name} has a node with subgraphs`);
        const attributes: AttributeProto[] = [];
        for (const a of node.attributes) {
          if (!a.refAttrName) attributes.push(a);
          else {
            const given = call.attribute(a.refAttrName);
            if (given) attributes.push(Object.assign(Object.create(Object.getPrototypeOf(given)), given, { name: a.name }) as AttributeProto);
            // not given: the node's attribute takes its own default, as the function's would
          }
        }
        const inputs = node.inputs.map((v) => {
          if (!v) return undefined;
          const mapped = values.get(v);
          if (!mapped) throw new NotInlinable(`function ${fn.name}: '${v.name}' is not given at the call`);
          return mapped;
        });
        const outs = b.ops(node.opType, inputs, node.outputs.length, { domain: node.domain, attributes, name: `${fn.name}_${node.name || node.opType}` });
        node.outputs.forEach((v, i) => values.set(v, outs[i]!));
      }
      call.outputs.forEach((o, i) => {
        const inner = fn.body.outputs[i] ? values.get(fn.body.outputs[i]!) : undefined;
        if (!inner) throw new NotInlinable(`function ${fn.name}: output ${i} is not computed`);
        replaceAllUsesWith(o, b.op('Identity', [inner], { name: o.name }), { graphOutputs: true });
      });
      graph.remove(call);
      out.push({ graph, values });
    }
  }
  for (const [domain, version] of fn.opsetImports) if (!model.opsetImports.has(domain)) model.opsetImports.set(domain, version);
  return out;
}
