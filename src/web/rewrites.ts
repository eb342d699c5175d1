/**
 * The four rewrites as the page offers them, each with how it is verified:
 * fuse and decompose keep the function ('equal'); replace and insert change
 * it on purpose, so their new nodes are checked against the reference kernel
 * ('reference'). Browser-safe (the CLI's table lives in src/cli/rewrite.ts).
 */
import type { Model } from '../graph/model.js';
import { fuse, decompose, ensureThresholdedReluOpset } from '../rewrite/index.js';
import { replaceActivations } from '../rewrite/replace.js';
import { insertThresholdedRelu } from '../rewrite/insert.js';
import type { RewriteReport } from '../rewrite/rule.js';

export type RewriteKind = 'replace' | 'insert' | 'fuse' | 'decompose';

export interface RewriteParams {
  /** replace: op types to replace (default ['Relu']). */
  from?: readonly string[];
  /** replace (default 0) and insert (default 1). */
  alpha?: number;
  /** insert: tensor or single-output node names. */
  after?: readonly string[];
  /** fuse: also fuse forms that differ for NaN/-inf inputs. */
  allowNanChange?: boolean;
}

export interface PageRewriteResult {
  kind: RewriteKind;
  report: RewriteReport;
  warnings: string[];
  /** The opset was raised to 10 for ThresholdedRelu. */
  upgradedOpset: boolean;
  verifyMode: 'equal' | 'reference';
  /** Names of the nodes the rewrite added. */
  added: string[];
}

/** Rewrites `model` in place. */
export function applyPageRewrite(model: Model, kind: RewriteKind, params: RewriteParams = {}): PageRewriteResult {
  let report: RewriteReport;
  let warnings: string[] = [];
  let upgradedOpset = false;
  if (kind === 'fuse') report = fuse(model, { allowNanChange: !!params.allowNanChange });
  else if (kind === 'decompose') report = decompose(model);
  else {
    upgradedOpset = ensureThresholdedReluOpset(model) !== undefined;
    if (kind === 'replace') {
      const r = replaceActivations(model, { from: params.from ?? ['Relu'], alpha: params.alpha });
      report = r;
      warnings = r.warnings;
    } else {
      report = insertThresholdedRelu(model, { after: params.after ?? [], alpha: params.alpha });
    }
  }
  return { kind, report, warnings, upgradedOpset, verifyMode: kind === 'fuse' || kind === 'decompose' ? 'equal' : 'reference', added: report.changes.flatMap((c) => c.added) };
}
