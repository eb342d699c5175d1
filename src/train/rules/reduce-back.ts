/**
 * Shared by the ReduceSum and ReduceMean rules: dY broadcast back over the
 * reduced axes, divided by their size for the mean (before the expansion,
 * on the small tensor; a constant where the sizes are known).
 */
import { attr } from '../../graph/attributes.js';
import type { GradContext } from '../rule.js';
import type { Value } from '../../graph/value.js';

/** The reduced axes (normalized), 'all', or 'none' (noop_with_empty_axes). */
export function reducedAxes(ctx: GradContext): number[] | 'all' | 'none' {
  const { attrs, hasInput, constantInput } = ctx;
  const fromAttr = attrs.ints('axes');
  const fromInput = hasInput(1) ? constantInput(1) : undefined;
  if (hasInput(1) && !fromInput) ctx.unsupported('axes are not constant');
  const axes = fromInput ?? fromAttr;
  if (!axes || axes.length === 0) {
    return attrs.int('noop_with_empty_axes', 0) === 1 ? 'none' : 'all';
  }
  if (axes.some((a) => a < 0)) {
    // With the rank unknown, negative axes stay: Unsqueeze (relative to its output, X's rank) and
    // Gather (on Shape(X)) read them as the reduction did.
    const rank = ctx.inputInfo(0).rank;
    return rank === undefined ? axes : axes.map((a) => (a < 0 ? a + rank : a));
  }
  return axes;
}

/** `v` (shaped like the reduction's output) with the reduced axes back as size 1 (as keepdims=1 would give). */
export function restoreAxes(ctx: GradContext, v: Value, axes: number[] | 'all'): Value {
  const keep = ctx.attrs.int('keepdims', 1);
  return keep || axes === 'all' ? v : ctx.b.op('Unsqueeze', [v, ctx.ints(axes)], { name: 'reduce_unsq' });
}

export function broadcastBack(ctx: GradContext, mean: boolean) {
  const { attrs, b, dY, saved } = ctx;
  const x = saved.input(0);
  const axes = reducedAxes(ctx);
  if (axes === 'none') return [dY[0], undefined];
  const keep = attrs.int('keepdims', 1);
  // Reducing everything: dY is a scalar (or all ones-dims) and expands as it is.
  const g = keep || axes === 'all' ? dY[0]! : b.op('Unsqueeze', [dY[0], ctx.ints(axes)], { name: 'reduce_unsq' });
  const shape = b.op('Shape', [x], { name: 'grad_shape' });
  let scaled = g;
  if (mean) {
    const dims = ctx.inputInfo(0).shape;
    const reduced = axes === 'all' ? dims : dims && axes.map((a) => dims[a < 0 ? a + dims.length : a]);
    const n = reduced?.every((d) => typeof d === 'number')
      ? ctx.scalar((reduced as number[]).reduce((p, d) => p * d, 1), x)
      : b.op('CastLike', [b.op('ReduceProd', [axes === 'all' ? shape : b.op('Gather', [shape, ctx.ints(axes)], { name: 'reduce_counts', attributes: [attr.int('axis', 0)] })], { name: 'reduce_n', attributes: [attr.int('keepdims', 0)] }), x], { name: 'reduce_n' });
    scaled = b.op('Div', [g, n], { name: 'reduce_mean_scaled' });
  }
  return [b.op('Expand', [scaled, shape], { name: 'reduce_grad' }), undefined];
}
