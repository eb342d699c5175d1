/** Sub with numpy broadcasting: dA = dY, dB = -dY, each summed back to that input's shape. */
import type { GradRule } from '../context.js';

export const subGrad: GradRule = {
  opType: 'Sub',
  saves: { inputs: [0, 1] }, // for their shapes
  backward({ node, b, dY, needs, reduceTo }) {
    return [
      needs(0) ? reduceTo(dY[0]!, node.inputs[0]!) : undefined,
      needs(1) ? reduceTo(b.op('Neg', [dY[0]], { name: 'sub_neg' }), node.inputs[1]!) : undefined,
    ];
  },
};
