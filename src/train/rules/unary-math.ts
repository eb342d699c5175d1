/** Neg, Exp, Log, Sqrt, Identity: the one-line derivatives. */
import type { GradRule } from '../context.js';

export const negGrad: GradRule = { opType: 'Neg', backward: ({ b, dY }) => [b.op('Neg', [dY[0]], { name: 'neg_grad' })] };
export const expGrad: GradRule = { opType: 'Exp', backward: ({ node, b, dY }) => [b.op('Mul', [dY[0], node.outputs[0]], { name: 'exp_grad' })] };
export const logGrad: GradRule = { opType: 'Log', backward: ({ node, b, dY }) => [b.op('Div', [dY[0], node.inputs[0]], { name: 'log_grad' })] };
export const sqrtGrad: GradRule = {
  opType: 'Sqrt',
  backward: ({ node, b, dY, scalar }) => [b.op('Div', [dY[0], b.op('Mul', [scalar(2, node.outputs[0]!), node.outputs[0]], { name: 'sqrt_2y' })], { name: 'sqrt_grad' })],
};
export const identityGrad: GradRule = { opType: 'Identity', backward: ({ dY }) => [dY[0]] };
