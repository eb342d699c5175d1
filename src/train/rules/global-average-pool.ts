/** GlobalAveragePool: dX = Expand(dY, Shape(X)) / (product of the spatial dims). */
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../context.js';

export const globalAveragePoolGrad: GradRule = {
  opType: 'GlobalAveragePool',
  backward({ node, b, dY, ints }) {
    const x = node.inputs[0]!;
    const shape = b.op('Shape', [x], { name: 'grad_shape' });
    const spatial = b.op('Slice', [shape, ints([2]), ints([1 << 30])], { name: 'gap_spatial' });
    const n = b.op('CastLike', [b.op('ReduceProd', [spatial], { name: 'gap_n', attributes: [attr.int('keepdims', 0)] }), x], { name: 'gap_n' });
    return [b.op('Div', [b.op('Expand', [dY[0], shape], { name: 'gap_expand' }), n], { name: 'gap_grad' })];
  },
};
