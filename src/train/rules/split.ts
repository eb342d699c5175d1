/** Split: dX = Concat of the outputs' gradients along the axis (zeros for outputs that do not reach the loss). */
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../context.js';

export const splitGrad: GradRule = {
  opType: 'Split',
  saves: (node) => ({ outputs: node.outputs.map((_, i) => i) }), // their shapes, for the zeros of an unused one
  backward({ node, b, dY, zerosLike }) {
    const axis = node.attrs.int('axis', 0);
    // dY[0] is filled with zeros by buildGradient when absent; fill the others likewise
    const parts = node.outputs.map((y, i) => dY[i] ?? zerosLike(y as Value));
    return [b.op('Concat', parts, { name: 'split_grad', attributes: { axis } }), undefined];
  },
};
