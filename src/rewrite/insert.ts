/**
 * Inserting a ThresholdedRelu on a tensor: every consumer, and the graph
 * output if the tensor is one, moves to the new node's result.
 *
 *   before:  P ─t─▶ A, B, graph output "t"
 *   after:   P ─t_1─▶ ThresholdedRelu ─t─▶ A, B, graph output "t"
 *
 * The model's output names do not change; the new value gets the tensor's
 * declared type and shape (ThresholdedRelu keeps both).
 */
import { TreluError } from '../errors.js';
import { onnx, DataType, type ValueInfoProto } from '../onnx/proto.js';
import { dataTypeName, isArithmeticFloat } from '../onnx/dtypes.js';
import type { Model } from '../graph/model.js';
import type { Graph } from '../graph/graph.js';
import type { Value } from '../graph/value.js';
import { Builder } from '../graph/builder.js';
import { attr } from '../graph/attributes.js';
import { replaceAllUsesWith } from '../graph/mutate.js';
import { inferModel } from '../graph/infer/index.js';
import { graphPlaces } from '../graph/locations.js';
import { formatFloat32 } from './format.js';
import type { Change, ChangeProbe, RewriteReport } from './rule.js';

export interface InsertOptions {
  /** Tensor names, or names of single-output nodes. */
  after: readonly string[];
  /** Default 1.0, the op's own default, written explicitly. */
  alpha?: number;
  dryRun?: boolean;
}


function findTarget(model: Model, name: string): { value: Value; graph: Graph; location: string; fn?: import('../graph/model.js').OnnxFunction } {
  for (const place of graphPlaces(model)) {
    const g = place.graph;
    const value = [...g.inputs, ...g.initializers].find((v) => v.name === name)
      ?? g.nodes.flatMap((n) => n.outputs).find((v) => v.name === name);
    if (value) return { value, graph: g, location: place.location, fn: place.fn };
    const node = g.nodes.find((n) => n.name === name);
    if (node) {
      if (node.outputs.length !== 1) throw new TreluError('E_USAGE', `node '${name}' has ${node.outputs.length} outputs`, { hint: `name one of its output tensors: ${node.outputs.map((v) => v.name).join(', ')}` });
      return { value: node.outputs[0]!, graph: g, location: place.location, fn: place.fn };
    }
  }
  throw new TreluError('E_USAGE', `no tensor or node named '${name}'`, { hint: 'trelu inspect lists inputs and outputs; node and tensor names are those in the model' });
}

export function insertThresholdedRelu(model: Model, options: InsertOptions): RewriteReport {
  const alpha = options.alpha ?? 1.0;
  if (!Number.isFinite(alpha)) throw new TreluError('E_USAGE', `alpha ${alpha} is not finite`);
  inferModel(model);
  const targets = options.after.map((name) => ({ name, ...findTarget(model, name) }));
  const changes: Change[] = [];
  const probes: ChangeProbe[] = [];
  const shown = formatFloat32(alpha);
  for (const t of targets) {
    const et = t.value.dtype;
    if (et !== undefined && !isArithmeticFloat(et)) {
      throw new TreluError('E_USAGE', `'${t.name}' is ${dataTypeName(et)}; ThresholdedRelu takes float tensors only`);
    }
    const isOutput = t.graph.outputs.includes(t.value);
    const isInterface = t.graph.inputs.includes(t.value) || t.graph.initializers.includes(t.value);
    if (isOutput && isInterface) throw new TreluError('E_USAGE', `'${t.name}' is both a graph input and a graph output; there is no place to insert`);
    if (options.dryRun) {
      changes.push({ rule: 'insert', location: t.location, removed: [], added: [], detail: `ThresholdedRelu(alpha=${shown}) after '${t.value.name}'` });
      continue;
    }
    const producer = t.value.producer();
    const b = new Builder(t.fn ?? model, t.graph, producer ? { after: producer } : { before: t.graph.nodes[0] });
    const y = b.op('ThresholdedRelu', [t.value], { attributes: [attr.float('alpha', alpha)], name: `${t.value.name}_trelu` });
    replaceAllUsesWith(t.value, y, { graphOutputs: true });
    b.created[0]!.replaceInput(0, t.value); // the move above took the new node's own input too
    const info = t.value.info ?? undefined;
    if (info?.type) y.info = onnx.ValueInfoProto.create({ name: y.name, type: info.type }) as ValueInfoProto;
    y.inferred = { elemType: et, shape: t.value.shapeInfo };
    const change: Change = { rule: 'insert', location: t.location, removed: [], added: b.created.map((n) => n.name), detail: `ThresholdedRelu(alpha=${shown}) after '${isOutput ? y.name : t.value.name}'` };
    changes.push(change);
    probes.push({ change, graph: t.graph, input: t.value, output: y, alpha: Math.fround(alpha) });
  }
  return options.dryRun ? { changes, candidates: [] } : { changes, candidates: [], probes };
}
