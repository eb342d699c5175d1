/** Concat: dY split back along the axis into the inputs' sizes (read from their shapes in the graph). */
import Long from 'long';
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../context.js';

export const concatGrad: GradRule = {
  opType: 'Concat',
  saves: (node) => ({ inputs: node.inputs.map((_, i) => i) }), // for their sizes
  backward({ node, b, dY, info, ints, unsupported }) {
    let axis = Long.fromValue(node.attribute('axis')!.i).toNumber();
    if (axis < 0) {
      const rank = info(node.inputs[0]!)?.shape?.length ?? unsupported('negative axis with unknown rank');
      axis += rank;
    }
    const sizes = node.inputs.map((x) => b.op('Gather', [b.op('Shape', [x], { name: 'concat_shape' }), ints([axis])], { name: 'concat_size', attributes: [attr.int('axis', 0)] }));
    const split = b.op('Concat', sizes, { name: 'concat_sizes', attributes: [attr.int('axis', 0)] });
    return b.ops('Split', [dY[0], split], node.inputs.length, { name: 'concat_grad', attributes: [attr.int('axis', axis)] });
  },
};
