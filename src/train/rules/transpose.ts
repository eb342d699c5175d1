/** Transpose: dX = Transpose(dY) with the inverse permutation. */
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../rule.js';

export const transposeGrad: GradRule = {
  opType: 'Transpose',
  saves: {},
  backward({ b, dY, attrs, inputInfo, unsupported }) {
    const perm = attrs.ints('perm');
    const rank = inputInfo(0).rank;
    const p = perm ?? (rank === undefined ? unsupported('no perm and unknown rank') : [...Array(rank).keys()].reverse());
    const inverse = p.map((_, i) => p.indexOf(i));
    return [b.op('Transpose', [dY[0]], { name: 'transpose_grad', attributes: [attr.ints('perm', inverse)] })];
  },
};
