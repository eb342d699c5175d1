/**
 * What a gradient rule gets: the forward node, the gradients flowing into its
 * outputs, a builder placed in the backward part of the graph, and helpers
 * for the things many rules need (constants of the right type, reducing a
 * broadcast gradient back to an input's shape).
 */
import { TreluError } from '../errors.js';
import { onnx, DataType, type TensorProto } from '../onnx/proto.js';
import type { Builder } from '../graph/builder.js';
import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';
import type { TensorInfo } from '../graph/infer.js';
import { attr } from '../graph/attributes.js';
import { numberToFloat16, numberToBfloat16 } from '../ops/float16.js';
import { makeTensor } from '../onnx/tensor.js';

export interface GradContext {
  readonly node: Node;
  readonly b: Builder;
  /** Gradient of the loss with respect to each output (undefined: no gradient flows there). */
  readonly dY: readonly (Value | undefined)[];
  /** Whether input i needs a gradient (it lies on a path from a --wrt tensor). */
  needs(i: number): boolean;
  /** Static type/shape knowledge. */
  info(v: Value): TensorInfo | undefined;
  /** ai.onnx opset of the model. */
  readonly opset: number;
  /** A scalar constant of `like`'s element type. */
  scalar(value: number, like: Value): Value;
  /** A 1-D int64 constant. */
  ints(values: readonly number[], name?: string): Value;
  /** Sums `grad` (shaped like a broadcast result) back to `input`'s shape. */
  reduceTo(grad: Value, input: Value): Value;
  /** Zeros of `like`'s shape and type (not Mul(like, 0), which is NaN where like is infinite). */
  zerosLike(like: Value): Value;
  /** Fails with the node named: the rule cannot handle this case. */
  unsupported(why: string): never;
  /** Notes something the user should know about the gradient model (in GradientReport.warnings). */
  warn(message: string): void;
}

/** Forward values a rule's backward nodes read, by position on the forward node. */
export interface Saves {
  readonly inputs?: readonly number[];
  readonly outputs?: readonly number[];
}

/**
 * A gradient rule, in the style of tfjs's gradient configs: what it saves
 * from the forward pass (tfjs's inputsToSave / outputsToSave) and a function
 * that builds the backward nodes with the IR builder.
 */
export interface GradRule {
  readonly opType: string;
  /**
   * The forward values the backward nodes may read (values, or only their
   * shapes or types: anything they take as an input). These are what must
   * stay alive between the forward and backward passes. A function where it
   * depends on the node (ThresholdedRelu saves Y for alpha >= 0, X below).
   * buildGradient checks every rule against it.
   */
  readonly saves: Saves | ((node: Node, info: (v: Value) => TensorInfo | undefined) => Saves);
  /** Returns a gradient per input (undefined where none is needed or defined). */
  backward(ctx: GradContext): (Value | undefined)[];
}

/** The values `rule` declares it reads from `node`. */
export function savedValues(rule: GradRule, node: Node, info: (v: Value) => TensorInfo | undefined): Set<Value> {
  const s = typeof rule.saves === 'function' ? rule.saves(node, info) : rule.saves;
  const out = new Set<Value>();
  for (const i of s.inputs ?? []) if (node.inputs[i]) out.add(node.inputs[i]!);
  for (const i of s.outputs ?? []) if (node.outputs[i]) out.add(node.outputs[i]!);
  return out;
}

function scalarTensor(value: number, elemType: number): TensorProto {
  let raw: Uint8Array;
  switch (elemType) {
    case DataType.FLOAT: raw = new Uint8Array(Float32Array.of(value).buffer); break;
    case DataType.DOUBLE: raw = new Uint8Array(Float64Array.of(value).buffer); break;
    case DataType.FLOAT16: raw = new Uint8Array(Uint16Array.of(numberToFloat16(value)).buffer); break;
    case DataType.BFLOAT16: raw = new Uint8Array(Uint16Array.of(numberToBfloat16(value)).buffer); break;
    default: throw new TreluError('E_UNSUPPORTED', `no gradient for element type ${elemType}`);
  }
  return onnx.TensorProto.create({ dataType: elemType, dims: [], rawData: raw }) as TensorProto;
}

export function makeContext(init: {
  node: Node;
  b: Builder;
  dY: (Value | undefined)[];
  needs: (i: number) => boolean;
  info: (v: Value) => TensorInfo | undefined;
  opset: number;
  warn?: (message: string) => void;
  /** Types the nodes the rule has built so far, so that reduceTo sees their shapes. */
  settle?: () => void;
}): GradContext {
  const { b, node } = init;
  const ctx: GradContext = {
    ...init,
    scalar(value, like) {
      if (!like) throw new TreluError('E_GRAPH', `node '${node.name}' (${node.opType}): a required input is missing`);
      const et = init.info(like)?.elemType;
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
      return reduceToShape(ctx, grad, input, init.settle);
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
  return ctx;
}

/**
 * Broadcast reduction. Static when both shapes are known well enough (sum the
 * leading axes and the axes where the input has a fixed 1); otherwise in the
 * graph: sum over every axis where the input's (left-padded) shape is 1, then
 * reshape to Shape(input).
 */
function reduceToShape(ctx: GradContext, grad: Value, input: Value, settle?: () => void): Value {
  settle?.();
  const xs = ctx.info(input)?.shape;
  const gs = ctx.info(grad)?.shape;
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
