/** Pow, gradient for the base: dX = dY * E * X^(E - 1), summed to X's shape. (No gradient for the exponent.) */
import type { GradRule } from '../rule.js';

export const powGrad: GradRule = {
  opType: 'Pow',
  saves: { inputs: [0, 1] },
  backward({ b, dY, saved, needs, reduceTo, scalar, unsupported }) {
    if (needs(1)) unsupported('the gradient with respect to the exponent is not implemented (only the base)');
    const [x, e] = [saved.input(0), saved.input(1)];
    const eLike = b.op('CastLike', [e, x], { name: 'pow_e' });
    const xPow = b.op('Pow', [x, b.op('Sub', [eLike, scalar(1, x)], { name: 'pow_em1' })], { name: 'pow_x' });
    return [reduceTo(b.op('Mul', [dY[0], b.op('Mul', [eLike, xPow], { name: 'pow_d' })], { name: 'pow_grad' }), x), undefined];
  },
};
