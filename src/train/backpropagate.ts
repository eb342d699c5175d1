/**
 * The second step of building a gradient (tfjs's backpropagateGradients):
 * from the loss back, each node on the path gets its rule's backward nodes,
 * fed the gradients of its outputs (fan-out summed), and the gradient of
 * each input is recorded. A rule reads from the forward pass only what its
 * `saves` declares: `ctx.saved` holds nothing else, and the nodes it built
 * are checked against the declaration too (a rule can still reach the graph
 * through its builder). Each gradient is checked against its tensor's element
 * type and shape, as tfjs checks them.
 */
import { TreluError } from '../errors.js';
import { DataType } from '../onnx/proto.js';
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import type { Builder } from '../graph/builder.js';
import type { Value } from '../graph/value.js';
import type { TensorInfo } from '../graph/infer/types.js';
import { inferNodesOnValues } from '../graph/infer/index.js';
import { makeContext, savedValues, type InfoLookup } from './context.js';
import type { GradRule } from './rule.js';
import { differentiableInput, FLOAT_TYPES, type GradientPath } from './path.js';
import { isAiOnnxDomain } from '../onnx/domain.js';

export interface Backpropagated {
  /** The gradient of `v` (the Sum of its contributions), or undefined where none reached it. */
  gradOf(v: Value): Value | undefined;
  usedTreluGrad: boolean;
  /** Static knowledge of any value, a gradient's shape taken from its tensor where inference lost it. */
  info: InfoLookup;
  warnings: string[];
}

/** The forward nodes, and the graph inputs and initializers, as they were before the backward pass. */
interface ForwardPass {
  nodes: ReadonlySet<Node>;
  values: ReadonlySet<Value>;
}


/** Runs each rule on the path, from the loss back; returns each value's (accumulated) gradient. */
export function backpropagate(model: Model, b: Builder, s: {
  path: GradientPath; loss: Value; forwardInfo: InfoLookup; rules: readonly GradRule[]; opset: number;
}): Backpropagated {
  const graph = model.graph;
  const { path, loss, forwardInfo } = s;
  const rules = new Map(s.rules.map((r) => [r.opType, r]));
  /** Types `nodes` on their values, under the model's opset. */
  const settleTypes = (nodes: Iterable<Node>) => inferNodesOnValues(nodes, s.opset);
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
    const own = forwardInfo(v);
    const target = gradientTarget.get(v);
    if (own?.shape || !target) return own;
    const t = forwardInfo(target);
    return t ? { elemType: own?.elemType ?? t.elemType, shape: t.shape } : own;
  };
  const isFloat = (v: Value | undefined) => !!v && FLOAT_TYPES.includes(forwardInfo(v)?.elemType ?? DataType.FLOAT);

  // dloss/dloss = 1, in the loss's type and shape
  const one = b.op('CastLike', [b.op('Constant', [], { name: 'grad_seed', attributes: { value_float: 1 } }), loss], { name: 'grad_seed' });
  const lossShape = forwardInfo(loss)?.shape;
  add(loss, lossShape?.length === 0 ? one : b.op('Expand', [one, b.op('Shape', [loss], { name: 'grad_shape' })], { name: 'grad_seed' }));

  let usedTreluGrad = false;
  for (const node of path.active) {
    const createdBefore = b.created.length;
    const dY = node.outputs.map((v) => (v && path.fromWrt.has(v) ? gradOf(v) : undefined));
    if (dY.every((g) => g === undefined)) continue;
    // Only for messages: describing the path walks it back to a --wrt tensor (O(depth)), so not for every node.
    const where = () => `on the path ${path.describe(node)}`;
    if (node.subgraphs.size) throw new TreluError('E_UNSUPPORTED', `no gradient through ${node.opType} node '${node.name}': control flow (subgraphs) is not differentiated (${where()})`);
    const rule = isAiOnnxDomain(node.domain) ? rules.get(node.opType) : undefined;
    if (!rule) {
      throw new TreluError('E_UNSUPPORTED', `no gradient rule for ${node.domain ? node.domain + '.' : ''}${node.opType} (node '${node.name || node.outputs[0]?.name}'), which lies between a --wrt tensor and the loss: ${where()}`, {
        hint: `rules exist for: ${[...rules.keys()].sort().join(', ')}`,
      });
    }
    const needs = (i: number) => !!node.inputs[i] && path.fromWrt.has(node.inputs[i]!) && differentiableInput(node, i) && isFloat(node.inputs[i]);
    // Missing output gradients (an output that does not reach the loss) are zeros.
    const own = makeContext({ node, b, dY, needs, info, opset: s.opset });
    const dYFilled = dY.map((g, i) => g ?? (i === 0 ? own.zerosLike(node.outputs[0]!) : undefined));
    const ruleStart = b.created.length;
    const settle = () => settleTypes(b.created.slice(ruleStart));
    let grads: (Value | undefined)[];
    try {
      grads = rule.backward(makeContext({ node, b, dY: dYFilled, needs, info, opset: s.opset, rule, warn: (m) => warnings.push(m), settle }));
    } catch (e) {
      if (e instanceof TreluError && e.code === 'E_UNSUPPORTED' && !e.message.includes(' on the path ')) throw new TreluError('E_UNSUPPORTED', `${e.message} (${where()})`, { hint: e.hint });
      throw e;
    }
    checkSaves(rule, node, b.created.slice(ruleStart), forward, info, s.opset);
    if (node.opType === 'ThresholdedRelu') usedTreluGrad = true;
    // Type what the rule added (and the forward node, which may have gained an output).
    settleTypes([node, ...b.created.slice(createdBefore)]);
    grads.forEach((g, i) => {
      const x = node.inputs[i];
      if (!g || !x || !needs(i)) return;
      checkGradientType(rule, node, i, forwardInfo(g), forwardInfo(x));
      add(x, g);
    });
  }
  return { gradOf, usedTreluGrad, info, warnings };
}

