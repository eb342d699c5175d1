/** LogSoftmax over one axis: dX = dY - Exp(Y) * ReduceSum(dY, axis). */
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../rule.js';
import { softmaxAxis } from './softmax.js';

export const logSoftmaxGrad: GradRule = {
  opType: 'LogSoftmax',
  saves: { outputs: [0] },
  backward(ctx) {
    const { b, dY, saved } = ctx;
    const axis = softmaxAxis(ctx);
    const s = b.op('ReduceSum', [dY[0], ctx.ints([axis])], { name: 'logsoftmax_sum', attributes: [attr.int('keepdims', 1)] });
    return [b.op('Sub', [dY[0], b.op('Mul', [b.op('Exp', [saved.output(0)], { name: 'logsoftmax_p' }), s], { name: 'logsoftmax_ps' })], { name: 'logsoftmax_grad' })];
  },
};
