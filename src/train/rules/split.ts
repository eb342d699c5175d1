/** Split: dX = Concat of the outputs' gradients along the axis (zeros for outputs that do not reach the loss). */
import type { GradRule } from '../rule.js';

export const splitGrad: GradRule = {
  opType: 'Split',
  saves: (node) => ({ outputs: [...Array(node.outputCount).keys()] }), // their shapes, for the zeros of an unused one
  backward({ attrs, outputCount, b, dY, saved, zerosLike }) {
    const axis = attrs.int('axis', 0);
    // dY[0] is filled with zeros by buildGradient when absent; fill the others likewise
    const parts = [...Array(outputCount).keys()].map((i) => dY[i] ?? zerosLike(saved.output(i)));
    return [b.op('Concat', parts, { name: 'split_grad', attributes: { axis } }), undefined];
  },
};
