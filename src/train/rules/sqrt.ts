/** Sqrt: dX = dY / (2 * Y). */
import type { GradRule } from '../context.js';

export const sqrtGrad: GradRule = {
  opType: 'Sqrt',
  saves: { outputs: [0] },
  backward: ({ node, b, dY, scalar }) => [b.op('Div', [dY[0], b.op('Mul', [scalar(2, node.outputs[0]!), node.outputs[0]], { name: 'sqrt_2y' })], { name: 'sqrt_grad' })],
};
