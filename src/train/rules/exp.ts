/** Exp: dX = dY * Y. */
import type { GradRule } from '../rule.js';

export const expGrad: GradRule = { opType: 'Exp', saves: { outputs: [0] }, backward: ({ b, dY, saved }) => [b.op('Mul', [dY[0], saved.output(0)], { name: 'exp_grad' })] };
