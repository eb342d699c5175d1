/** Sqrt: dX = dY / (2 * Y). */
import type { GradRule } from '../rule.js';

export const sqrtGrad: GradRule = {
  opType: 'Sqrt',
  saves: { outputs: [0] },
  backward: ({ b, dY, saved, scalar }) => [b.op('Div', [dY[0], b.op('Mul', [scalar(2, saved.output(0)), saved.output(0)], { name: 'sqrt_2y' })], { name: 'sqrt_grad' })],
};
