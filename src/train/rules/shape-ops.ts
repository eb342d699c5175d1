/** Reshape, Flatten, Squeeze, Unsqueeze: dX = Reshape(dY, Shape(X)). Transpose: the inverse permutation. */
import Long from 'long';
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../context.js';

const backToShape: GradRule['backward'] = ({ node, b, dY }) => [b.op('Reshape', [dY[0], b.op('Shape', [node.inputs[0]], { name: 'grad_shape' })], { name: `${node.opType.toLowerCase()}_grad` })];

export const reshapeGrad: GradRule = { opType: 'Reshape', backward: backToShape };
export const flattenGrad: GradRule = { opType: 'Flatten', backward: backToShape };
export const squeezeGrad: GradRule = { opType: 'Squeeze', backward: backToShape };
export const unsqueezeGrad: GradRule = { opType: 'Unsqueeze', backward: backToShape };

export const transposeGrad: GradRule = {
  opType: 'Transpose',
  backward({ node, b, dY, info, unsupported }) {
    const perm = node.attribute('perm')?.ints.map((i) => Long.fromValue(i).toNumber());
    const rank = info(node.inputs[0]!)?.shape?.length;
    const p = perm ?? (rank === undefined ? unsupported('no perm and unknown rank') : [...Array(rank).keys()].reverse());
    const inverse = p.map((_, i) => p.indexOf(i));
    return [b.op('Transpose', [dY[0]], { name: 'transpose_grad', attributes: [attr.ints('perm', inverse)] })];
  },
};
