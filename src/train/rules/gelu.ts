/**
 * Gelu (opset 20), approximate 'none': dX = dY * (Φ(x) + x φ(x)), Φ(x) = (1 + erf(x/√2)) / 2,
 * φ(x) = exp(-x²/2) / √(2π). approximate 'tanh' (t = tanh(u), u = √(2/π) (x + 0.044715 x³)):
 * dX = dY * (0.5 (1 + t) + 0.5 x (1 - t²) √(2/π) (1 + 3 * 0.044715 x²)).
 */
import type { GradRule } from '../rule.js';

export const geluGrad: GradRule = {
  opType: 'Gelu',
  saves: { inputs: [0] },
  backward({ b, dY, saved, attrs, scalar, unsupported }) {
    const x = saved.input(0);
    const approx = attrs.string('approximate', 'none');
    const k = (v: number) => scalar(v, x);
    const mul = (p: typeof x, q: typeof x, name = 'gelu_mul') => b.op('Mul', [p, q], { name });
    const add = (p: typeof x, q: typeof x, name = 'gelu_add') => b.op('Add', [p, q], { name });
    const x2 = mul(x, x, 'gelu_x2');
    let d;
    if (approx === 'none') {
      const cdf = mul(add(k(1), b.op('Erf', [mul(x, k(Math.SQRT1_2))], { name: 'gelu_erf' })), k(0.5), 'gelu_cdf');
      const pdf = mul(b.op('Exp', [mul(x2, k(-0.5))], { name: 'gelu_exp' }), k(1 / Math.sqrt(2 * Math.PI)), 'gelu_pdf');
      d = add(cdf, mul(x, pdf), 'gelu_d');
    } else if (approx === 'tanh') {
      const c = Math.sqrt(2 / Math.PI);
      const u = mul(mul(x, add(k(1), mul(x2, k(0.044715)))), k(c), 'gelu_u');
      const t = b.op('Tanh', [u], { name: 'gelu_t' });
      const du = mul(add(k(1), mul(x2, k(3 * 0.044715))), k(c), 'gelu_du');
      const oneMinusT2 = b.op('Sub', [k(1), mul(t, t)], { name: 'gelu_sech2' });
      d = add(mul(add(k(1), t), k(0.5)), mul(mul(mul(x, k(0.5)), oneMinusT2), du), 'gelu_d');
    } else unsupported(`approximate '${approx}'`);
    return [mul(dY[0]!, d!, 'gelu_grad')];
  },
};
