/**
 * Where(Not(Greater(X, A)), Z, X) and Where(Not(Less(A, X)), Z, X)
 * → ThresholdedRelu(X, alpha = A), Z = 0.
 *
 * Not(NaN > A) is true, so NaN maps to 0 in both: identical.
 */
import { PatternBuilder } from '../pattern.js';
import { fuseRule } from '../fuse-rule.js';

const p = new PatternBuilder();
const x = p.var('X');

export const fuseWhereNotGreater = fuseRule({
  name: 'fuse-where-not-greater',
  description: 'Where(Not(Greater(X, a)), 0, X) → ThresholdedRelu(alpha = a)',
  patterns: [
    p.op('Where', [p.op('Not', [p.op('Greater', [x, p.var('A')], 'cmp')], 'not'), p.var('Z'), x], 'where'),
    p.op('Where', [p.op('Not', [p.op('Less', [p.var('A'), x], 'cmp')], 'not'), p.var('Z'), x], 'where'),
  ],
});
