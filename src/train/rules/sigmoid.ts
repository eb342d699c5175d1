/** Sigmoid: dX = dY * Y * (1 - Y). */
import type { GradRule } from '../rule.js';

export const sigmoidGrad: GradRule = {
  opType: 'Sigmoid',
  saves: { outputs: [0] },
  backward({ b, dY, saved, scalar }) {
    const y = saved.output(0);
    const oneMinus = b.op('Sub', [scalar(1, y), y], { name: 'sigmoid_1my' });
    return [b.op('Mul', [dY[0], b.op('Mul', [y, oneMinus], { name: 'sigmoid_d' })], { name: 'sigmoid_grad' })];
  },
};
