/** Sub with numpy broadcasting: dA = dY, dB = -dY, each summed back to that input's shape. */
import type { GradRule } from '../rule.js';

export const subGrad: GradRule = {
  opType: 'Sub',
  saves: { inputs: [0, 1] }, // for their shapes
  backward({ b, dY, saved, needs, reduceTo }) {
    return [
      needs(0) ? reduceTo(dY[0]!, saved.input(0)) : undefined,
      needs(1) ? reduceTo(b.op('Neg', [dY[0]], { name: 'sub_neg' }), saved.input(1)) : undefined,
    ];
  },
};
