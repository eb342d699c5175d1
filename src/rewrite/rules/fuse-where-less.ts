/**
 * Where(Less(A, X), X, Z) → ThresholdedRelu(X, alpha = A), Z = 0.
 *
 * With A = CastLike(alpha, X) and Z = CastLike(0, X) this is ONNX's own
 * function body for ThresholdedRelu, and exactly what `decompose` writes.
 */
import { PatternBuilder } from '../pattern.js';
import { fuseRule } from '../fuse-rule.js';

const p = new PatternBuilder();
const x = p.var('X');

export const fuseWhereLess = fuseRule({
  name: 'fuse-where-less',
  description: 'Where(Less(a, X), X, 0) → ThresholdedRelu(alpha = a) (ONNX\'s function body)',
  patterns: [p.op('Where', [p.op('Less', [p.var('A'), x], 'cmp'), x, p.var('Z')], 'where')],
});