/**
 * tfjs checks each gradient against its tensor: a gradient has its tensor's
 * element type and shape. Where inference knows both (it leaves unknown what
 * it cannot tell), a mismatch is a bug in the rule, caught here rather than as
 * a broadcast that silently sums the wrong thing or a model ORT refuses.
 */
function checkGradientType(rule: GradRule, node: Node, i: number, g: TensorInfo | undefined, x: TensorInfo | undefined): void {
  const fail = (what: string) => {
    throw new TreluError('E_INTERNAL', `the gradient rule for ${rule.opType} returned a gradient for input ${i} of node '${node.name || node.outputs[0]?.name}' ${what}`);
  };
  if (g?.elemType !== undefined && x?.elemType !== undefined && g.elemType !== x.elemType) fail(`of element type ${g.elemType}, where the input is ${x.elemType}`);
  const gs = g?.shape;
  const xs = x?.shape;
  if (!gs || !xs) return;
  const shown = (d: readonly unknown[]) => `[${d.map((v) => v ?? '?').join(',')}]`;
  if (gs.length !== xs.length || gs.some((d, k) => typeof d === 'number' && typeof xs[k] === 'number' && d !== xs[k])) fail(`shaped ${shown(gs)}, where the input is ${shown(xs)}`);
}

/**
 * A rule's backward nodes may read, from the forward pass, only what its
 * `saves` declares. Anything else is a bug in the rule.
 */
function checkSaves(rule: GradRule, node: Node, created: readonly Node[], forward: ForwardPass, info: InfoLookup, opset: number): void {
  const allowed = savedValues(rule, node, info, opset);
  for (const n of created) {
    for (const v of n.inputs) {
      if (!v || allowed.has(v)) continue;
      const producer = v.producer();
      if (producer ? forward.nodes.has(producer) : forward.values.has(v)) {
        throw new TreluError('E_INTERNAL', `the gradient rule for ${rule.opType} reads '${v.name}' from the forward pass (in its ${n.opType} node '${n.name}'), which its saves do not declare`);
      }
    }
  }
}
