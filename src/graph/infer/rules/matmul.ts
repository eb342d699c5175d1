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

/** Einsum with an explicit output and no ellipsis: each output letter's dim from the operand that has it. */
const einsum: ShapeRule = (r) => {
  const eq = r.node.attrs.string('equation', '').replace(/\s/g, '');
  const [lhs, rhs] = eq.split('->');
  if (rhs === undefined || eq.includes('.')) return undefined;
  const terms = lhs!.split(',');
  const dims = new Map<string, Dim>();
  for (const [k, term] of terms.entries()) {
    const s = r.ins[k]?.shape;
    if (!s || s.length !== term.length) return undefined;
    [...term].forEach((c, i) => {
      const old = dims.get(c);
      if (old === undefined || old === 1) dims.set(c, s[i]);
    });
  }
  return [{ shape: [...rhs].map((c) => dims.get(c)) }];
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
