/**
 * The GradContext a rule's backward function gets (the interface is in
 * rule.ts): the forward node seen through ForwardNodeInfo, the saved values
 * its `saves` declares and nothing else, and the helpers many rules need
 * (constants of the right type, reducing a broadcast gradient back to an
 * input's shape). buildGradient's own: rules never make one.
 */
import { TreluError } from '../errors.js';
import { onnx, type TensorProto } from '../onnx/proto.js';
import type { Builder } from '../graph/builder.js';
import type { Node } from '../graph/node.js';
import { Value } from '../graph/value.js';
import type { TensorInfo } from '../graph/infer/types.js';
import { attr } from '../graph/attributes.js';
import { floatValues } from './float-values.js';
import { makeTensor } from '../onnx/tensor.js';
import { constantOf } from '../rewrite/constants.js';
import type { ForwardNodeInfo, GradContext, GradRule, SavedValues, Saves, StaticInfo } from './rule.js';

/** What buildGradient knows about a value: declared, inferred, or (for a gradient) its tensor's shape. */
export type InfoLookup = (v: Value) => TensorInfo | undefined;


const NOTHING: StaticInfo = { name: undefined, dtype: undefined, shape: undefined, rank: undefined };

function staticInfo(v: Value | undefined, info: InfoLookup): StaticInfo {
  if (!v) return NOTHING;
  const t = info(v);
  return { name: v.name, dtype: t?.elemType, shape: t?.shape, rank: t?.shape?.length };
}

/** The forward node as a rule may see it (for `saves` functions and as the base of GradContext). */
export function forwardNodeInfo(node: Node, info: InfoLookup, opset: number): ForwardNodeInfo {
  const view: ForwardNodeInfo = {
    opType: node.opType,
    domain: node.domain,
    name: node.name || node.outputs[0]?.name || '',
    attrs: node.attrs,
    attributes: node.attributes,
    hasInput: (i) => !!node.inputs[i],
    hasOutput: (i) => !!node.outputs[i],
    inputInfo: (i) => staticInfo(node.inputs[i], info),
    outputInfo: (i) => staticInfo(node.outputs[i], info),
    constantInput: (i) => (node.inputs[i] ? constantOf(node.inputs[i]!)?.values : undefined),
    opset,
  } as Omit<ForwardNodeInfo, 'inputCount' | 'outputCount'> as ForwardNodeInfo;
  withLiveCounts(view, node);
  return view;
}

/** inputCount and outputCount read the node when asked (ensureOutput adds an output), also on objects spread from a view. */
function withLiveCounts(target: object, node: Node): void {
  Object.defineProperties(target, {
    inputCount: { get: () => node.inputs.length, enumerable: true },
    outputCount: { get: () => node.outputs.length, enumerable: true },
  });
}

/** The positions `rule` declares for `node`. */
export function declaredSaves(rule: GradRule, node: Node, info: InfoLookup, opset: number): Saves {
  return typeof rule.saves === 'function' ? rule.saves(forwardNodeInfo(node, info, opset)) : rule.saves;
}

/** The values `rule` declares it reads from `node`. */
export function savedValues(rule: GradRule, node: Node, info: InfoLookup, opset: number): Set<Value> {
  const s = declaredSaves(rule, node, info, opset);
  const out = new Set<Value>();
  for (const i of s.inputs ?? []) if (node.inputs[i]) out.add(node.inputs[i]!);
  for (const i of s.outputs ?? []) if (node.outputs[i]) out.add(node.outputs[i]!);
  return out;
}

function saved(rule: GradRule | undefined, node: Node, b: Builder, s: Saves): SavedValues {
  const label = () => `node '${node.name || node.outputs[0]?.name}' (${node.opType})`;
  const declared = (kind: 'input' | 'output', i: number) => {
    const list = kind === 'input' ? s.inputs : s.outputs;
    if (!list?.includes(i)) {
      throw new TreluError('E_INTERNAL', `the gradient rule for ${rule?.opType ?? node.opType} reads ${kind} ${i} of ${label()}, which its saves do not declare`, {
        hint: `add ${i} to the rule's saves.${kind}s`,
      });
    }
  };
  const optionalInput = (i: number) => {
    declared('input', i);
    return node.inputs[i];
  };
  return {
    optionalInput,
    input(i) {
      return optionalInput(i) ?? (() => { throw new TreluError('E_GRAPH', `${label()}: input ${i} is missing`); })();
    },
    output(i) {
      declared('output', i);
      return node.outputs[i] ?? (() => { throw new TreluError('E_GRAPH', `${label()}: output ${i} is missing`); })();
    },
    ensureOutput(i, suffix) {
      declared('output', i);
      if (node.outputs[i]) return node.outputs[i]!;
      if (i !== node.outputs.length) throw new TreluError('E_INTERNAL', `${label()}: output ${i} cannot be added before output ${node.outputs.length}`);
      const v = new Value(b.scope.valueNames.unique(`${node.outputs[0]!.name}_${suffix}`));
      node.appendOutput(v);
      return v;
    },
  };
}

function scalarTensor(value: number, elemType: number): TensorProto {
  const values = floatValues([value], elemType);
  if (!values) throw new TreluError('E_UNSUPPORTED', `no gradient for element type ${elemType}`);
  return onnx.TensorProto.create({ dataType: elemType, dims: [], rawData: new Uint8Array(values.buffer) }) as TensorProto;
}

