/**
 * SoftmaxCrossEntropyLoss on scores [N, C] with int labels [N], no weights,
 * no ignore_index, reduction 'mean' or 'sum':
 *   dScores = (Exp(log_prob) - onehot(labels, C)) * (dLoss / N for mean, dLoss for sum)
 * where log_prob is the node's second output (added when absent).
 */
import { attr } from '../../graph/attributes.js';
import { DataType } from '../../onnx/proto.js';
import { Value } from '../../graph/value.js';
import type { GradRule } from '../context.js';

export const softmaxCrossEntropyLossGrad: GradRule = {
  opType: 'SoftmaxCrossEntropyLoss',
  saves: { inputs: [0, 1], outputs: [1] }, // scores (type, shape), labels, log_prob
  backward({ node, b, dY, info, ints, unsupported }) {
    const [scores, labels, weights] = node.inputs as Value[];
    if (weights) unsupported('class weights');
    if (node.attribute('ignore_index')) unsupported('ignore_index');
    if (dY[1]) unsupported('a gradient flowing into log_prob');
    if (info(scores!)?.shape?.length !== 2) unsupported('scores of rank other than 2');
    const reduction = node.attribute('reduction') ? new TextDecoder().decode(node.attribute('reduction')!.s) : 'mean';
    if (reduction !== 'mean' && reduction !== 'sum') unsupported(`reduction '${reduction}'`);
    // Softmax(scores) = Exp(log_prob): the loss computes log_prob anyway, so take it as an output.
    let logProb = node.outputs[1];
    if (!logProb) {
      logProb = new Value(b.scope.valueNames.unique(`${node.outputs[0]!.name}_log_prob`));
      node.appendOutput(logProb);
    }
    const p = b.op('Exp', [logProb], { name: 'sce_p' });
    const [n, c] = info(scores!)!.shape!;
    // Sizes known at build time are constants; others are read from Shape(scores).
    let shape: Value | undefined;
    const dim = (d: typeof n, axis: number, name: string) => {
      if (typeof d === 'number') return ints([d], name);
      shape ??= b.op('Shape', [scores], { name: 'grad_shape' });
      return b.op('Gather', [shape, ints([axis])], { name, attributes: [attr.int('axis', 0)] });
    };
    // One-hot labels as Equal(labels[:, None], 0..C-1): ORT runs OneHot about 10x slower.
    const classes = typeof c === 'number'
      ? ints([...Array(c).keys()], 'sce_classes')
      : b.op('Range', [b.op('Squeeze', [ints([0], 'sce_0')], { name: 'sce_0' }), b.op('Squeeze', [dim(c, 1, 'sce_c')], { name: 'sce_c' }), b.op('Squeeze', [ints([1], 'sce_1')], { name: 'sce_1' })], { name: 'sce_classes' });
    const labels64 = info(labels!)?.elemType === DataType.INT64 ? labels : b.op('Cast', [labels], { name: 'sce_labels', attributes: [attr.int('to', DataType.INT64)] });
    const column = b.op('Unsqueeze', [labels64, ints([1], 'sce_axis')], { name: 'sce_labels' });
    const onehot = b.op('CastLike', [b.op('Equal', [column, classes], { name: 'sce_onehot' }), scores], { name: 'sce_onehot' });
    // The scalar factor dLoss (/ N for the mean) first, then one multiply over [N, C].
    const scale = reduction === 'mean' ? b.op('Div', [dY[0], b.op('CastLike', [dim(n, 0, 'sce_n'), scores], { name: 'sce_n' })], { name: 'sce_scale' }) : dY[0]!;
    return [b.op('Mul', [b.op('Sub', [p, onehot], { name: 'sce_diff' }), scale], { name: 'sce_grad' }), undefined, undefined];
  },
};
