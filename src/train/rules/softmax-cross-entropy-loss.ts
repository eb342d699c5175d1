/**
 * SoftmaxCrossEntropyLoss on scores [N, C] with int labels [N], no weights,
 * no ignore_index, reduction 'mean' or 'sum':
 *   dScores = (Softmax(scores, 1) - OneHot(labels, C)) * dLoss / (N for mean)
 */
import { attr } from '../../graph/attributes.js';
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../context.js';

export const softmaxCrossEntropyLossGrad: GradRule = {
  opType: 'SoftmaxCrossEntropyLoss',
  backward({ node, b, dY, info, ints, unsupported }) {
    const [scores, labels, weights] = node.inputs as Value[];
    if (weights) unsupported('class weights');
    if (node.attribute('ignore_index')) unsupported('ignore_index');
    if (dY[1]) unsupported('a gradient flowing into log_prob');
    if (info(scores!)?.shape?.length !== 2) unsupported('scores of rank other than 2');
    const reduction = node.attribute('reduction') ? new TextDecoder().decode(node.attribute('reduction')!.s) : 'mean';
    if (reduction !== 'mean' && reduction !== 'sum') unsupported(`reduction '${reduction}'`);
    const p = b.op('Softmax', [scores], { name: 'sce_p', attributes: [attr.int('axis', 1)] });
    const shape = b.op('Shape', [scores], { name: 'grad_shape' });
    const depth = b.op('Gather', [shape, ints([1])], { name: 'sce_c', attributes: [attr.int('axis', 0)] });
    const onOff = b.op('CastLike', [b.op('Constant', [], { name: 'sce_01', attributes: [attr.floats('value_floats', [0, 1])] }), scores], { name: 'sce_01' });
    const onehot = b.op('OneHot', [labels, depth, onOff], { name: 'sce_onehot', attributes: [attr.int('axis', 1)] });
    let g = b.op('Mul', [b.op('Sub', [p, onehot], { name: 'sce_diff' }), dY[0]], { name: 'sce_g' });
    if (reduction === 'mean') {
      const n = b.op('CastLike', [b.op('Gather', [shape, ints([0])], { name: 'sce_n', attributes: [attr.int('axis', 0)] }), scores], { name: 'sce_n' });
      g = b.op('Div', [g, n], { name: 'sce_grad' });
    }
    return [g, undefined, undefined];
  },
};
