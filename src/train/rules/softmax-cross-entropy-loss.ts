/**
 * SoftmaxCrossEntropyLoss(scores [N, C, d..], labels [N, d..], weight [C]?) as
 * exporters write it (PyTorch: ignore_index=-100, reduction mean), every
 * reduction, with or without the log_prob output:
 *   dScores = (Softmax(scores) - onehot(labels)) * coef     (see class-loss.ts)
 *           + dLogProb - Softmax(scores) * Σ_c dLogProb      (when log_prob reaches the loss)
 * Softmax(scores) = Exp(log_prob): log_prob is the node's second output (added when absent).
 */
import type { GradRule } from '../rule.js';
import { classLossParts } from './class-loss.js';

export const softmaxCrossEntropyLossGrad: GradRule = {
  opType: 'SoftmaxCrossEntropyLoss',
  saves: { inputs: [0, 1, 2], outputs: [1] }, // scores (type, shape), labels, weights, log_prob
  backward(ctx) {
    const { b, dY, saved, ints } = ctx;
    const logProb = saved.ensureOutput(1, 'log_prob');
    const p = b.op('Exp', [logProb], { name: 'sce_p' });
    const { onehot, coef } = classLossParts(ctx);
    let grad = b.op('Mul', [b.op('Sub', [p, onehot], { name: 'sce_diff' }), coef], { name: 'sce_grad' });
    if (dY[1]) {
      // log_softmax's own gradient
      const total = b.op('ReduceSum', [dY[1], ints([1])], { name: 'sce_lp_sum', attributes: { keepdims: 1 } });
      const fromLogProb = b.op('Sub', [dY[1], b.op('Mul', [p, total], { name: 'sce_lp' })], { name: 'sce_lp' });
      grad = b.op('Add', [grad, fromLogProb], { name: 'sce_grad' });
    }
    return [grad, undefined, undefined];
  },
};
