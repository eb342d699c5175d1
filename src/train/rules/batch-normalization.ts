/**
 * BatchNormalization in inference mode: Y = scale * (X - mean) / sqrt(var + eps) + B,
 * with mean and var the stored statistics.
 *   dX = dY * scale * inv,  inv = 1 / sqrt(var + eps)   (per channel, axis 1)
 *   dScale = Σ dY * (X - mean) * inv,  dB = Σ dY        (over every axis but 1)
 *   dMean = -Σ dY * scale * inv,  dVar = Σ dY * scale * (X - mean) * (-1/2) inv^3
 */
import { attr } from '../../graph/attributes.js';
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../rule.js';

export const batchNormalizationGrad: GradRule = {
  opType: 'BatchNormalization',
  saves: { inputs: [0, 1, 3, 4] }, // X, scale, mean, var; not B
  backward({ attrs, outputCount, b, dY, saved, needs, inputInfo, ints, scalar, unsupported }) {
    if (outputCount > 1 || attrs.int('training_mode', 0) === 1) unsupported('training mode');
    const [x, scale, mean, variance] = [saved.input(0), saved.input(1), saved.input(3), saved.input(4)];
    const rank = inputInfo(0).rank ?? unsupported('input rank unknown');
    const eps = attrs.float('epsilon', 1e-5);
    const axes = [0, ...[...Array(rank).keys()].slice(2)];
    const perChannel = (v: Value, name: string) => b.op('Unsqueeze', [v, ints(axes.filter((a) => a !== 0).length ? [0, ...axes.slice(1)] : [0])], { name });
    const inv = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, scalar(eps, x!)], { name: 'bn_ve' })], { name: 'bn_sd' })], { name: 'bn_inv' });
    const invR = perChannel(inv, 'bn_inv_r');
    const scaleR = perChannel(scale!, 'bn_scale_r');
    const centered = b.op('Sub', [x, perChannel(mean!, 'bn_mean_r')], { name: 'bn_centered' });
    const sum = (v: Value, name: string) => b.op('ReduceSum', [v, ints(axes)], { name, attributes: [attr.int('keepdims', 0)] });
    const dyScaled = b.op('Mul', [dY[0], scaleR], { name: 'bn_dys' });
    return [
      needs(0) ? b.op('Mul', [dyScaled, invR], { name: 'bn_dx' }) : undefined,
      needs(1) ? sum(b.op('Mul', [b.op('Mul', [dY[0], centered], { name: 'bn_dyc' }), invR], { name: 'bn_dscale_e' }), 'bn_dscale') : undefined,
      needs(2) ? sum(dY[0]!, 'bn_db') : undefined,
      needs(3) ? b.op('Neg', [sum(b.op('Mul', [dyScaled, invR], { name: 'bn_dmean_e' }), 'bn_dmean_s')], { name: 'bn_dmean' }) : undefined,
      needs(4) ? b.op('Mul', [sum(b.op('Mul', [dyScaled, centered], { name: 'bn_dvar_e' }), 'bn_dvar_s'), b.op('Mul', [scalar(-0.5, x!), b.op('Mul', [inv, b.op('Mul', [inv, inv], { name: 'bn_inv2' })], { name: 'bn_inv3' })], { name: 'bn_dvar_k' })], { name: 'bn_dvar' }) : undefined,
    ];
  },
};
