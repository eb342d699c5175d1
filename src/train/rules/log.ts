/** Log: dX = dY / X. */
import type { GradRule } from '../context.js';

export const logGrad: GradRule = { opType: 'Log', saves: { inputs: [0] }, backward: ({ node, b, dY }) => [b.op('Div', [dY[0], node.inputs[0]], { name: 'log_grad' })] };
