/**
 * MatMul with batch broadcasting: dA = dY B^T, dB = A^T dY (transposing the
 * last two axes), each summed back over broadcast batch axes. 1-D operands
 * are not handled.
 */
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../context.js';

export const matmulGrad: GradRule = {
  opType: 'MatMul',
  saves: { inputs: [0, 1] },
  backward({ node, b, dY, needs, reduceTo, info, unsupported }) {
    const [a, c] = node.inputs as [NonNullable<typeof node.inputs[0]>, NonNullable<typeof node.inputs[0]>];
    const ra = info(a)?.shape?.length ?? unsupported('operand ranks are unknown');
    const rc = info(c)?.shape?.length ?? unsupported('operand ranks are unknown');
    if (ra < 2 || rc < 2) unsupported('1-D operands are not handled');
    const t = (v: typeof a, rank: number) => b.op('Transpose', [v], { name: 'matmul_t', attributes: [attr.ints('perm', [...[...Array(rank - 2).keys()], rank - 1, rank - 2])] });
    return [
      needs(0) ? reduceTo(b.op('MatMul', [dY[0], t(c, rc)], { name: 'matmul_da' }), a) : undefined,
      needs(1) ? reduceTo(b.op('MatMul', [t(a, ra), dY[0]], { name: 'matmul_db' }), c) : undefined,
    ];
  },
};
