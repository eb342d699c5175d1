/**
 * Clip (ReLU6, Hardtanh as exporters write them): dX = dY where min < X < max
 * (as PyTorch's hardtanh_backward: 0 on the bounds). min/max are inputs from
 * opset 11 (either may be absent), attributes before. No gradient for min/max.
 */
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../rule.js';

export const clipGrad: GradRule = {
  opType: 'Clip',
  saves: { inputs: [0, 1, 2] },
  backward({ attrs, b, dY, saved, needs, opset, scalar, unsupported }) {
    if (needs(1) || needs(2)) unsupported('a gradient with respect to min or max');
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
    if (!keep) return [dY[0], undefined, undefined];
    return [b.op('Where', [keep, dY[0], scalar(0, x)], { name: 'clip_grad' }), undefined, undefined];
  },
};
