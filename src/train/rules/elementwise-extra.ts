/**
 * Elementwise rules real networks need, each a line or two:
 *   Where(c, A, B)   dA = Where(c, dY, 0), dB = Where(c, 0, dY), each summed to its shape (c: no gradient)
 *   Expand(X, s)     dX = dY summed to X's shape
 *   Cast (float → float)  dX = CastLike(dY, X)
 *   Softplus         dX = dY * Sigmoid(X)
 *   Reciprocal       dX = -dY * Y²
 *   HardSigmoid      dX = dY * alpha where 0 < alpha X + beta < 1
 *   HardSwish        dX = dY * (HardSigmoid(X) + X / 6 where -3 < X < 3)
 *   Elu              dX = dY where X > 0, else dY * (Y + alpha)
 *   Selu             dX = dY * gamma where X > 0, else dY * (Y + alpha gamma)
 *   PRelu            dX = Where(X > 0, dY, dY * slope) (summed to X), dSlope = Where(X > 0, 0, dY * X) summed to slope's shape
 */
import { DataType } from '../../onnx/proto.js';
import type { Value } from '../../graph/value.js';
import type { GradContext, GradRule } from '../rule.js';
import { FLOAT_TYPES } from '../path.js';

export const whereGrad: GradRule = {
  opType: 'Where',
  saves: { inputs: [0, 1, 2] }, // the condition; A and B for their shapes
  backward({ b, dY, saved, needs, reduceTo, zerosLike }) {
    const [c, x, y] = [saved.input(0), saved.input(1), saved.input(2)];
    const zero = zerosLike(dY[0]!);
    return [
      undefined,
      needs(1) ? reduceTo(b.op('Where', [c, dY[0], zero], { name: 'where_da' }), x) : undefined,
      needs(2) ? reduceTo(b.op('Where', [c, zero, dY[0]], { name: 'where_db' }), y) : undefined,
    ];
  },
};

export const expandGrad: GradRule = {
  opType: 'Expand',
  saves: { inputs: [0] },
  backward: ({ dY, saved, reduceTo }) => [reduceTo(dY[0]!, saved.input(0)), undefined],
};

export const castGrad: GradRule = {
  opType: 'Cast',
  saves: { inputs: [0] }, // for its type
  backward({ attrs, b, dY, saved, inputInfo, unsupported }) {
    const to = attrs.int('to', 0);
    if (!FLOAT_TYPES.includes(to)) unsupported(`a Cast to ${DataType[to] ?? to} carries no gradient`);
    const from = inputInfo(0).dtype;
    if (from !== undefined && !FLOAT_TYPES.includes(from)) return [undefined];
    return [b.op('CastLike', [dY[0], saved.input(0)], { name: 'cast_grad' })];
  },
};

/** CastLike(x, like): as Cast, back to x's type; `like` gives only a type (no gradient: path.ts). */
export const castLikeGrad: GradRule = {
  opType: 'CastLike',
  saves: { inputs: [0] },
  backward({ b, dY, saved, inputInfo, outputInfo }) {
    const from = inputInfo(0).dtype;
    const to = outputInfo(0).dtype;
    if ((from !== undefined && !FLOAT_TYPES.includes(from)) || (to !== undefined && !FLOAT_TYPES.includes(to))) return [undefined, undefined];
    return [b.op('CastLike', [dY[0], saved.input(0)], { name: 'castlike_grad' }), undefined];
  },
};

export const softplusGrad: GradRule = {
  opType: 'Softplus',
  saves: { inputs: [0] },
  backward: ({ b, dY, saved }) => [b.op('Mul', [dY[0], b.op('Sigmoid', [saved.input(0)], { name: 'softplus_d' })], { name: 'softplus_grad' })],
};

export const reciprocalGrad: GradRule = {
  opType: 'Reciprocal',
  saves: { outputs: [0] },
  backward({ b, dY, saved }) {
    const y = saved.output(0);
    return [b.op('Neg', [b.op('Mul', [dY[0], b.op('Mul', [y, y], { name: 'reciprocal_y2' })], { name: 'reciprocal_grad' })], { name: 'reciprocal_grad' })];
  },
};

/** dY * k where lo < X < hi (strict, as PyTorch's hardsigmoid/hardswish backward). */
function inside(ctx: GradContext, x: Value, lo: number, hi: number): Value {
  const { b, scalar } = ctx;
  return b.op('And', [b.op('Greater', [x, scalar(lo, x)], { name: 'hard_lo' }), b.op('Less', [x, scalar(hi, x)], { name: 'hard_hi' })], { name: 'hard_in' });
}

