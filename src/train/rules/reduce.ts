/** ReduceSum and ReduceMean: dY broadcast back over the reduced axes (divided by their size for the mean). */
import Long from 'long';
import { attr } from '../../graph/attributes.js';
import { constantOf } from '../../rewrite/constants.js';
import type { GradContext, GradRule } from '../context.js';

/** The reduced axes (normalized), 'all', or 'none' (noop_with_empty_axes). */
function reducedAxes(ctx: GradContext): number[] | 'all' | 'none' {
  const { node, info } = ctx;
  const fromAttr = node.attribute('axes')?.ints.map((i) => Long.fromValue(i).toNumber());
  const fromInput = node.inputs[1] ? constantOf(node.inputs[1])?.values : undefined;
  if (node.inputs[1] && !fromInput) ctx.unsupported('axes are not constant');
  const axes = fromInput ?? fromAttr;
  if (!axes || axes.length === 0) {
    const noop = node.attribute('noop_with_empty_axes');
    return noop && Long.fromValue(noop.i).toNumber() === 1 ? 'none' : 'all';
  }
  if (axes.some((a) => a < 0)) {
    const rank = info(node.inputs[0]!)?.shape?.length ?? ctx.unsupported('negative axes with an unknown input rank');
    return axes.map((a) => (a < 0 ? a + rank : a));
  }
  return axes;
}

function broadcastBack(ctx: GradContext, mean: boolean) {
  const { node, b, dY } = ctx;
  const x = node.inputs[0]!;
  const axes = reducedAxes(ctx);
  if (axes === 'none') return [dY[0], undefined];
  const keep = node.attribute('keepdims') ? Long.fromValue(node.attribute('keepdims')!.i).toNumber() : 1;
  // Reducing everything: dY is a scalar (or all ones-dims) and expands as it is.
  const g = keep || axes === 'all' ? dY[0]! : b.op('Unsqueeze', [dY[0], ctx.ints(axes)], { name: 'reduce_unsq' });
  const shape = b.op('Shape', [x], { name: 'grad_shape' });
  let out = b.op('Expand', [g, shape], { name: 'reduce_grad' });
  if (mean) {
    const counted = axes === 'all' ? shape : b.op('Gather', [shape, ctx.ints(axes)], { name: 'reduce_counts', attributes: [attr.int('axis', 0)] });
    const n = b.op('CastLike', [b.op('ReduceProd', [counted], { name: 'reduce_n', attributes: [attr.int('keepdims', 0)] }), x], { name: 'reduce_n' });
    out = b.op('Div', [out, n], { name: 'reduce_mean_grad' });
  }
  return [out, undefined];
}

export const reduceSumGrad: GradRule = { opType: 'ReduceSum', backward: (ctx) => broadcastBack(ctx, false) };
export const reduceMeanGrad: GradRule = { opType: 'ReduceMean', backward: (ctx) => broadcastBack(ctx, true) };
