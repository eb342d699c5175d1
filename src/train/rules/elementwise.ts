/**
 * Add, Sub, Mul, Div with numpy broadcasting: each input's gradient is summed
 * back to that input's shape. (Four tiny rules that share the reduction.)
 */
import type { GradRule } from '../context.js';

export const addGrad: GradRule = {
  opType: 'Add',
  backward({ node, dY, needs, reduceTo }) {
    return [needs(0) ? reduceTo(dY[0]!, node.inputs[0]!) : undefined, needs(1) ? reduceTo(dY[0]!, node.inputs[1]!) : undefined];
  },
};

export const subGrad: GradRule = {
  opType: 'Sub',
  backward({ node, b, dY, needs, reduceTo }) {
    return [
      needs(0) ? reduceTo(dY[0]!, node.inputs[0]!) : undefined,
      needs(1) ? reduceTo(b.op('Neg', [dY[0]], { name: 'sub_neg' }), node.inputs[1]!) : undefined,
    ];
  },
};

export const mulGrad: GradRule = {
  opType: 'Mul',
  backward({ node, b, dY, needs, reduceTo }) {
    const [a, c] = node.inputs as [typeof node.inputs[0], typeof node.inputs[0]];
    return [
      needs(0) ? reduceTo(b.op('Mul', [dY[0], c], { name: 'mul_da' }), a!) : undefined,
      needs(1) ? reduceTo(b.op('Mul', [dY[0], a], { name: 'mul_db' }), c!) : undefined,
    ];
  },
};

export const divGrad: GradRule = {
  opType: 'Div',
  backward({ node, b, dY, needs, reduceTo }) {
    const [a, c] = node.inputs;
    const da = needs(0) ? reduceTo(b.op('Div', [dY[0], c], { name: 'div_da' }), a!) : undefined;
    // d(a/c)/dc = -a / c^2 = -Y / c
    const db = needs(1) ? reduceTo(b.op('Neg', [b.op('Div', [b.op('Mul', [dY[0], node.outputs[0]], { name: 'div_dyy' }), c], { name: 'div_q' })], { name: 'div_db' }), c!) : undefined;
    return [da, db];
  },
};