export const hardSigmoidGrad: GradRule = {
  opType: 'HardSigmoid',
  saves: { inputs: [0] },
  backward(ctx) {
    const { attrs, b, dY, saved, scalar } = ctx;
    const x = saved.input(0);
    const alpha = attrs.float('alpha', 0.2);
    const beta = attrs.float('beta', 0.5);
    // 0 < alpha x + beta < 1  ⇔  x in (-beta/alpha, (1-beta)/alpha) for alpha > 0
    const [lo, hi] = alpha > 0 ? [-beta / alpha, (1 - beta) / alpha] : [(1 - beta) / alpha, -beta / alpha];
    return [b.op('Where', [inside(ctx, x, lo, hi), b.op('Mul', [dY[0], scalar(alpha, x)], { name: 'hsig_grad' }), scalar(0, x)], { name: 'hsig_grad' })];
  },
};

export const hardSwishGrad: GradRule = {
  opType: 'HardSwish',
  saves: { inputs: [0] },
  backward(ctx) {
    const { b, dY, saved, scalar } = ctx;
    const x = saved.input(0);
    // y = x * clip(x/6 + 1/2, 0, 1): dy/dx = x/3 + 1/2 inside (-3, 3), 1 above, 0 below (PyTorch: 1 at x >= 3)
    const mid = b.op('Add', [b.op('Div', [x, scalar(3, x)], { name: 'hswish_x3' }), scalar(0.5, x)], { name: 'hswish_mid' });
    const above = b.op('Where', [b.op('GreaterOrEqual', [x, scalar(3, x)], { name: 'hswish_above' }), scalar(1, x), scalar(0, x)], { name: 'hswish_out' });
    const d = b.op('Where', [inside(ctx, x, -3, 3), mid, above], { name: 'hswish_d' });
    return [b.op('Mul', [dY[0], d], { name: 'hswish_grad' })];
  },
};

export const eluGrad: GradRule = {
  opType: 'Elu',
  saves: { inputs: [0], outputs: [0] },
  backward({ attrs, b, dY, saved, scalar }) {
    const [x, y] = [saved.input(0), saved.output(0)];
    const alpha = attrs.float('alpha', 1);
    const neg = b.op('Mul', [dY[0], b.op('Add', [y, scalar(alpha, x!)], { name: 'elu_d' })], { name: 'elu_neg' });
    return [b.op('Where', [b.op('Greater', [x, scalar(0, x!)], { name: 'elu_pos' }), dY[0], neg], { name: 'elu_grad' })];
  },
};

export const seluGrad: GradRule = {
  opType: 'Selu',
  saves: { inputs: [0], outputs: [0] },
  backward({ attrs, b, dY, saved, scalar }) {
    const [x, y] = [saved.input(0), saved.output(0)];
    const alpha = attrs.float('alpha', 1.67326319217681884765625);
    const gamma = attrs.float('gamma', 1.05070102214813232421875);
    const d = b.op('Where', [b.op('Greater', [x, scalar(0, x!)], { name: 'selu_pos' }), scalar(gamma, x!), b.op('Add', [y, scalar(alpha * gamma, x!)], { name: 'selu_neg' })], { name: 'selu_d' });
    return [b.op('Mul', [dY[0], d], { name: 'selu_grad' })];
  },
};

export const preluGrad: GradRule = {
  opType: 'PRelu',
  saves: { inputs: [0, 1] },
  backward({ b, dY, saved, needs, reduceTo, scalar, zerosLike }) {
    const [x, slope] = [saved.input(0), saved.input(1)];
    const pos = b.op('Greater', [x, scalar(0, x!)], { name: 'prelu_pos' });
    const dx = needs(0) ? reduceTo(b.op('Where', [pos, dY[0], b.op('Mul', [dY[0], slope], { name: 'prelu_neg' })], { name: 'prelu_dx' }), x!) : undefined;
    const ds = needs(1) ? reduceTo(b.op('Where', [pos, zerosLike(dY[0]!), b.op('Mul', [dY[0], x], { name: 'prelu_dyx' })], { name: 'prelu_ds' }), slope!) : undefined;
    return [dx, ds];
  },
};

export const ELEMENTWISE_EXTRA: readonly GradRule[] = [whereGrad, expandGrad, castGrad, castLikeGrad, softplusGrad, reciprocalGrad, hardSigmoidGrad, hardSwishGrad, eluGrad, seluGrad, preluGrad];
