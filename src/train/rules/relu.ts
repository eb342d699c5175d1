/** Relu: dX = dY where X > 0 (subgradient 0 at 0). */
import type { GradRule } from '../context.js';

export const reluGrad: GradRule = {
  opType: 'Relu',
  backward({ node, b, dY, scalar }) {
    const x = node.inputs[0]!;
    const zero = scalar(0, x);
    return [b.op('Where', [b.op('Greater', [x, zero], { name: 'relu_mask' }), dY[0], zero], { name: 'relu_grad' })];
  },
};
