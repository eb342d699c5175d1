/**
 * GlobalAveragePool: dX = Expand(dY / (product of the spatial dims), Shape(X)).
 * The division runs on the small [N, C, 1, ..., 1] gradient, before the
 * expansion; spatial sizes known at build time are a constant.
 */
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../rule.js';

export const globalAveragePoolGrad: GradRule = {
  opType: 'GlobalAveragePool',
  saves: { inputs: [0] }, // its shape
  backward({ b, dY, saved, inputInfo, ints, scalar }) {
    const x = saved.input(0);
    const shape = b.op('Shape', [x], { name: 'grad_shape' });
    const spatial = inputInfo(0).shape?.slice(2);
    const n = spatial?.every((d) => typeof d === 'number')
      ? scalar((spatial as number[]).reduce((p, d) => p * d, 1), x)
      : b.op('CastLike', [b.op('ReduceProd', [b.op('Slice', [shape, ints([2]), ints([1 << 30])], { name: 'gap_spatial' })], { name: 'gap_n', attributes: [attr.int('keepdims', 0)] }), x], { name: 'gap_n' });
    return [b.op('Expand', [b.op('Div', [dY[0], n], { name: 'gap_scaled' }), shape], { name: 'gap_grad' })];
  },
};
