/** Exp: dX = dY * Y. */
import type { GradRule } from '../context.js';

export const expGrad: GradRule = { opType: 'Exp', saves: { outputs: [0] }, backward: ({ node, b, dY }) => [b.op('Mul', [dY[0], node.outputs[0]], { name: 'exp_grad' })] };
