/** Abs: dX = dY * Sign(X) (0 at 0, as PyTorch). */
import type { GradRule } from '../rule.js';

export const absGrad: GradRule = {
  opType: 'Abs',
  saves: { inputs: [0] },
  backward({ b, dY, saved }) {
    return [b.op('Mul', [dY[0], b.op('Sign', [saved.input(0)], { name: 'abs_sign' })], { name: 'abs_grad' })];
  },
};
