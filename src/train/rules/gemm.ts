/**
 * Gemm: Y = alpha * A' B' + beta * C, A' = transA ? A^T : A, B' likewise.
 *   dA' = alpha * dY B'^T  → dA = transA ? (dA')^T : dA'
 *   dB' = alpha * A'^T dY  → dB = transB ? (dB')^T : dB'
 *   dC  = beta * dY, summed to C's shape (C broadcasts)
 */
import Long from 'long';
import type { GradRule } from '../context.js';

export const gemmGrad: GradRule = {
  opType: 'Gemm',
  backward({ node, b, dY, needs, reduceTo, scalar }) {
    const intAttr = (n: string) => (node.attribute(n) ? Long.fromValue(node.attribute(n)!.i).toNumber() : 0);
    const alpha = node.attribute('alpha')?.f ?? 1;
    const beta = node.attribute('beta')?.f ?? 1;
    const transA = intAttr('transA') === 1;
    const transB = intAttr('transB') === 1;
    const [a, bm, c] = node.inputs;
    const t = (v: typeof a) => b.op('Transpose', [v], { name: 'gemm_t' });
    // Scalars take the forward input's type: backward values are not typed until the node is done.
    const scale = (v: NonNullable<typeof a>, s: number) => (s === 1 ? v : b.op('Mul', [v, scalar(s, a!)], { name: 'gemm_scale' }));
    let dA, dB, dC;
    if (needs(0)) {
      // dA' = dY B'^T; with B' = B^T (transB) that is dY B, else dY B^T
      const g = b.op('MatMul', [dY[0], transB ? bm : t(bm)], { name: 'gemm_da' });
      dA = scale(transA ? t(g) : g, alpha);
    }
    if (needs(1)) {
      const g = b.op('MatMul', [transA ? a : t(a), dY[0]], { name: 'gemm_db' });
      dB = scale(transB ? t(g) : g, alpha);
    }
    if (c && needs(2)) dC = reduceTo(scale(dY[0]!, beta), c);
    return [dA, dB, dC];
  },
};
