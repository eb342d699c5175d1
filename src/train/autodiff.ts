/**
 * Reverse-mode automatic differentiation over an ONNX graph. The backward
 * pass is appended to the main graph as standard ONNX ops (plus this
 * project's ThresholdedReluGrad function), so the result runs in a stock
 * InferenceSession on any EP, in Node and in browsers.
 *
 *   forward:  x ─▶ f ─▶ g ─▶ loss
 *   appended: dloss = 1 ─▶ g' ─▶ f' ─▶ x_grad   (fan-out summed, saved values read from the forward graph)
 */
import { TreluError } from '../errors.js';
import { onnx, DataType, type TensorProto, type ValueInfoProto } from '../onnx/proto.js';
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import { Builder } from '../graph/builder.js';
import { attr } from '../graph/attributes.js';
import { inferNodes, inferTypes, type TensorInfo } from '../graph/infer.js';
import { Value } from '../graph/value.js';
import { eliminateDeadNodes } from '../graph/passes.js';
import { ensureThresholdedReluGradFunction, GRAD_OP_TYPE, TRELU_DOMAIN } from '../ops/thresholded-relu/grad-function.js';
import { upgradeOpset } from '../rewrite/opset-upgrade.js';
import { makeContext, savedValues, type GradRule } from './context.js';
import { GRADIENT_RULES } from './rules/index.js';
import { appendLoss, type LossFunction } from './loss.js';
import { lowerBatchNormTraining } from './artifacts/batch-norm-training.js';
import { differentiableInput, findPath, FLOAT_TYPES } from './path.js';

export interface GradientOptions {
  /** An existing scalar output (or tensor) to differentiate. */
  loss?: string;
  /** Or: append this loss on output `on`. */
  lossFn?: LossFunction;
  on?: string;
  /** Tensor names, or 'params' for every float initializer. */
  wrt: readonly string[] | 'params';
  /** Keep the model's original outputs next to the loss and gradients. */
  keepOutputs?: boolean;
  /**
   * Give each reader of a shared initializer its own copy (and gradient), as
   * in the source model where an exporter merged weights that were equal.
   */
  untie?: boolean;
  rules?: readonly GradRule[];
}

/** An initializer read by several nodes (directly or through Identity nodes): its gradient is the sum over them. */
export interface SharedParameter {
  tensor: string;
  readers: string[];
  /** With untie: the parameter each reader got, in the order of `readers` (the first keeps the original). */
  untiedAs?: string[];
}

export interface GradientReport {
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
  /** Differentiated initializers that feed several nodes (summed gradient unless untied). */
  shared: SharedParameter[];
  opsetUpgrade?: { from: number; to: number };
  /** Things to know about the gradient model (an op some EP cannot run, say). */
  warnings: string[];
}

const FLOAT = FLOAT_TYPES;
/** Our rules emit ReduceSum with axes as an input (13) and Scatter* with reduction (16). */
const MIN_OPSET = 16;

/**
 * Appends the backward pass to `model` (tfjs's tape, in three steps): find the
 * differentiable path from the --wrt tensors to the loss (path.ts), run each
 * node's rule in reverse order (backpropagate), then make the gradient model
 * (finish: gradients as outputs, differentiated initializers as inputs).
 */
