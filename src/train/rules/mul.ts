/** Mul with numpy broadcasting: dA = dY * B, dB = dY * A, each summed back to that input's shape. */
import type { GradRule } from '../rule.js';

export const mulGrad: GradRule = {
  opType: 'Mul',
  saves: { inputs: [0, 1] },
  backward({ b, dY, saved, needs, reduceTo }) {
    const [a, c] = [saved.input(0), saved.input(1)];
    return [
      needs(0) ? reduceTo(b.op('Mul', [dY[0], c], { name: 'mul_da' }), a) : undefined,
      needs(1) ? reduceTo(b.op('Mul', [dY[0], a], { name: 'mul_db' }), c) : undefined,
    ];
  },
};
