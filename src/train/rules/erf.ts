/** Erf (the exact GELU as exporters write it: x * 0.5 * (1 + Erf(x / √2))): dX = dY * 2/√π * exp(-x²). */
import type { GradRule } from '../rule.js';

export const erfGrad: GradRule = {
  opType: 'Erf',
  saves: { inputs: [0] },
  backward({ b, dY, saved, scalar }) {
    const x = saved.input(0);
    const e = b.op('Exp', [b.op('Neg', [b.op('Mul', [x, x], { name: 'erf_x2' })], { name: 'erf_nx2' })], { name: 'erf_e' });
    return [b.op('Mul', [dY[0], b.op('Mul', [e, scalar(2 / Math.sqrt(Math.PI), x)], { name: 'erf_d' })], { name: 'erf_grad' })];
  },
};
