/** Softmax over one axis (opset 13 meaning): dX = Y * (dY - ReduceSum(dY * Y, axis)). */
import { attr } from '../../graph/attributes.js';
import type { GradContext, GradRule } from '../rule.js';

export function softmaxAxis(ctx: GradContext): number {
  const rank = ctx.inputInfo(0).rank;
  let axis = ctx.attrs.int('axis', ctx.opset >= 13 ? -1 : 1);
  if (axis < 0 && rank !== undefined) axis += rank;
  if (ctx.opset < 13 && (rank === undefined || axis !== rank - 1)) ctx.unsupported('before opset 13 Softmax flattens from axis; only axis = last is handled');
  return axis;
}

export const softmaxGrad: GradRule = {
  opType: 'Softmax',
  saves: { outputs: [0] },
  backward(ctx) {
    const { b, dY, saved } = ctx;
    const axis = softmaxAxis(ctx);
    const y = saved.output(0);
    const s = b.op('ReduceSum', [b.op('Mul', [dY[0], y], { name: 'softmax_dyy' }), ctx.ints([axis])], { name: 'softmax_sum', attributes: [attr.int('keepdims', 1)] });
    return [b.op('Mul', [y, b.op('Sub', [dY[0], s], { name: 'softmax_diff' })], { name: 'softmax_grad' })];
  },
};
