/**
 * MatMul with batch broadcasting: dA = dY B^T, dB = A^T dY (transposing the
 * last two axes), each summed back over broadcast batch axes. Where a rank is
 * unknown at build time (shapes computed in the graph, as attention's
 * Reshapes), the products are Einsum over '...': rank-agnostic, and
 * reduceTo sums the broadcast axes in the graph. 1-D operands (known) are
 * unsqueezed to a matrix and the gradient squeezed back.
 */
import { TreluError } from '../../errors.js';
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../rule.js';

export const matmulGrad: GradRule = {
  opType: 'MatMul',
  saves: { inputs: [0, 1] },
  backward({ name, b, dY, saved, needs, reduceTo, inputInfo, ints }) {
    let [a, c] = [saved.input(0), saved.input(1)];
    const ra = inputInfo(0).rank;
    const rc = inputInfo(1).rank;
    if (ra === 0 || rc === 0) throw new TreluError('E_GRAPH', `MatMul node '${name}': an operand is a scalar (MatMul needs at least 1-D inputs)`);
    let g = dY[0]!;
    // 1-D: [k] @ [.., k, n] is [1, k] @ .. with the 1 dropped from dY; [.., m, k] @ [k] likewise
    const aVec = ra === 1;
    const cVec = rc === 1;
    if (aVec) { a = b.op('Unsqueeze', [a, ints([0])], { name: 'matmul_a2' }); g = b.op('Unsqueeze', [g, ints([-2])], { name: 'matmul_g' }); }
    if (cVec) { c = b.op('Unsqueeze', [c, ints([1])], { name: 'matmul_c2' }); g = b.op('Unsqueeze', [g, ints([-1])], { name: 'matmul_g' }); }
    const known = ra !== undefined && rc !== undefined;
    const t = (v: Value, rank: number) => b.op('Transpose', [v], { name: 'matmul_t', attributes: { perm: [...[...Array(rank - 2).keys()], rank - 1, rank - 2] } });
    const rA = aVec ? 2 : ra!;
    const rC = cVec ? 2 : rc!;
    let dA: Value | undefined;
    let dC: Value | undefined;
    if (!known && (rA === 2 || rC === 2)) {
      // One operand is a matrix (a weight, typically) and the other's rank is unknown: no broadcast to undo.
      const t2 = (v: Value) => b.op('Transpose', [v], { name: 'matmul_t', attributes: { perm: [1, 0] } });
      if (rC === 2) {
        // A [.., m, k] @ C [k, n]: dA = dY C^T; dC = A^T dY over every row of the flattened batch
        if (needs(0)) dA = b.op('MatMul', [g, t2(c)], { name: 'matmul_da' });
        if (needs(1)) {
          const cShape = b.op('Shape', [c], { name: 'grad_shape' });
          const rows = (v: Value, axis: number) => b.op('Reshape', [v, b.op('Concat', [ints([-1]), b.op('Gather', [cShape, ints([axis])], { name: 'matmul_dim', attributes: { axis: 0 } })], { name: 'matmul_rows', attributes: { axis: 0 } })], { name: 'matmul_rows' });
          dC = b.op('MatMul', [t2(rows(a, 0)), rows(g, 1)], { name: 'matmul_db' });
        }
      } else {
        // A [m, k] @ C [.., k, n]: dC = A^T dY (broadcast as C); dA = Σ over the batch of dY C^T
        if (needs(0)) dA = b.op('Einsum', [g, c], { name: 'matmul_da', attributes: { equation: '...ij,...kj->ik' } });
        if (needs(1)) dC = b.op('MatMul', [t2(a), g], { name: 'matmul_db' });
      }
      if (dA && aVec) dA = b.op('Squeeze', [dA, ints([0])], { name: 'matmul_da' });
      if (dC && cVec) dC = b.op('Squeeze', [dC, ints([1])], { name: 'matmul_db' });
      return [dA, dC];
    }
    if (needs(0)) {
      dA = known ? b.op('MatMul', [g, t(c, rC)], { name: 'matmul_da' }) : b.op('Einsum', [g, c], { name: 'matmul_da', attributes: { equation: '...ij,...kj->...ik' } });
      if (aVec) dA = b.op('Squeeze', [reduceTo(dA, a), ints([0])], { name: 'matmul_da' });
      else dA = reduceTo(dA, saved.input(0));
    }
    if (needs(1)) {
      dC = known ? b.op('MatMul', [t(a, rA), g], { name: 'matmul_db' }) : b.op('Einsum', [a, g], { name: 'matmul_db', attributes: { equation: '...ji,...jk->...ik' } });
      if (cVec) dC = b.op('Squeeze', [reduceTo(dC, c), ints([1])], { name: 'matmul_db' });
      else dC = reduceTo(dC, saved.input(1));
    }
    return [dA, dC];
  },
};
