/**
 * Gradients that put dY back where a forward op read it from (GatherElements, nearest Resize):
 * the flat positions of X's elements, and dY scatter-added into zeros of X's shape.
 */
import type { Value } from '../../graph/value.js';
import type { GradContext } from '../rule.js';

/** What flatIndex and scatterAdd use. */
export type Helpers = Pick<GradContext, 'b' | 'ints' | 'dY'>;

/** Flat positions of X's elements, shaped like X. */
export function flatIndex(ctx: Helpers, x: Value): { index: Value; size: Value; shape: Value } {
  const { b, ints } = ctx;
  const shape = b.op('Shape', [x], { name: 'grad_shape' });
  const size = b.op('Size', [x], { name: 'idx_size' });
  const k = (v: number) => b.op('Squeeze', [ints([v])], { name: 'idx_k' });
  const index = b.op('Reshape', [b.op('Range', [k(0), size, k(1)], { name: 'idx_flat' }), shape], { name: 'idx_index' });
  return { index, size, shape };
}

/** dY scatter-added into zeros of X's shape at the flat positions `where` (shaped like dY). */
export function scatterAdd(ctx: Helpers, x: Value, where: Value, size: Value, shape: Value): Value {
  const { b, ints, dY } = ctx;
  const zeros = b.op('CastLike', [b.op('ConstantOfShape', [b.op('Reshape', [size, ints([1])], { name: 'idx_n' })], { name: 'idx_zeros' }), x], { name: 'idx_zeros' });
  const flat = b.op('ScatterElements', [zeros, b.op('Reshape', [where, ints([-1])], { name: 'idx_where' }), b.op('Reshape', [dY[0], ints([-1])], { name: 'idx_dy' })], { name: 'idx_scatter', attributes: { axis: 0, reduction: 'add' } });
  return b.op('Reshape', [flat, shape], { name: 'idx_grad' });
}