export function buildGradient(model: Model, options: GradientOptions): GradientReport {
  const graph = model.graph;
  const nodesBefore = graph.nodeCount;
  let opsetUpgrade: GradientReport['opsetUpgrade'];
  const opset = model.onnxOpset ?? 0;
  if (opset < MIN_OPSET) {
    upgradeOpset(model, MIN_OPSET);
    opsetUpgrade = { from: opset, to: MIN_OPSET };
  }
  const all = () => [...graph.inputs, ...graph.initializers, ...graph.nodes.flatMap((n) => n.outputs)];
  const find = (name: string) => all().find((v) => v.name === name);

  let loss: Value;
  if (options.lossFn) {
    if (!options.on) throw new TreluError('E_USAGE', '--loss-fn needs --on <output>');
    loss = appendLoss(model, options.lossFn, options.on);
  } else {
    if (!options.loss) throw new TreluError('E_USAGE', 'name the loss: --loss <output>, or --loss-fn mse|cross-entropy --on <output>');
    loss = find(options.loss) ?? (() => { throw new TreluError('E_USAGE', `no tensor named '${options.loss}'`); })();
  }
  // BatchNormalization exported in training mode (batch statistics, as torch's model.train()):
  // lowered to standard ops (i13's lowering), which the existing rules differentiate.
  let types = inferTypes(model);
  const trainingNorms = graph.nodes.filter((n) => n.opType === 'BatchNormalization' && (n.domain === '' || n.domain === 'ai.onnx') && (n.attrs.int('training_mode', 0) === 1 || n.outputs.length > 1));
  if (trainingNorms.length) {
    for (const n of trainingNorms) lowerBatchNormTraining(model, n, (v) => types.get(v));
    types = inferTypes(model);
  }
  const lossInfo = types.get(loss);
  if (lossInfo?.elemType !== undefined && !FLOAT.includes(lossInfo.elemType)) throw new TreluError('E_USAGE', `the loss '${loss.name}' is not a float tensor`);
  if (lossInfo?.shape && lossInfo.shape.some((d) => d !== 1)) throw new TreluError('E_USAGE', `the loss '${loss.name}' is not a scalar (shape [${lossInfo.shape.join(',')}])`, { hint: 'reduce it to a scalar, or use --loss-fn' });

  let wrt = options.wrt === 'params'
    ? graph.initializers.filter((v) => FLOAT.includes(v.initializer!.dataType))
    : options.wrt.map((n) => find(n) ?? (() => { throw new TreluError('E_USAGE', `no tensor named '${n}' to differentiate with respect to`); })());
  if (wrt.length === 0) throw new TreluError('E_USAGE', 'nothing to differentiate: no float initializers found', { hint: 'name tensors with --wrt' });
  for (const v of wrt) {
    const et = types.get(v)?.elemType;
    if (et !== undefined && !FLOAT.includes(et)) throw new TreluError('E_USAGE', `'${v.name}' is not a float tensor; gradients flow only into float tensors`);
  }
  const shared = sharedParameters(wrt);
  if (options.untie && shared.length) {
    wrt = untie(model, wrt, shared);
    for (const v of wrt) if (!types.has(v)) types.set(v, { elemType: v.initializer!.dataType, shape: v.initializer!.dims.map(Number) });
  }

  const b = new Builder(model, graph);
  const { gradOf, usedTreluGrad, info, warnings } = backpropagate(model, b, types, wrt, loss, options.rules ?? GRADIENT_RULES);
  return finish(model, b, { types, info, gradOf, usedTreluGrad, wrt, loss, keepOutputs: !!options.keepOutputs, nodesBefore, opsetUpgrade, warnings, shared });
}

