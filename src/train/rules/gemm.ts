/**
 * Gemm: Y = alpha * A' B' + beta * C, A' = transA ? A^T : A, B' likewise.
 *   dA' = alpha * dY B'^T  → dA = transA ? (dA')^T = alpha * B' dY^T : dA'
 *   dB' = alpha * A'^T dY  → dB = transB ? (dB')^T = alpha * dY^T A' : dB'
 *   dC  = beta * dY, summed to C's shape (C broadcasts)
 * Each of dA and dB is one Gemm with the transposes as attributes, so no
 * Transpose node is emitted and alpha costs nothing.
 */
import { attr } from '../../graph/attributes.js';
import type { GradRule } from '../rule.js';

export const gemmGrad: GradRule = {
  opType: 'Gemm',
  saves: { inputs: [0, 1, 2] }, // C for its shape
  backward({ attrs, b, dY, saved, needs, reduceTo, scalar }) {
    const alpha = attrs.float('alpha', 1);
    const beta = attrs.float('beta', 1);
    const transA = attrs.int('transA', 0);
    const transB = attrs.int('transB', 0);
    const [a, bm, c] = [saved.input(0), saved.input(1), saved.optionalInput(2)];
    const gemm = (p: NonNullable<typeof a>, q: NonNullable<typeof a>, tp: number, tq: number, name: string) =>
      b.op('Gemm', [p, q], { name, attributes: [attr.float('alpha', alpha), attr.int('transA', tp), attr.int('transB', tq)] });
    let dA, dB, dC;
    if (needs(0)) dA = transA ? gemm(bm!, dY[0]!, transB, 1, 'gemm_da') : gemm(dY[0]!, bm!, 0, transB ? 0 : 1, 'gemm_da');
    if (needs(1)) dB = transB ? gemm(dY[0]!, a!, 1, transA, 'gemm_db') : gemm(a!, dY[0]!, transA ? 0 : 1, 0, 'gemm_db');
    // Scalars take the forward input's type: backward values are not typed until the node is done.
    if (c && needs(2)) dC = reduceTo(beta === 1 ? dY[0]! : b.op('Mul', [dY[0]!, scalar(beta, a!)], { name: 'gemm_scale' }), c);
    return [dA, dB, dC];
  },
};
