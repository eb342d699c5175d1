/** Reshape: dX = Reshape(dY, Shape(X)). */
import type { GradRule } from '../rule.js';

export const reshapeGrad: GradRule = {
  opType: 'Reshape',
  saves: { inputs: [0] }, // its shape
  backward: ({ b, dY, saved }) => [b.op('Reshape', [dY[0], b.op('Shape', [saved.input(0)], { name: 'grad_shape' })], { name: 'reshape_grad' })],
};
