/** Neg: dX = -dY. */
import type { GradRule } from '../rule.js';

export const negGrad: GradRule = { opType: 'Neg', saves: {}, backward: ({ b, dY }) => [b.op('Neg', [dY[0]], { name: 'neg_grad' })] };
