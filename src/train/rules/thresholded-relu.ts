/**
 * ThresholdedRelu: dX = ThresholdedReluGrad(S, dY) = dY where S > alpha.
 *
 * S is X in general. For alpha >= 0 it is Y = ThresholdedRelu(X): then
 * Y > alpha exactly when X > alpha (X > alpha >= 0 gives Y = X; otherwise
 * Y = 0, which is not > alpha; NaN gives 0 in both), also after alpha is
 * rounded to X's type, which keeps its sign. Reading Y leaves X to the forward
 * node alone, so ORT can fuse it into the op before (Gemm + activation).
 * For alpha < 0 it must be X: X in (alpha, 0] gives Y = X, and Y = 0 there
 * does not tell X = 0 (gradient 1) from X <= alpha (gradient 0). Caffe2's
 * gradient read Y for every alpha and was wrong there.
 */
import { attr } from '../../graph/attributes.js';
import { thresholdedReluOp } from '../../ops/thresholded-relu/definition.js';
import { TRELU_DOMAIN, GRAD_OP_TYPE } from '../../ops/thresholded-relu/grad-function.js';
import type { GradRule } from '../rule.js';

export const thresholdedReluGrad: GradRule = {
  opType: 'ThresholdedRelu',
  saves: (node) => (thresholdedReluOp.parseAttributes(node.attributes).alpha >= 0 ? { outputs: [0] } : { inputs: [0] }),
  backward({ attributes, b, dY, saved }) {
    const { alpha } = thresholdedReluOp.parseAttributes(attributes);
    const s = alpha >= 0 ? saved.output(0) : saved.input(0);
    return [b.op(GRAD_OP_TYPE, [s, dY[0]], { domain: TRELU_DOMAIN, name: 'trelu_grad', attributes: [attr.float('alpha', alpha)] })];
  },
};
