/**
 * NegativeLogLikelihoodLoss(input [N, C, d..] (log-probabilities), target [N, d..], weight [C]?):
 * loss_i = -w_i * input[i, target_i]; dInput = -onehot(target) * coef (see class-loss.ts),
 * with ignore_index, weights and every reduction.
 */
import type { GradRule } from '../rule.js';
import { classLossParts } from './class-loss.js';

export const negativeLogLikelihoodLossGrad: GradRule = {
  opType: 'NegativeLogLikelihoodLoss',
  saves: { inputs: [0, 1, 2] }, // input (type, shape), target, weights
  backward(ctx) {
    const { onehot, coef } = classLossParts(ctx);
    return [ctx.b.op('Neg', [ctx.b.op('Mul', [onehot, coef], { name: 'nll_grad' })], { name: 'nll_grad' }), undefined, undefined];
  },
};
