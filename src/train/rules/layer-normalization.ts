/**
 * LayerNormalization-17 over the axes axis..rank-1 (n elements each), with
 * mean and 1/σ recomputed (the optional Mean/InvStdDev outputs are not on
 * every EP): x̂ = (X - mean) / σ, σ = √(var + ε)
 *   dB = Σ_leading dY      dScale = Σ_leading dY x̂          (summed to their shapes)
 *   dX = (g - mean(g) - x̂ mean(g x̂)) / σ,  g = dY * Scale   (means over the normalized axes)
 */
import { TreluError } from '../../errors.js';
import type { Value } from '../../graph/value.js';
import type { GradContext, GradRule } from '../rule.js';

/** The normalized axes axis..rank-1 as an int64 tensor: a constant where the rank is known, else computed (from x, input 0). */
function normAxes(ctx: GradContext, x: Value, axis: number): Value {
  const { b, ints } = ctx;
  const rank = ctx.inputInfo(0).rank;
  if (rank !== undefined) {
    const start = axis < 0 ? axis + rank : axis;
    if (!Number.isInteger(start) || start < 0 || start >= rank) throw new TreluError('E_GRAPH', `LayerNormalization axis ${axis} is outside the input's rank ${rank}`);
    return ints([...Array(rank - start).keys()].map((i) => i + start), 'ln_axes');
  }
  const r = b.op('Size', [b.op('Shape', [x], { name: 'grad_shape' })], { name: 'ln_rank' });
  const start = axis < 0 ? b.op('Add', [r, b.op('Squeeze', [ints([axis])], { name: 'ln_axis' })], { name: 'ln_start' }) : b.op('Squeeze', [ints([axis])], { name: 'ln_axis' });
  return b.op('Range', [start, r, b.op('Squeeze', [ints([1])], { name: 'ln_one' })], { name: 'ln_axes' });
}

export const layerNormalizationGrad: GradRule = {
  opType: 'LayerNormalization',
  saves: { inputs: [0, 1, 2] }, // X, Scale, B (B for its shape)
  backward(ctx) {
    const { attrs, b, dY, saved, needs, scalar, reduceTo } = ctx;
    const [x, scale, bias] = [saved.input(0), saved.input(1), saved.optionalInput(2)];
    const axis = attrs.int('axis', -1);
    const eps = attrs.float('epsilon', 1e-5);
    const axes = normAxes(ctx, x!, axis);
    const sum = (v: Value, name: string) => b.op('ReduceSum', [v, axes], { name, attributes: { keepdims: 1 } });
    const xSum = sum(x!, 'ln_xsum');
    // n = Size(X) / Size(Σ X): the normalized elements per row, computed where shapes are unknown
    const dims = ctx.inputInfo(0).shape;
    const start = dims ? (axis < 0 ? axis + dims.length : axis) : -1;
    const inner = dims?.slice(start);
    const n = inner && inner.every((d) => typeof d === 'number')
      ? scalar((inner as number[]).reduce((p, d) => p * d, 1), x!)
      : b.op('CastLike', [b.op('Div', [b.op('Size', [x], { name: 'ln_size' }), b.op('Size', [xSum], { name: 'ln_rows' })], { name: 'ln_n' }), x], { name: 'ln_n' });
    const mean = (v: Value, name: string) => b.op('Div', [sum(v, name), n], { name });
    const centered = b.op('Sub', [x, b.op('Div', [xSum, n], { name: 'ln_mean' })], { name: 'ln_centered' });
    const variance = mean(b.op('Mul', [centered, centered], { name: 'ln_sq' }), 'ln_var');
    const inv = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, scalar(eps, x!)], { name: 'ln_ve' })], { name: 'ln_sd' })], { name: 'ln_inv' });
    const xhat = b.op('Mul', [centered, inv], { name: 'ln_xhat' });
    let dX;
    if (needs(0)) {
      const g = b.op('Mul', [dY[0], scale], { name: 'ln_g' });
      const inner2 = b.op('Sub', [b.op('Sub', [g, mean(g, 'ln_gmean')], { name: 'ln_dx' }), b.op('Mul', [xhat, mean(b.op('Mul', [g, xhat], { name: 'ln_gx' }), 'ln_gxmean')], { name: 'ln_dx' })], { name: 'ln_dx' });
      dX = b.op('Mul', [inner2, inv], { name: 'ln_dx' });
    }
    const dScale = needs(1) ? reduceTo(b.op('Mul', [dY[0], xhat], { name: 'ln_dscale' }), scale!) : undefined;
    const dB = bias && needs(2) ? reduceTo(dY[0]!, bias) : undefined;
    return [dX, dScale, dB];
  },
};
