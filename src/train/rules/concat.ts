/**
 * Concat: dY split back along the axis into the inputs' sizes: a constant
 * where every size is known at build time, else read from their shapes in
 * the graph.
 */
import { TreluError } from '../../errors.js';
import { attr } from '../../graph/attributes.js';
import type { ForwardNodeInfo, GradRule } from '../rule.js';

const positions = (n: number) => [...Array(n).keys()];

/** The concatenation axis, normalized when the rank is known (a negative axis needs it). */
function concatAxis(node: ForwardNodeInfo): number | undefined {
  const axis = node.attrs.int('axis');
  if (axis === undefined) throw new TreluError('E_GRAPH', `Concat node '${node.name}' has no axis attribute (it is required)`);
  if (axis >= 0) return axis;
  const rank = node.inputInfo(0).rank;
  return rank === undefined ? undefined : axis + rank;
}

/** Each input's size along the axis, where known at build time. */
const sizes = (node: ForwardNodeInfo, axis: number) => positions(node.inputCount).map((i) => node.inputInfo(i).shape?.[axis]);

export const concatGrad: GradRule = {
  opType: 'Concat',
  // Their shapes, where the sizes are not known at build time.
  saves: (node) => {
    const axis = concatAxis(node);
    const known = axis !== undefined && sizes(node, axis).every((d) => typeof d === 'number');
    return known ? {} : { inputs: positions(node.inputCount) };
  },
  backward(ctx) {
    const { b, dY, saved, ints, unsupported } = ctx;
    const axis = concatAxis(ctx) ?? unsupported('negative axis with unknown rank');
    const fixed = sizes(ctx, axis);
    const split = fixed.every((d) => typeof d === 'number')
      ? ints(fixed as number[], 'concat_sizes')
      : b.op('Concat', positions(ctx.inputCount).map((i) => b.op('Gather', [b.op('Shape', [saved.input(i)], { name: 'concat_shape' }), ints([axis])], { name: 'concat_size', attributes: [attr.int('axis', 0)] })), { name: 'concat_sizes', attributes: [attr.int('axis', 0)] });
    return b.ops('Split', [dY[0], split], ctx.inputCount, { name: 'concat_grad', attributes: [attr.int('axis', axis)] });
  },
};
