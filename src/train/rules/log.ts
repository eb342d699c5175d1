/** Log: dX = dY / X. */
import type { GradRule } from '../rule.js';

export const logGrad: GradRule = { opType: 'Log', saves: { inputs: [0] }, backward: ({ b, dY, saved }) => [b.op('Div', [dY[0], saved.input(0)], { name: 'log_grad' })] };
