/** Div with numpy broadcasting: dA = dY / B, dB = -dY * Y / B (= -A / B^2), each summed back to that input's shape. */
import type { GradRule } from '../rule.js';

export const divGrad: GradRule = {
  opType: 'Div',
  saves: { inputs: [0, 1], outputs: [0] },
  backward({ b, dY, saved, needs, reduceTo }) {
    const [a, c] = [saved.input(0), saved.input(1)];
    const da = needs(0) ? reduceTo(b.op('Div', [dY[0], c], { name: 'div_da' }), a) : undefined;
    const db = needs(1) ? reduceTo(b.op('Neg', [b.op('Div', [b.op('Mul', [dY[0], saved.output(0)], { name: 'div_dyy' }), c], { name: 'div_q' })], { name: 'div_db' }), c) : undefined;
    return [da, db];
  },
};
