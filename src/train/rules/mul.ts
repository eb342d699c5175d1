/** Mul with numpy broadcasting: dA = dY * B, dB = dY * A, each summed back to that input's shape. */
import type { GradRule } from '../context.js';

export const mulGrad: GradRule = {
  opType: 'Mul',
  saves: { inputs: [0, 1] },
  backward({ node, b, dY, needs, reduceTo }) {
    const [a, c] = node.inputs;
    return [
      needs(0) ? reduceTo(b.op('Mul', [dY[0], c], { name: 'mul_da' }), a!) : undefined,
      needs(1) ? reduceTo(b.op('Mul', [dY[0], a], { name: 'mul_db' }), c!) : undefined,
    ];
  },
};
