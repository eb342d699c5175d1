/** MatMul, Gemm, Einsum and the recurrent layers. */
import { broadcastShapes, isNum } from '../dims.js';
import type { Dim, ShapeRule } from '../types.js';

const matMul: ShapeRule = (r) => {
  const a = r.ins[0]?.shape;
  const b = r.ins[1]?.shape;
  if (!a || !b || a.length < 1 || b.length < 1) return undefined;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2)) ?? [];
  const out: Dim[] = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return [{ shape: out }];
};

const gemm: ShapeRule = (r) => {
  const a = r.ins[0]?.shape;
  const b = r.ins[1]?.shape;
  if (!a || !b || a.length !== 2 || b.length !== 2) return undefined;
  const m = r.node.attrs.int('transA', 0) ? a[1] : a[0];
  const n = r.node.attrs.int('transB', 0) ? b[0] : b[1];
  return [{ shape: [m, n] }];
};

/**
 * Einsum: each output letter's dim from the operands that have it (a 1 gives way to another size,
 * as in broadcasting); '...' stands for the broadcast of the operands' remaining leading axes; an
 * implicit output ('ij,jk') is '...' then the letters used once, in alphabetical order (numpy's rule).
 */
const einsum: ShapeRule = (r) => {
  const eq = r.node.attrs.string('equation', '').replace(/\s/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs!.split(',');
  const dims = new Map<string, Dim>();
  const count = new Map<string, number>();
  let ellipsis: Dim[] | undefined = [];
  for (const [k, term] of terms.entries()) {
    const s = r.ins[k]?.shape;
    const parts = term.split('...');
    if (!s || parts.length > 2 || /[^A-Za-z]/.test(parts.join(''))) return undefined;
    const [before, after = ''] = parts;
    const spanned = s.length - before!.length - after.length;
    if (parts.length === 1 ? spanned !== 0 : spanned < 0) return undefined;
    if (parts.length === 2) ellipsis = ellipsis && broadcastShapes(ellipsis, s.slice(before!.length, before!.length + spanned));
    const letters = [...before!, ...after];
    const at = [...before!].map((_, i) => i).concat([...after].map((_, i) => before!.length + spanned + i));
    letters.forEach((c, i) => {
      count.set(c, (count.get(c) ?? 0) + 1);
      const d = s[at[i]!];
      const old = dims.get(c);
      if (!dims.has(c) || old === 1 || (old === undefined && d !== 1)) dims.set(c, d);
    });
  }
  const out = rhs ?? `...${[...count].filter(([, n]) => n === 1).map(([c]) => c).sort().join('')}`;
  const [pre, post = ''] = out.split('...');
  if (out.split('...').length > 2) return undefined;
  const ell = out.includes('...') ? ellipsis : [];
  if (!ell) return undefined;
  return [{ shape: [...[...pre!].map((c) => dims.get(c)), ...ell, ...[...post].map((c) => dims.get(c))] }];
};

/** RNN/GRU/LSTM (layout 0): Y [seq, dirs, batch, hidden], Y_h and Y_c [dirs, batch, hidden]. */
const recurrent: ShapeRule = (r) => {
  const x = r.ins[0]?.shape;
  const hidden = r.node.attrs.int('hidden_size');
  const dirs = r.node.attrs.string('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const layout = r.node.attrs.int('layout', 0);
  if (!x || x.length !== 3 || !isNum(hidden)) return undefined;
  const [seq, batch] = layout === 0 ? [x[0], x[1]] : [x[1], x[0]];
  const y: Dim[] = layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden];
  const h: Dim[] = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  return [{ shape: y }, { shape: h }, { shape: [...h] }];
};

export const MATMUL_RULES: Record<string, ShapeRule> = {
  MatMul: matMul,
  MatMulInteger: matMul,
  QLinearMatMul: (r) => matMul({ ...r, ins: [r.ins[0]!, r.ins[3] ?? {}] }),
  Gemm: gemm,
  Einsum: einsum,
  RNN: recurrent,
  GRU: recurrent,
  LSTM: recurrent,
};
