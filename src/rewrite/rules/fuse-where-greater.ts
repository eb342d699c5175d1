/**
 * Where(Greater(X, A), X, Z) → ThresholdedRelu(X, alpha = A), Z = 0.
 *
 *   X ─┬─▶ Greater(·, A) ─▶ Where(·, X, Z) ─▶ Y        X ─▶ ThresholdedRelu(alpha=A) ─▶ Y
 *      └──────────────────────────▲
 * A and Z may be constants behind Cast/CastLike, and Z may be zeros_like(X)
 * (ConstantOfShape(Shape(X)) or Expand(0, Shape(X))): what PyTorch's exporter
 * writes for torch.where(x > a, x, 0) and torch.where(x > a, x, torch.zeros_like(x)).
 * NaN > A is false, so NaN maps to 0 in both: identical.
 */
import { PatternBuilder } from '../pattern.js';
import { fuseRule } from '../fuse-rule.js';

const p = new PatternBuilder();
const x = p.var('X');

export const fuseWhereGreater = fuseRule({
  name: 'fuse-where-greater',
  description: 'Where(Greater(X, a), X, 0) → ThresholdedRelu(alpha = a)',
  patterns: [p.op('Where', [p.op('Greater', [x, p.var('A')], 'cmp'), x, p.var('Z')], 'where')],
});
