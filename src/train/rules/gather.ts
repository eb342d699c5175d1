/**
 * Gather (indices constant or computed at run time; negative ones wrapped in the graph): dX = zeros(X) with dY scattered (added) at the
 * gathered positions. The axis is moved to the front so that ScatterND
 * (reduction 'add', opset 16) can do it.
 */
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../rule.js';

export const gatherGrad: GradRule = {
  opType: 'Gather',
  saves: { inputs: [0, 1] }, // X for its shape, and the indices
  backward({ attrs, b, dY, saved, inputInfo, constantInput, ints, zerosLike, opset, unsupported }) {
    if (opset < 16) unsupported('needs ScatterND with reduction (opset 16)');
    const [x, idx] = [saved.input(0), saved.input(1)];
    const rank = inputInfo(0).rank ?? unsupported('input rank unknown');
    const idxRank = inputInfo(1).rank ?? unsupported('indices rank unknown');
    let axis = attrs.int('axis', 0);
    if (axis < 0) axis += rank;
    // Move the gathered axis to the front: X^ = Transpose(X, [axis, rest]); dY^ likewise with the index dims first.
    const permX = [axis, ...[...Array(rank).keys()].filter((i) => i !== axis)];
    const yRank = rank - 1 + idxRank;
    const permY = [...[...Array(idxRank).keys()].map((i) => axis + i), ...[...Array(yRank).keys()].filter((i) => i < axis || i >= axis + idxRank)];
    const xT = b.op('Transpose', [x], { name: 'gather_xt', attributes: [attr.ints('perm', permX)] });
    const dyT = b.op('Transpose', [dY[0]], { name: 'gather_dyt', attributes: [attr.ints('perm', permY)] });
    const zeros = zerosLike(xT);
    // Negative indices count from the end of the axis; ScatterND wants them in range.
    const known = constantInput(1);
    let index: typeof idx = idx;
    if (!known || known.some((v) => v < 0)) {
      const dim = b.op('Gather', [b.op('Shape', [x], { name: 'grad_shape' }), ints([axis])], { name: 'gather_dim', attributes: { axis: 0 } });
      const i64 = b.op('Cast', [idx], { name: 'gather_i64', attributes: { to: 7 } });
      index = b.op('Where', [b.op('Less', [i64, ints([0])], { name: 'gather_neg' }), b.op('Add', [i64, dim], { name: 'gather_wrap' }), i64], { name: 'gather_index' });
    }
    const scattered = b.op('ScatterND', [zeros, b.op('Unsqueeze', [index, ints([-1])], { name: 'gather_idx' }), dyT], { name: 'gather_scatter', attributes: [attr.string('reduction', 'add')] });
    const inverse = permX.map((_, i) => permX.indexOf(i));
    return [b.op('Transpose', [scattered], { name: 'gather_grad', attributes: [attr.ints('perm', inverse)] }), undefined];
  },
};
