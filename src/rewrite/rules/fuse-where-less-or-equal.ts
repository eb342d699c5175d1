/**
 * Where(LessOrEqual(X, A), Z, X) and Where(GreaterOrEqual(A, X), Z, X)
 * → ThresholdedRelu(X, alpha = A), Z = 0 — only with allowNanChange.
 *
 * NaN <= A is false, so this form passes NaN through where ThresholdedRelu
 * gives 0: the same function except at NaN.
 */
import { PatternBuilder } from '../pattern.js';
import { fuseRule } from '../fuse-rule.js';

const p = new PatternBuilder();
const x = p.var('X');

export const fuseWhereLessOrEqual = fuseRule({
  name: 'fuse-where-less-or-equal',
  description: 'Where(LessOrEqual(X, a), 0, X) → ThresholdedRelu(alpha = a) (differs at NaN)',
  patterns: [
    p.op('Where', [p.op('LessOrEqual', [x, p.var('A')], 'cmp'), p.var('Z'), x], 'where'),
    p.op('Where', [p.op('GreaterOrEqual', [p.var('A'), x], 'cmp'), p.var('Z'), x], 'where'),
  ],
  nanChange: 'this form passes NaN through, ThresholdedRelu gives 0',
});
