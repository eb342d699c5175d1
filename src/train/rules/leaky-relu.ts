/** LeakyRelu: dX = dY where X > 0, alpha * dY elsewhere. */
import type { GradRule } from '../rule.js';

export const leakyReluGrad: GradRule = {
  opType: 'LeakyRelu',
  saves: { inputs: [0] },
  backward({ b, dY, saved, attrs, scalar }) {
    const x = saved.input(0);
    const alpha = attrs.float('alpha', 0.01);
    const mask = b.op('Greater', [x, scalar(0, x)], { name: 'leaky_mask' });
    return [b.op('Where', [mask, dY[0], b.op('Mul', [dY[0], scalar(alpha, x)], { name: 'leaky_neg' })], { name: 'leaky_grad' })];
  },
};
