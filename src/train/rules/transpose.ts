/** Transpose: dX = Transpose(dY) with the inverse permutation. */
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../context.js';

export const transposeGrad: GradRule = {
  opType: 'Transpose',
  saves: {},
  backward({ node, b, dY, info, unsupported }) {
    const perm = node.attrs.ints('perm');
    const rank = info(node.inputs[0]!)?.shape?.length;
    const p = perm ?? (rank === undefined ? unsupported('no perm and unknown rank') : [...Array(rank).keys()].reverse());
    const inverse = p.map((_, i) => p.indexOf(i));
    return [b.op('Transpose', [dY[0]], { name: 'transpose_grad', attributes: [attr.ints('perm', inverse)] })];
  },
};
