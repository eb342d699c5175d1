/**
 * The other reductions, each dX from dY and Y with the reduced axes restored (as keepdims=1):
 *   ReduceMax/Min     dY * (X == Y) / (number of ties)   (split among ties, as torch.amax)
 *   ReduceL2          dY * X / Y                          (0 where Y = 0, as PyTorch)
 *   ReduceL1          dY * Sign(X)
 *   ReduceSumSquare   dY * 2X
 *   ReduceLogSumExp   dY * exp(X - Y)
 */
import type { Value } from '../../graph/value.js';
import type { GradContext, GradRule } from '../rule.js';
import { reducedAxes, restoreAxes } from './reduce-back.js';

function parts(ctx: GradContext) {
  const axes = reducedAxes(ctx);
  if (axes === 'none') return undefined;
  return { axes, dy: restoreAxes(ctx, ctx.dY[0]!, axes), y: () => restoreAxes(ctx, ctx.saved.output(0), axes), x: ctx.saved.input(0) };
}

const reduceRule = (opType: string, saves: GradRule['saves'], grad: (ctx: GradContext, p: NonNullable<ReturnType<typeof parts>>) => Value): GradRule => ({
  opType,
  saves,
  backward(ctx) {
    const p = parts(ctx);
    return [p ? grad(ctx, p) : ctx.dY[0], undefined];
  },
});

function extreme(opType: string): GradRule {
  return reduceRule(opType, { inputs: [0], outputs: [0] }, (ctx, { axes, dy, y, x }) => {
    const { b, ints } = ctx;
    const mask = b.op('CastLike', [b.op('Equal', [x, y()], { name: 'rmax_mask' }), x], { name: 'rmax_mask' });
    const ties = b.op('ReduceSum', axes === 'all' ? [mask] : [mask, ints(axes)], { name: 'rmax_ties', attributes: { keepdims: 1 } });
    return b.op('Mul', [b.op('Div', [dy, ties], { name: 'rmax_share' }), mask], { name: 'rmax_grad' });
  });
}

export const reduceMaxGrad = extreme('ReduceMax');
export const reduceMinGrad = extreme('ReduceMin');

export const reduceL2Grad = reduceRule('ReduceL2', { inputs: [0], outputs: [0] }, (ctx, { dy, y: yOf, x }) => {
  const { b, scalar } = ctx;
  const y = yOf();
  const zero = scalar(0, x);
  const safe = b.op('Where', [b.op('Equal', [y, zero], { name: 'rl2_zero' }), scalar(1, x), y], { name: 'rl2_safe' });
  const g = b.op('Mul', [dy, b.op('Div', [x, safe], { name: 'rl2_d' })], { name: 'rl2_grad' });
  return b.op('Where', [b.op('Equal', [y, zero], { name: 'rl2_zero' }), zero, g], { name: 'rl2_grad' });
});

export const reduceL1Grad = reduceRule('ReduceL1', { inputs: [0] }, (ctx, { dy, x }) =>
  ctx.b.op('Mul', [dy, ctx.b.op('Sign', [x], { name: 'rl1_sign' })], { name: 'rl1_grad' }));

export const reduceSumSquareGrad = reduceRule('ReduceSumSquare', { inputs: [0] }, (ctx, { dy, x }) =>
  ctx.b.op('Mul', [dy, ctx.b.op('Mul', [x, ctx.scalar(2, x)], { name: 'rss_2x' })], { name: 'rss_grad' }));

export const reduceLogSumExpGrad = reduceRule('ReduceLogSumExp', { inputs: [0], outputs: [0] }, (ctx, { dy, y, x }) =>
  ctx.b.op('Mul', [dy, ctx.b.op('Exp', [ctx.b.op('Sub', [x, y()], { name: 'rlse_d' })], { name: 'rlse_softmax' })], { name: 'rlse_grad' }));

export const REDUCE_EXTRA: readonly GradRule[] = [reduceMaxGrad, reduceMinGrad, reduceL2Grad, reduceL1Grad, reduceSumSquareGrad, reduceLogSumExpGrad];
