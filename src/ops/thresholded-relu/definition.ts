/**
 * ThresholdedRelu: the one definition everything in the toolkit asks.
 *
 *   y = x   if x > alpha
 *   y = 0   otherwise                (alpha: FLOAT attribute, default 1.0)
 *
 * - `x == alpha` gives 0; NaN gives 0; -inf gives 0; +inf gives +inf for finite alpha.
 * - alpha is rounded to the input's element type before comparing, as ONNX's
 *   function body does with CastLike: for float16 and alpha = 1.0006 the
 *   comparison uses 1.000977.
 * - Versions: ai.onnx 10 (float16, float, double) and 22 (adds bfloat16). The
 *   experimental version 1 (same meaning, float types) is recognized in old
 *   models (opsets 1–9) so they can be upgraded.
 * - Gradient: dX = dY where X > alpha, else 0 (subgradient 0 at x == alpha),
 *   computed from X. Caffe2's ThresholdedReluGradient read Y instead
 *   (dX = dY where Y > 0) and was wrong for alpha < 0: for alpha < x <= 0,
 *   Y = x is not > 0, so it dropped a gradient that should flow. (For
 *   alpha >= 0, Y > alpha exactly when X > alpha, so Y may stand in for X.)
 * - It is not max(0, x - alpha): that is a shifted ReLU, a different function.
 */
import { TreluError } from '../../errors.js';
import { AttributeType, DataType, type AttributeProto } from '../../onnx/proto.js';
import type { OpDefinition } from '../types.js';

export interface ThresholdedReluAttributes {
  alpha: number;
  /** Whether alpha was absent and the default applies. */
  alphaIsDefault: boolean;
}

export const DEFAULT_ALPHA = 1.0;

const FLOATS = [DataType.FLOAT16, DataType.FLOAT, DataType.DOUBLE];

export const thresholdedReluOp: OpDefinition<ThresholdedReluAttributes> = {
  domain: '',
  opType: 'ThresholdedRelu',
  versions: [
    { sinceVersion: 1, types: FLOATS, experimental: true },
    { sinceVersion: 10, types: FLOATS },
    { sinceVersion: 22, types: [...FLOATS, DataType.BFLOAT16] },
  ],
  attributes: [{ name: 'alpha', type: AttributeType.FLOAT, default: DEFAULT_ALPHA }],
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  parseAttributes(attrs: readonly AttributeProto[]): ThresholdedReluAttributes {
    const alphas = attrs.filter((a) => a.name === 'alpha');
    if (alphas.length === 0) return { alpha: DEFAULT_ALPHA, alphaIsDefault: true };
    if (alphas.length > 1) throw new TreluError('E_GRAPH', 'ThresholdedRelu: alpha is given more than once');
    const a = alphas[0]!;
    if (a.type !== AttributeType.FLOAT) throw new TreluError('E_GRAPH', `ThresholdedRelu: alpha must be a FLOAT attribute`);
    return { alpha: a.f, alphaIsDefault: false };
  },
};
