/**
 * Mul(X, Cast(Greater(X, A))) in either operand order (tf2onnx's form for
 * Keras' ThresholdedReLU) → ThresholdedRelu(X, alpha = A) — only with
 * allowNanChange.
 *
 * It differs for NaN (NaN * 0 = NaN) and -inf (-inf * 0 = NaN) where
 * ThresholdedRelu gives 0, and gives -0 for negative x below the threshold.
 */
import { PatternBuilder } from '../pattern.js';
import { fuseRule } from '../fuse-rule.js';

const p = new PatternBuilder();
const x = p.var('X');
const mask = () => p.op('Cast', [p.op('Greater', [x, p.var('A')], 'cmp')], 'cast');
const maskLess = () => p.op('Cast', [p.op('Less', [p.var('A'), x], 'cmp')], 'cast');

export const fuseMulCastGreater = fuseRule({
  name: 'fuse-mul-cast-greater',
  description: 'Mul(X, Cast(Greater(X, a))) → ThresholdedRelu(alpha = a) (differs at NaN and -inf)',
  patterns: [
    p.op('Mul', [x, mask()], 'mul'),
    p.op('Mul', [mask(), x], 'mul'),
    p.op('Mul', [x, maskLess()], 'mul'),
    p.op('Mul', [maskLess(), x], 'mul'),
  ],
  nanChange: 'Mul(X, mask) gives NaN for NaN and -inf inputs, ThresholdedRelu gives 0',
  extraCheck(match, _ctx, xType) {
    return match.nodes.get('cast')!.attrs.int('to') === xType ? undefined : 'the mask is not cast to the input\'s type';
  },
});
