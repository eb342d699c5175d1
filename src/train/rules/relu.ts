/**
 * Relu: dX = dY where Y > 0 (subgradient 0 at 0). Y > 0 exactly when X > 0
 * (NaN: neither), and reading Y leaves X to the forward node alone, so ORT
 * can fuse it into the op before.
 */
import type { GradRule } from '../rule.js';

export const reluGrad: GradRule = {
  opType: 'Relu',
  saves: { outputs: [0] },
  backward({ b, dY, saved, inputInfo, scalar }) {
    const y = saved.output(0);
    const zero = scalar(0, inputInfo(0)); // X's type: only Y is saved
    return [b.op('Where', [b.op('Greater', [y, zero], { name: 'relu_mask' }), dY[0], zero], { name: 'relu_grad' })];
  },
};
