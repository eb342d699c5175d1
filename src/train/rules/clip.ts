/**
 * Clip (ReLU6, Hardtanh as exporters write them): dX = dY where min < X < max
 * (as PyTorch's hardtanh_backward: 0 on the bounds). min/max are inputs from
 * opset 11 (either may be absent), attributes before. Where a bound is itself
 * differentiated (named in --wrt; `wrt: 'params'` leaves ReLU6's 0 and 6 out,
 * see nonParameterInputs): dMin = dY where X <= min, dMax = dY where X >= max (Y is the bound
 * there; NaN: neither), each summed back to the bound's shape, so the three
 * gradients add up to dY.
 */
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../rule.js';

export const clipGrad: GradRule = {
  opType: 'Clip',
  saves: { inputs: [0, 1, 2] },
  nonParameterInputs: [1, 2], // ReLU6's 0 and 6: constants, not weights
  backward({ attrs, b, dY, saved, needs, opset, scalar, reduceTo }) {
    const x = saved.input(0);
    let lo: Value | undefined = saved.optionalInput(1);
    let hi: Value | undefined = saved.optionalInput(2);
    if (opset < 11) {
      lo = attrs.has('min') ? scalar(attrs.float('min', 0), x) : undefined;
      hi = attrs.has('max') ? scalar(attrs.float('max', 0), x) : undefined;
    }
    let keep: Value | undefined;
    if (lo) keep = b.op('Greater', [x, lo], { name: 'clip_above' });
    if (hi) {
      const below = b.op('Less', [x, hi], { name: 'clip_below' });
      keep = keep ? b.op('And', [keep, below], { name: 'clip_keep' }) : below;
    }
    const at = (mask: Value, bound: Value, name: string) => reduceTo(b.op('Where', [mask, dY[0], scalar(0, x)], { name }), bound);
    const dLo = needs(1) && lo ? at(b.op('LessOrEqual', [x, lo], { name: 'clip_at_min' }), lo, 'clip_dmin') : undefined;
    const dHi = needs(2) && hi ? at(b.op('GreaterOrEqual', [x, hi], { name: 'clip_at_max' }), hi, 'clip_dmax') : undefined;
    if (!keep) return [dY[0], dLo, dHi];
    return [b.op('Where', [keep, dY[0], scalar(0, x)], { name: 'clip_grad' }), dLo, dHi];
  },
};
