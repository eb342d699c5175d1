/** Unsqueeze: dX = Reshape(dY, Shape(X)). */
import type { GradRule } from '../context.js';

export const unsqueezeGrad: GradRule = {
  opType: 'Unsqueeze',
  saves: { inputs: [0] }, // its shape
  backward: ({ node, b, dY }) => [b.op('Reshape', [dY[0], b.op('Shape', [node.inputs[0]], { name: 'grad_shape' })], { name: 'unsqueeze_grad' })],
};
