/**
 * Slice. With constant starts/ends/axes, steps of 1 and the sliced axes'
 * sizes known: dX = Pad(dY) with zeros where the slice cut. Otherwise
 * (starts computed in the graph, as attention's q/k/v split of one
 * projection; any steps): the same Slice applied to the flat index of each
 * element of X says where each element of dY came from, and dY is
 * scattered there into zeros — exact for every case Slice allows.
 */
import type { GradContext, GradRule } from '../rule.js';
import type { Value } from '../../graph/value.js';

function padded(ctx: GradContext): Value | undefined {
  const { b, dY, inputInfo, constantInput, hasInput, ints } = ctx;
  const shape = inputInfo(0).shape;
  const read = (i: number) => (hasInput(i) ? constantInput(i) : undefined);
  const starts = read(1);
  const ends = read(2);
  if (!shape || !starts || !ends || (hasInput(3) && !read(3)) || (hasInput(4) && !read(4))) return undefined;
  const axes = read(3) ?? starts.map((_, i) => i);
  const steps = read(4) ?? starts.map(() => 1);
  if (steps.some((s) => s !== 1)) return undefined;
  const rank = shape.length;
  const pads = new Array<number>(2 * rank).fill(0);
  for (const [i, ax] of axes.entries()) {
    const a = ax < 0 ? ax + rank : ax;
    const dim = shape[a];
    if (typeof dim !== 'number') return undefined;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const s = clamp(starts[i]!);
    const e = Math.max(clamp(ends[i]!), s);
    pads[a] = s;
    pads[a + rank] = dim - e;
  }
  return b.op('Pad', [dY[0], ints(pads, 'slice_pads')], { name: 'slice_grad', attributes: { mode: 'constant' } });
}

function scattered(ctx: GradContext): Value {
  const { b, dY, saved, ints } = ctx;
  const x = saved.input(0);
  const rest = [...Array(ctx.inputCount).keys()].slice(1).map((i) => saved.optionalInput(i)); // starts, ends, axes?, steps?
  const shape = b.op('Shape', [x], { name: 'grad_shape' });
  const size = b.op('Size', [x], { name: 'slice_size' });
  const scalar = (v: number) => b.op('Squeeze', [ints([v])], { name: 'slice_k' });
  const flat = b.op('Range', [scalar(0), size, scalar(1)], { name: 'slice_flat' });
  const where = b.op('Slice', [b.op('Reshape', [flat, shape], { name: 'slice_index' }), ...rest], { name: 'slice_where' });
  const zeros = b.op('CastLike', [b.op('ConstantOfShape', [b.op('Reshape', [size, ints([1])], { name: 'slice_n' })], { name: 'slice_zeros' }), x], { name: 'slice_zeros' });
  const flatGrad = b.op('ScatterElements', [zeros, b.op('Reshape', [where, ints([-1])], { name: 'slice_where' }), b.op('Reshape', [dY[0], ints([-1])], { name: 'slice_dy' })], { name: 'slice_grad', attributes: { axis: 0 } });
  return b.op('Reshape', [flatGrad, shape], { name: 'slice_grad' });
}

export const sliceGrad: GradRule = {
  opType: 'Slice',
  // X for its shape; starts/ends/axes/steps where they are computed in the graph
  saves: { inputs: [0, 1, 2, 3, 4] },
  backward(ctx) {
    return [padded(ctx) ?? scattered(ctx), undefined, undefined, undefined, undefined];
  },
};