export function makeContext(init: {
  node: Node;
  b: Builder;
  dY: (Value | undefined)[];
  needs: (i: number) => boolean;
  info: InfoLookup;
  opset: number;
  /** The rule the context is for (undefined: buildGradient's own helpers, which read no saved values). */
  rule?: GradRule;
  warn?: (message: string) => void;
  /** Types the nodes the rule has built so far, so that reduceTo sees their shapes. */
  settle?: () => void;
}): GradContext {
  const { b, node, info } = init;
  const view = forwardNodeInfo(node, info, init.opset);
  const saves = init.rule ? declaredSaves(init.rule, node, info, init.opset) : {};
  const ctx: GradContext = {
    ...view,
    b,
    dY: init.dY,
    needs: init.needs,
    saved: saved(init.rule, node, b, saves),
    scalar(value, like) {
      if (!like) throw new TreluError('E_GRAPH', `node '${node.name}' (${node.opType}): a required input is missing`);
      const et = like instanceof Value ? info(like)?.elemType : like.dtype;
      if (et === undefined) ctx.unsupported(`the element type of '${like.name}' is unknown`);
      return b.op('Constant', [], { name: 'grad_const', attributes: [attr.tensor('value', scalarTensor(value, et))] });
    },
    ints(values, name = 'grad_ints') {
      // The values come from the model's shapes and attributes: a malformed one (NaN from group 0, say) is the model's error.
      const bad = values.findIndex((v) => !Number.isSafeInteger(v)); // findIndex: the bad value may be undefined itself
      if (bad >= 0) throw new TreluError('E_GRAPH', `node '${node.name}' (${node.opType}): its attributes or shapes give ${values[bad]} where an integer is needed`);
      return b.op('Constant', [], { name, attributes: [attr.tensor('value', makeTensor('', [values.length], BigInt64Array.from(values.map(BigInt))))] });
    },
    reduceTo(grad, input) {
      return reduceToShape(ctx, info, grad, input, init.settle);
    },
    zerosLike(like) {
      const zeros = b.op('ConstantOfShape', [b.op('Shape', [like], { name: 'grad_shape' })], { name: 'grad_zeros' });
      return b.op('CastLike', [zeros, like], { name: 'grad_zeros' });
    },
    warn(message) {
      init.warn?.(message);
    },
    unsupported(why): never {
      throw new TreluError('E_UNSUPPORTED', `no gradient for ${node.opType} node '${node.name || node.outputs[0]?.name}': ${why}`);
    },
  };
  withLiveCounts(ctx, node);
  return ctx;
}

/**
 * Broadcast reduction. Static when both shapes are known well enough (sum the
 * leading axes and the axes where the input has a fixed 1); otherwise in the
 * graph: sum over every axis where the input's (left-padded) shape is 1, then
 * reshape to Shape(input).
 */
function reduceToShape(ctx: GradContext, info: InfoLookup, grad: Value, input: Value, settle?: () => void): Value {
  settle?.();
  const xs = info(input)?.shape;
  const gs = info(grad)?.shape;
  if (xs && gs) {
    if (xs.length === gs.length && xs.every((d, i) => d === gs[i] && d !== undefined)) return grad;
    const lead = gs.length - xs.length;
    const decidable = lead >= 0 && xs.every((d, i) => d === 1 || (d !== undefined && d === gs[lead + i]) || (typeof d === 'string' && d === gs[lead + i]));
    if (decidable) {
      const inner = xs.map((d, i) => (d === 1 && gs[lead + i] !== 1 ? lead + i : -1)).filter((a) => a >= 0);
      const axes = [...Array(lead).keys(), ...inner];
      if (axes.length === 0) return grad;
      // Leading axes only: keepdims 0 leaves X's shape. Inner axes only: keepdims 1 does.
      const summed = ctx.b.op('ReduceSum', [grad, ctx.ints(axes, 'grad_axes')], { name: 'grad_reduce', attributes: [attr.int('keepdims', inner.length ? 1 : 0)] });
      if (lead === 0 || inner.length === 0) return summed;
      const target = xs.every((d) => typeof d === 'number') ? ctx.ints(xs as number[], 'grad_shape') : ctx.b.op('Shape', [input], { name: 'grad_shape' });
      return ctx.b.op('Reshape', [summed, target], { name: 'grad_reshape' });
    }
  }
  // Dynamic: axes = NonZero(Equal(pad(Shape(input)), 1)) over the gradient's rank.
  const b = ctx.b;
  const xShape = b.op('Shape', [input], { name: 'grad_shape' });
  const gRank = b.op('Size', [b.op('Shape', [grad], { name: 'grad_shape' })], { name: 'grad_rank' });
  // The input's shape left-padded with ones to the gradient's rank: the last gRank entries of
  // [1 x 8, ...Shape(input)] (no ConstantOfShape of a computed length: onnxruntime-web's constant
  // folding mis-shapes one of length 0).
  const ones = ctx.ints(new Array(8).fill(1), 'grad_ones');
  const all = b.op('Concat', [ones, xShape], { name: 'grad_padded', attributes: { axis: 0 } });
  const start = b.op('Unsqueeze', [b.op('Sub', [b.op('Size', [all], { name: 'grad_pad' }), gRank], { name: 'grad_pad' }), ctx.ints([0])], { name: 'grad_pad' });
  const padded = b.op('Slice', [all, start, ctx.ints([Number.MAX_SAFE_INTEGER])], { name: 'grad_padded' });
  const isOne = b.op('Equal', [padded, ctx.ints([1])], { name: 'grad_is_one' });
  const axes = b.op('Reshape', [b.op('NonZero', [isOne], { name: 'grad_axes' }), ctx.ints([-1])], { name: 'grad_axes' });
  const summed = b.op('ReduceSum', [grad, axes], { name: 'grad_reduce', attributes: [attr.int('keepdims', 1), attr.int('noop_with_empty_axes', 1)] });
  return b.op('Reshape', [summed, xShape], { name: 'grad_reshape' });
}
