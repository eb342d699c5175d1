/**
 * The last step of building a gradient: the gradient model's outputs (the
 * loss, then each gradient typed as the tensor it is the gradient of),
 * differentiated initializers turned into inputs, Expands that a consumer's
 * broadcast makes redundant removed, CastLikes that build-time types decide
 * folded (fold-casts.ts), and dead nodes dropped.
 */
import { onnx, DataType, type TensorProto, type ValueInfoProto } from '../onnx/proto.js';
import type { Model } from '../graph/model.js';
import type { Builder } from '../graph/builder.js';
import type { Value } from '../graph/value.js';
import type { TensorInfo } from '../graph/infer/types.js';
import { eliminateDeadNodes } from '../graph/passes.js';
import { ensureThresholdedReluGradFunction, GRAD_OP_TYPE, TRELU_DOMAIN } from '../ops/thresholded-relu/grad-function.js';
import { makeContext, type InfoLookup } from './context.js';
import type { Backpropagated } from './backpropagate.js';
import { isAiOnnxDomain } from '../onnx/domain.js';
import { foldCastLikes } from './fold-casts.js';

/** What finish puts in the report (GradientReport is this plus what buildGradient adds). */
export interface Finished {
  loss: string;
  /** Each differentiated tensor and the output holding its gradient. */
  gradients: { tensor: string; gradient: string; connected: boolean }[];
  /** Nodes added for the backward pass (and the loss). */
  nodesAdded: number;
  /**
   * Initializers that became graph inputs, with their values at the time:
   * they are no longer in the model (onnxruntime-node and -web silently ignore
   * feeds for inputs that keep an initializer), so feed these, or new values.
   */
  initializersAsInputs: string[];
  parameters: Record<string, TensorProto>;
}

const dimsOf = (shape: TensorInfo['shape']) => (shape ?? []).map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));

/** A value_info for `name` with `v`'s static type and shape: a gradient has its tensor's type by definition. */
function declaredLike(name: string, v: TensorInfo | undefined): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: v?.elemType ?? DataType.FLOAT, ...(v?.shape ? { shape: { dim: dimsOf(v.shape) as never } } : {}) } },
  }) as ValueInfoProto;
}

/** Gradients as outputs (typed as the tensors they are gradients of), differentiated initializers as inputs, dead nodes removed. */
export function finish(model: Model, b: Builder, s: Backpropagated & {
  forwardInfo: InfoLookup; wrt: readonly Value[]; loss: Value; keepOutputs: boolean; nodesBefore: number; opset: number;
}): Finished {
  const graph = model.graph;
  const { wrt } = s;
  if (s.usedTreluGrad || graph.nodes.some((n) => n.opType === GRAD_OP_TYPE)) ensureThresholdedReluGradFunction(model);
  elideBroadcastExpands(graph, s.info);

  const gradients: Finished['gradients'] = [];
  const gradOutputs: Value[] = [];
  for (const v of wrt) {
    let g = s.gradOf(v);
    const connected = !!g;
    if (!g) g = makeContext({ node: graph.nodes[0]!, b, dY: [], needs: () => false, info: s.info, opset: s.opset }).zerosLike(v);
    const out = b.op('Identity', [g], { name: `${v.name}_grad` });
    // A gradient has its tensor's type and shape by definition: the one declaration made here.
    out.info = declaredLike(out.name, s.forwardInfo(v));
    gradOutputs.push(out);
    gradients.push({ tensor: v.name, gradient: out.name, connected });
  }

  foldCastLikes(b.scope, graph, [...b.created], (v) => s.info(v)?.elemType);

  // Differentiated initializers become plain inputs, so that new values can be fed.
  const parameters = initializersToInputs(model, wrt);
  const initializersAsInputs = Object.keys(parameters);

  const lossOut = s.loss;
  if (!lossOut.info?.type) lossOut.info = declaredLike(lossOut.name, s.forwardInfo(lossOut));
  const kept = s.keepOutputs ? graph.outputs.filter((v) => v !== lossOut) : [];
  graph.outputs = [lossOut, ...gradOutputs, ...kept];
  eliminateDeadNodes.run(model);
  return { loss: lossOut.name, gradients, nodesAdded: graph.nodeCount - s.nodesBefore, initializersAsInputs, parameters };
}

/**
 * Turns initializers among `values` into plain graph inputs (typed from the
 * tensor) and returns their tensors by name, to be fed. A model whose
 * parameters change between runs (a training loop, or a forward model timed
 * like its gradient model) needs this: onnxruntime-node and -web silently
 * ignore feeds for inputs that keep an initializer.
 */
export function initializersToInputs(model: Model, values: readonly Value[]): Record<string, TensorProto> {
  const graph = model.graph;
  const parameters: Record<string, TensorProto> = {};
  // Sets, not a filter and an includes per value: linear in the number of parameters (10,000 layers: bench:graph).
  const moved = new Set<Value>();
  const inputs = new Set(graph.inputs);
  for (const v of values) {
    if (!v.initializer) continue;
    const t = v.initializer;
    v.info ??= onnx.ValueInfoProto.create({ name: v.name, type: { tensorType: { elemType: t.dataType, shape: { dim: t.dims.map((d) => ({ dimValue: d })) } } } }) as ValueInfoProto;
    parameters[v.name] = t;
    moved.add(v);
    v.initializer = undefined;
    if (!inputs.has(v)) {
      graph.inputs.push(v);
      inputs.add(v);
    }
  }
  if (moved.size) graph.initializers = graph.initializers.filter((x) => !moved.has(x));
  return parameters;
}

/** Ops that broadcast their inputs to a common shape (input indices that may take a smaller tensor). */
const BROADCASTING: Record<string, (domain: string, index: number) => boolean> = {
  ...Object.fromEntries(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Where'].map((op) => [op, (domain: string) => isAiOnnxDomain(domain)])),
  // ThresholdedReluGrad(S, dY): its body's Where broadcasts dY to S's shape.
  [GRAD_OP_TYPE]: (domain, index) => domain === TRELU_DOMAIN && index === 1,
};

/**
 * Removes an Expand from the backward pass where each node reading it
 * broadcasts that input and already gets the full shape from another input:
 * the consumer then expands by itself, without the full-size copy (the
 * GlobalAveragePool gradient feeding the activation's gradient, say).
 */
function elideBroadcastExpands(graph: Model['graph'], info: (v: Value) => TensorInfo | undefined): void {
  const same = (a: TensorInfo['shape'], b: TensorInfo['shape']) => !!a && !!b && a.length === b.length && a.every((d, i) => d !== undefined && d === b[i]);
  for (const node of [...graph.nodes]) {
    if (node.opType !== 'Expand' || !isAiOnnxDomain(node.domain)) continue;
    const out = node.outputs[0]!;
    const shape = info(out)?.shape;
    const uses = out.uses();
    if (!shape || !uses.length || graph.outputs.includes(out)) continue;
    const fine = uses.every((u) => (Object.hasOwn(BROADCASTING, u.node.opType) ? BROADCASTING[u.node.opType] : undefined)?.(u.node.domain, u.index)
      && u.node.inputs.some((v, i) => i !== u.index && v && same(info(v)?.shape, shape)));
    if (fine) for (const u of uses) u.node.replaceInput(u.index, node.inputs[0]);
  }
}