/** Runs each rule on the path, from the loss back; returns each value's (accumulated) gradient. */
function backpropagate(model: Model, b: Builder, types: Map<Value, TensorInfo>, wrt: readonly Value[], loss: Value, ruleList: readonly GradRule[]) {
  const graph = model.graph;
  const rules = new Map(ruleList.map((r) => [r.opType, r]));
  const warnings: string[] = [];
  const forward: ForwardPass = { nodes: new Set(graph.nodes), values: new Set([...graph.inputs, ...graph.initializers]) };
  const contributions = new Map<Value, Value[]>();
  // Each gradient value has the type and shape of the tensor it is the gradient of, even where
  // inference cannot follow the backward ops (a Range or a Shape with a symbolic size, say):
  // rules then use shapes known at build time instead of computing them in the graph.
  const gradientTarget = new Map<Value, Value>();
  const add = (v: Value, g: Value) => {
    gradientTarget.set(g, v);
    contributions.set(v, [...(contributions.get(v) ?? []), g]);
  };
  const gradOf = (v: Value): Value | undefined => {
    const parts = contributions.get(v);
    if (!parts?.length) return undefined;
    if (parts.length === 1) return parts[0];
    const sum = b.op('Sum', parts, { name: 'grad_accum' });
    gradientTarget.set(sum, v);
    contributions.set(v, [sum]);
    return sum;
  };
  const info = (v: Value): TensorInfo | undefined => {
    const own = types.get(v);
    const target = gradientTarget.get(v);
    if (own?.shape || !target) return own;
    const t = types.get(target);
    return t ? { elemType: own?.elemType ?? t.elemType, shape: t.shape } : own;
  };
  const path = findPath(graph, wrt, loss, info);
  const isFloat = (v: Value | undefined) => !!v && FLOAT.includes(types.get(v)?.elemType ?? DataType.FLOAT);

  // dloss/dloss = 1, in the loss's type and shape
  const one = b.op('CastLike', [b.op('Constant', [], { name: 'grad_seed', attributes: { value_float: 1 } }), loss], { name: 'grad_seed' });
  const lossShape = types.get(loss)?.shape;
  add(loss, lossShape?.length === 0 ? one : b.op('Expand', [one, b.op('Shape', [loss], { name: 'grad_shape' })], { name: 'grad_seed' }));

  let usedTreluGrad = false;
  for (const node of path.active) {
    const createdBefore = b.created.length;
    const dY = node.outputs.map((v) => (v && path.fromWrt.has(v) ? gradOf(v) : undefined));
    if (dY.every((g) => g === undefined)) continue;
    const where = `on the path ${path.describe(node)}`;
    if (node.subgraphs.size) throw new TreluError('E_UNSUPPORTED', `no gradient through ${node.opType} node '${node.name}': control flow (subgraphs) is not differentiated (${where})`);
    const rule = node.domain === '' || node.domain === 'ai.onnx' ? rules.get(node.opType) : undefined;
    if (!rule) {
      throw new TreluError('E_UNSUPPORTED', `no gradient rule for ${node.domain ? node.domain + '.' : ''}${node.opType} (node '${node.name || node.outputs[0]?.name}'), which lies between a --wrt tensor and the loss: ${where}`, {
        hint: `rules exist for: ${[...rules.keys()].sort().join(', ')}`,
      });
    }
    const needs = (i: number) => !!node.inputs[i] && path.fromWrt.has(node.inputs[i]!) && differentiableInput(node, i) && isFloat(node.inputs[i]);
    const ctx = makeContext({ node, b, dY, needs, info, opset: model.onnxOpset ?? MIN_OPSET });
    // Missing output gradients (an output that does not reach the loss) are zeros.
    const dYFilled = dY.map((g, i) => g ?? (i === 0 ? ctx.zerosLike(node.outputs[0]!) : undefined));
    const ruleStart = b.created.length;
    const settle = () => inferNodes(b.created.slice(ruleStart), types);
    let grads: (Value | undefined)[];
    try {
      grads = rule.backward(makeContext({ node, b, dY: dYFilled, needs, info, opset: ctx.opset, warn: (m) => warnings.push(m), settle }));
    } catch (e) {
      if (e instanceof TreluError && e.code === 'E_UNSUPPORTED' && !e.message.includes(' on the path ')) throw new TreluError('E_UNSUPPORTED', `${e.message} (${where})`, { hint: e.hint });
      throw e;
    }
    checkSaves(rule, node, b.created.slice(ruleStart), forward, info);
    if (node.opType === 'ThresholdedRelu') usedTreluGrad = true;
    grads.forEach((g, i) => {
      const x = node.inputs[i];
      if (g && x && needs(i)) add(x, g);
    });
    // Type what the rule added (and the forward node, which may have gained an output).
    inferNodes([node, ...b.created.slice(createdBefore)], types);
  }
  return { gradOf, usedTreluGrad, info, warnings };
}

/** Gradients as outputs (typed as the tensors they are gradients of), differentiated initializers as inputs, dead nodes removed. */
function finish(model: Model, b: Builder, s: {
  types: Map<Value, TensorInfo>; info: (v: Value) => TensorInfo | undefined; gradOf: (v: Value) => Value | undefined; usedTreluGrad: boolean;
  wrt: readonly Value[]; loss: Value; keepOutputs: boolean; nodesBefore: number; opsetUpgrade: GradientReport['opsetUpgrade']; warnings: string[]; shared: SharedParameter[];
}): GradientReport {
  const graph = model.graph;
  const { types, wrt } = s;
  if (s.usedTreluGrad || graph.nodes.some((n) => n.opType === GRAD_OP_TYPE)) ensureThresholdedReluGradFunction(model);
  elideBroadcastExpands(graph, s.info);

  const gradients: GradientReport['gradients'] = [];
  const gradOutputs: Value[] = [];
  const dimsOf = (shape: TensorInfo['shape']) => (shape ?? []).map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  for (const v of wrt) {
    let g = s.gradOf(v);
    const connected = !!g;
    if (!g) g = makeContext({ node: graph.nodes[0]!, b, dY: [], needs: () => false, info: s.info, opset: MIN_OPSET }).zerosLike(v);
    const out = b.op('Identity', [g], { name: `${v.name}_grad` });
    const name = out.name;
    const vi = types.get(v);
    // A gradient has its tensor's type and shape by definition: the one declaration made here.
    out.info = onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: vi?.elemType ?? DataType.FLOAT, ...(vi?.shape ? { shape: { dim: dimsOf(vi.shape) as never } } : {}) } },
    }) as ValueInfoProto;
    gradOutputs.push(out);
    gradients.push({ tensor: v.name, gradient: name, connected });
  }

  // Differentiated initializers become plain inputs, so that new values can be fed.
  const parameters = initializersToInputs(model, wrt);
  const initializersAsInputs = Object.keys(parameters);

  const lossOut = s.loss;
  if (!lossOut.info?.type) {
    const li = types.get(lossOut);
    lossOut.info = onnx.ValueInfoProto.create({ name: lossOut.name, type: { tensorType: { elemType: li?.elemType ?? DataType.FLOAT, ...(li?.shape ? { shape: { dim: dimsOf(li.shape) as never } } : {}) } } }) as ValueInfoProto;
  }
  const kept = s.keepOutputs ? graph.outputs.filter((v) => v !== lossOut) : [];
  graph.outputs = [lossOut, ...gradOutputs, ...kept];
  eliminateDeadNodes.run(model);
  return { loss: lossOut.name, gradients, nodesAdded: graph.nodeCount - s.nodesBefore, initializersAsInputs, parameters, shared: s.shared, opsetUpgrade: s.opsetUpgrade, warnings: s.warnings };
}

