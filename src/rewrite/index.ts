/** Graph rewrites around ThresholdedRelu. Browser-safe. */
import type { Model } from '../graph/model.js';
import { applyRules, type AnyRewriteRule, type RewriteOptions, type RewriteReport } from './rule.js';
import { fuseWhereGreater } from './rules/fuse-where-greater.js';
import { fuseWhereLess } from './rules/fuse-where-less.js';
import { fuseWhereNotGreater } from './rules/fuse-where-not-greater.js';
import { fuseWhereLessOrEqual } from './rules/fuse-where-less-or-equal.js';
import { fuseMulCastGreater } from './rules/fuse-mul-cast-greater.js';
import { decomposeThresholdedRelu } from './rules/decompose-thresholded-relu.js';
import { upgradeOpset, type UpgradeReport } from './opset-upgrade.js';

/** The fuse rules, in the order they are tried. */
export const FUSE_RULES: readonly AnyRewriteRule[] = [fuseWhereGreater, fuseWhereLess, fuseWhereNotGreater, fuseWhereLessOrEqual, fuseMulCastGreater];

export function fuse(model: Model, options: RewriteOptions & { dryRun?: boolean } = {}): RewriteReport {
  return applyRules(model, FUSE_RULES, options);
}

export function decompose(model: Model, options: { dryRun?: boolean } = {}): RewriteReport {
  return applyRules(model, [decomposeThresholdedRelu], options);
}

/** ThresholdedRelu needs ai.onnx 10: upgrades a model below that; returns the report, or undefined if nothing changed. */
export function ensureThresholdedReluOpset(model: Model): UpgradeReport | undefined {
  const opset = model.onnxOpset;
  if (opset !== undefined && opset >= 10) return undefined;
  return upgradeOpset(model, 10);
}

export { applyRules, rule, removeUnused, type RewriteRule, type AnyRewriteRule, type RewriteOptions, type RewriteReport, type RuleContext, type CheckResult, type Change, type Candidate } from './rule.js';
export { PatternBuilder, matchPattern, type Match, type PatternNode, type PatternOp, type PatternVar } from './pattern.js';
export { replaceActivations, REPLACEABLE_OPS, type ReplaceOptions } from './replace.js';
export { insertThresholdedRelu, type InsertOptions } from './insert.js';
export { upgradeOpset, opVersionAt, type UpgradeReport, type Blocker } from './opset-upgrade.js';
export { fuseWhereGreater, fuseWhereLess, fuseWhereNotGreater, fuseWhereLessOrEqual, fuseMulCastGreater, decomposeThresholdedRelu };
