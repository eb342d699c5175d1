/**
 * Concat: dY split back along the axis into the inputs' sizes: a constant
 * where every size is known at build time, else read from their shapes in
 * the graph.
 */
import { TreluError } from '../../errors.js';
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../context.js';

/** The concatenation axis, normalized when the rank is known (a negative axis needs it). */
function concatAxis(node: Parameters<GradRule['backward']>[0]['node'], rank: number | undefined): number | undefined {
  const axis = node.attrs.int('axis');
  if (axis === undefined) throw new TreluError('E_GRAPH', `Concat node '${node.name}' has no axis attribute (it is required)`);
  if (axis >= 0) return axis;
  return rank === undefined ? undefined : axis + rank;
}

export const concatGrad: GradRule = {
  opType: 'Concat',
  // Their shapes, where the sizes are not known at build time.
  saves: (node, info) => {
    const axis = concatAxis(node, info(node.inputs[0]!)?.shape?.length);
    const known = axis !== undefined && node.inputs.every((x) => typeof info(x!)?.shape?.[axis] === 'number');
    return known ? {} : { inputs: node.inputs.map((_, i) => i) };
  },
  backward({ node, b, dY, info, ints, unsupported }) {
    const axis = concatAxis(node, info(node.inputs[0]!)?.shape?.length) ?? unsupported('negative axis with unknown rank');
    const fixed = node.inputs.map((x) => info(x!)?.shape?.[axis]);
    const split = fixed.every((d) => typeof d === 'number')
      ? ints(fixed as number[], 'concat_sizes')
      : b.op('Concat', node.inputs.map((x) => b.op('Gather', [b.op('Shape', [x], { name: 'concat_shape' }), ints([axis])], { name: 'concat_size', attributes: [attr.int('axis', 0)] })), { name: 'concat_sizes', attributes: [attr.int('axis', 0)] });
    return b.ops('Split', [dY[0], split], node.inputs.length, { name: 'concat_grad', attributes: [attr.int('axis', axis)] });
  },
};