/** The nodes that read `v`, looking through Identity nodes (how exporters share a merged initializer). */
function readers(v: Value): { node: Node; index: number }[] {
  const out: { node: Node; index: number }[] = [];
  for (const u of v.uses()) {
    if (u.node.opType === 'Identity' && (u.node.domain === '' || u.node.domain === 'ai.onnx') && u.node.outputs[0]) out.push(...readers(u.node.outputs[0]));
    else out.push({ node: u.node, index: u.index });
  }
  return out;
}

function sharedParameters(wrt: readonly Value[]): SharedParameter[] {
  return wrt.filter((v) => v.initializer).map((v) => ({ v, r: readers(v) })).filter(({ r }) => new Set(r.map((x) => x.node)).size > 1)
    .map(({ v, r }) => ({ tensor: v.name, readers: r.map((x) => x.node.name || x.node.outputs[0]?.name || x.node.opType) }));
}

/** Each reader after the first gets its own initializer (a copy of the value), read directly (the Identity aliases bypassed). */
function untie(model: Model, wrt: readonly Value[], shared: SharedParameter[]): Value[] {
  const byName = new Map(shared.map((s) => [s.tensor, s]));
  const out: Value[] = [];
  for (const v of wrt) {
    out.push(v);
    const s = byName.get(v.name);
    if (!s) continue;
    const rs = readers(v);
    s.untiedAs = [v.name];
    rs.forEach((r, k) => {
      if (k === 0) {
        if (r.node.inputs[r.index] !== v) r.node.replaceInput(r.index, v);
        return;
      }
      const name = model.valueNames.unique(`${v.name}.untied_${k}`);
      const copy = new Value(name, { initializer: Object.assign(Object.create(Object.getPrototypeOf(v.initializer!)), v.initializer!, { name }) });
      model.graph.addInitializer(copy);
      r.node.replaceInput(r.index, copy);
      s.untiedAs!.push(name);
      out.push(copy);
    });
  }
  return out;
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
  ...Object.fromEntries(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Where'].map((op) => [op, (domain: string) => domain === ''])),
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
    if (node.opType !== 'Expand' || node.domain !== '') continue;
    const out = node.outputs[0]!;
    const shape = info(out)?.shape;
    const uses = out.uses();
    if (!shape || !uses.length || graph.outputs.includes(out)) continue;
    const fine = uses.every((u) => (Object.hasOwn(BROADCASTING, u.node.opType) ? BROADCASTING[u.node.opType] : undefined)?.(u.node.domain, u.index)
      && u.node.inputs.some((v, i) => i !== u.index && v && same(info(v)?.shape, shape)));
    if (fine) for (const u of uses) u.node.replaceInput(u.index, node.inputs[0]);
  }
}

/**
 * A rule's backward nodes may read, from the forward pass, only what its
 * `saves` declares. Anything else is a bug in the rule.
 */
function checkSaves(rule: GradRule, node: Node, created: readonly Node[], forward: ForwardPass, info: (v: Value) => TensorInfo | undefined): void {
  const allowed = savedValues(rule, node, info);
  for (const n of created) {
    for (const v of n.inputs) {
      if (!v || allowed.has(v)) continue;
      const producer = v.producer();
      if (producer ? forward.nodes.has(producer) : forward.values.has(v)) {
        throw new Error(`the gradient rule for ${rule.opType} reads '${v.name}' from the forward pass (in its ${n.opType} node '${n.name}'), which its saves do not declare`);
      }
    }
  }
}

/** The forward nodes, and the graph inputs and initializers, as they were before the backward pass. */
interface ForwardPass {
  nodes: ReadonlySet<Node>;
  values: ReadonlySet<Value>;
}
