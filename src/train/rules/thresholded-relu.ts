/** ThresholdedRelu: dX = ThresholdedReluGrad(X, dY) = dY where X > alpha (from X, never Y). */
import { attr } from '../../graph/attributes.js';
import { thresholdedRelu } from '../../ops/thresholded-relu/definition.js';
import { TRELU_DOMAIN, GRAD_OP_TYPE } from '../../ops/thresholded-relu/grad-function.js';
import type { GradRule } from '../context.js';

export const thresholdedReluGrad: GradRule = {
  opType: 'ThresholdedRelu',
  backward({ node, b, dY }) {
    const { alpha } = thresholdedRelu.parseAttributes(node.attributes);
    return [b.op(GRAD_OP_TYPE, [node.inputs[0], dY[0]], { domain: TRELU_DOMAIN, name: 'trelu_grad', attributes: [attr.float('alpha', alpha)] })];
  },
};
