/** Tanh: dX = dY * (1 - Y^2). */
import type { GradRule } from '../rule.js';

export const tanhGrad: GradRule = {
  opType: 'Tanh',
  saves: { outputs: [0] },
  backward({ b, dY, saved, scalar }) {
    const y = saved.output(0);
    const d = b.op('Sub', [scalar(1, y), b.op('Mul', [y, y], { name: 'tanh_y2' })], { name: 'tanh_d' });
    return [b.op('Mul', [dY[0], d], { name: 'tanh_grad' })];
  },
};
