/**
 * BatchNormalization in inference mode: Y = scale * (X - mean) * inv + B,
 * inv = 1 / sqrt(var + eps), with mean and var the stored statistics. The
 * full-tensor work is BatchNormalization itself, one pass each, as torch's
 * batch_norm_backward computes it in eval mode:
 *   dX     = BatchNormalization(dY, scale, 0, 0, var)      (= dY * scale * inv)
 *   xhat   = BatchNormalization(X, 1, 0, mean, var)         (= (X - mean) * inv; only for dScale, dVar.
 *            ORT's kernel computes it as X * inv - mean * inv, which cancels where |mean| is far
 *            above the spread; the forward BatchNormalization rounds the same way (X * scale * inv
 *            + B - mean * scale * inv), so the gradient is as precise as the loss it differentiates.
 *            torch takes X - mean first: a Sub here would cost one more full pass per BN)
 *   dScale = Σ dY * xhat,  dB = Σ dY                        (over every axis but 1)
 * and the statistics' gradients, only where asked for (`wrt: 'params'` leaves
 * them out: nonParameterInputs), from those per-channel sums:
 *   dMean = -scale * inv * Σ dY,  dVar = -1/2 * scale * inv^2 * Σ dY * xhat
 */
import { attr } from '../../graph/attributes.js';
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../rule.js';

export const batchNormalizationGrad: GradRule = {
  opType: 'BatchNormalization',
  saves: { inputs: [0, 1, 3, 4] }, // X, scale, mean, var; not B
  nonParameterInputs: [3, 4], // the running mean and var: torch buffers, not parameters
  backward({ attrs, outputCount, b, dY, saved, needs, inputInfo, ints, scalar, unsupported }) {
    if (outputCount > 1 || attrs.int('training_mode', 0) === 1) unsupported('training mode');
    const rank = inputInfo(0).rank ?? unsupported('input rank unknown');
    const eps = attrs.float('epsilon', 1e-5);
    const norm = (inputs: Value[], name: string) => b.op('BatchNormalization', inputs, { name, attributes: [attr.float('epsilon', eps)] });
    const scale = saved.input(1);
    const variance = saved.input(4);
    // A per-channel constant in the type of `like` (scale's for scale and B, var's for mean and var: they may differ from opset 15).
    const c = inputInfo(1).shape?.[0] ?? inputInfo(0).shape?.[1];
    const perChannel = (value: number, like: Value) => b.op('Expand', [scalar(value, like), typeof c === 'number' ? ints([c]) : b.op('Shape', [like], { name: 'bn_c' })], { name: value ? 'bn_ones' : 'bn_zeros' });
    const axes = [0, ...[...Array(rank).keys()].slice(2)];
    const sum = (v: Value, name: string) => b.op('ReduceSum', [v, ints(axes)], { name, attributes: [attr.int('keepdims', 0)] });
    const wantXhat = needs(1) || needs(4);
    const dyXhat = wantXhat
      ? sum(b.op('Mul', [dY[0], norm([saved.input(0)!, perChannel(1, scale), perChannel(0, scale), saved.input(3)!, variance], 'bn_xhat')], { name: 'bn_dy_xhat' }), 'bn_dscale')
      : undefined;
    const dySum = needs(2) || needs(3) ? sum(dY[0]!, 'bn_db') : undefined;
    // scale * inv and inv^2, per channel (statistics' gradients only).
    if (needs(3) || needs(4)) {
      const types = [0, 1, 4].map((i) => inputInfo(i).dtype);
      if (types.some((t) => t === undefined || t !== types[0])) unsupported('the running statistics\' gradients where X, scale and var differ in type (or it is unknown)');
    }
    let invValue: Value | undefined;
    const inv = () => (invValue ??= b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, scalar(eps, variance)], { name: 'bn_ve' })], { name: 'bn_sd' })], { name: 'bn_inv' }));
    const scaleInv = needs(3) || needs(4) ? b.op('Mul', [scale, inv()], { name: 'bn_scale_inv' }) : undefined;
    return [
      needs(0) ? norm([dY[0]!, scale, perChannel(0, scale), perChannel(0, variance), variance], 'bn_dx') : undefined,
      needs(1) ? dyXhat : undefined,
      needs(2) ? dySum : undefined,
      needs(3) ? b.op('Neg', [b.op('Mul', [dySum!, scaleInv!], { name: 'bn_dmean_s' })], { name: 'bn_dmean' }) : undefined,
      needs(4) ? b.op('Mul', [b.op('Mul', [dyXhat!, b.op('Mul', [scaleInv!, inv()], { name: 'bn_dvar_k' })], { name: 'bn_dvar_s' }), scalar(-0.5, variance)], { name: 'bn_dvar' }) : undefined,
    ];
  },
};
