/**
 * MaxPool (storage_order 0): the forward node is given its Indices output
 * (flat positions in X), and dY is scattered (added) to those positions of
 * zeros shaped like X (ScatterElements with reduction 'add', opset 16).
 */
import Long from 'long';
import { attr } from '../../graph/attributes.js';
import { Value } from '../../graph/value.js';
import type { GradRule } from '../context.js';

export const maxPoolGrad: GradRule = {
  opType: 'MaxPool',
  backward({ node, b, dY, ints, zerosLike, opset, unsupported }) {
    if (opset < 16) unsupported('needs ScatterElements with reduction (opset 16)');
    const so = node.attribute('storage_order');
    if (so && Long.fromValue(so.i).toNumber() !== 0) unsupported('storage_order 1');
    const x = node.inputs[0]!;
    let indices = node.outputs[1];
    if (!indices) {
      indices = new Value(b.scope.valueNames.unique(`${node.outputs[0]!.name}_indices`));
      node.appendOutput(indices);
    }
    const flat = (v: Value, name: string) => b.op('Reshape', [v, ints([-1])], { name });
    const scattered = b.op('ScatterElements', [flat(zerosLike(x), 'maxpool_zeros'), flat(indices, 'maxpool_idx'), flat(dY[0]!, 'maxpool_dy')], {
      name: 'maxpool_scatter', attributes: [attr.int('axis', 0), attr.string('reduction', 'add')],
    });
    return [b.op('Reshape', [scattered, b.op('Shape', [x], { name: 'grad_shape' })], { name: 'maxpool_grad' })];
  },
};
