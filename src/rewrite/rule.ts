/**
 * Rewrite rules, onnxscript style: a rule is a value with a pattern, a check
 * that returns ok (with whatever the rewrite needs) or a failure with a
 * reason, and a rewrite. Rules are collected in plain arrays where they are
 * used; `applyRules` runs them over every graph, subgraph and function body.
 */
import type { Model } from '../graph/model.js';
import type { Graph } from '../graph/graph.js';
import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';
import type { OnnxFunction } from '../graph/model.js';
import { Builder } from '../graph/builder.js';
import { replaceValue } from '../graph/mutate.js';
import { inferModel, inferNodesOnValues } from '../graph/infer/index.js';
import { graphPlaces } from '../graph/locations.js';
import { matchPattern, type Match, type PatternOp } from './pattern.js';

export interface RewriteOptions {
  /** Permit rewrites that change results for NaN / -inf inputs (e.g. the Mul/Cast/Greater form). */
  allowNanChange?: boolean;
}

export interface RuleContext {
  readonly model: Model;
  readonly graph: Graph;
  readonly fn?: OnnxFunction;
  /** ai.onnx opset of the graph (the function's own for function bodies). */
  readonly opset: number | undefined;
  readonly options: RewriteOptions;
}

export type CheckResult<S> = { ok: true; state: S; /** one line for the report, e.g. 'Relu → ThresholdedRelu(alpha=0)' */ detail?: string } | { ok: false; reason: string; /** worth listing as a candidate */ candidate?: boolean };

export interface RewriteRule<S = unknown> {
  readonly name: string;
  /** One line: what the rule finds and what it makes of it. */
  readonly description: string;
  readonly patterns: readonly PatternOp[];
  /** Instead of `patterns`: decides itself whether `node` is a root (rules that match a node by its op type alone, whatever its inputs). */
  matchRoot?(node: Node, ctx: RuleContext): Match | undefined;
  check(match: Match, ctx: RuleContext): CheckResult<S>;
  /** Builds the replacement with `b` (placed before the root) and returns the values that replace the root's outputs. */
  rewrite(match: Match, state: S, b: Builder, ctx: RuleContext): Value[];
  /**
   * What the replacement computes, for --verify: ThresholdedRelu(alpha) of
   * `input`, given as the root's first output. A rule without it leaves its
   * changes unchecked.
   */
  computes?(state: S): { input: Value; alpha: number };
}

/** A rule of any state type: what rule lists hold (each rule's state stays private between its check and rewrite). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRewriteRule = RewriteRule<any>;

export function rule<S>(r: RewriteRule<S>): RewriteRule<S> {
  return r;
}

export interface Change {
  rule: string;
  location: string;
  /** Names of the nodes that were replaced. */
  removed: string[];
  /** Names of the nodes that were added. */
  added: string[];
  detail?: string;
}

export interface Candidate {
  rule: string;
  location: string;
  node: string;
  reason: string;
}

/**
 * A change as --verify checks it: `output` must be ThresholdedRelu(alpha) of
 * `input`, element by element, on the values the rewritten model really
 * computes. Values, not names: a later rewrite may rename them.
 */
export interface ChangeProbe {
  change: Change;
  graph: Graph;
  input: Value;
  output: Value;
  alpha: number;
}

export interface RewriteReport {
  changes: Change[];
  candidates: Candidate[];
  /** One per change that says what it computes (absent on a dry run). Not part of the JSON report. */
  probes?: ChangeProbe[];
  /** Set when there are no changes: why, in one line (what was looked for, what there is). */
  nothingToDo?: string;
}

/**
 * Applies the rules everywhere, each node tried as a root in order. With
 * `dryRun` nothing is changed, but the report lists what would be.
 */
export function applyRules(model: Model, rules: readonly AnyRewriteRule[], options: RewriteOptions & { dryRun?: boolean } = {}): RewriteReport {
  const changes: Change[] = [];
  const candidates: Candidate[] = [];
  const probes: ChangeProbe[] = [];
  inferModel(model);
  for (const place of graphPlaces(model)) {
    const imports = place.fn ? place.fn.opsetImports : model.opsetImports;
    const scope = place.fn ?? model;
    for (const node of place.graph.nodes) {
      if (node.graph !== place.graph) continue; // removed by an earlier rewrite
      for (const r of rules) {
        const ctx: RuleContext = { model, graph: place.graph, fn: place.fn, opset: imports.get('') ?? imports.get('ai.onnx'), options };
        const match = r.matchRoot ? r.matchRoot(node, ctx) : r.patterns.map((p) => matchPattern(p, node)).find((m) => m !== undefined);
        if (!match) continue;
        // Every rule here rewrites a one-output op (Where, ThresholdedRelu); a malformed node with more is left alone.
        if (node.outputs.length !== 1) {
          candidates.push({ rule: r.name, location: place.location, node: node.name, reason: `${node.opType} has ${node.outputs.length} outputs; the op has one` });
          continue;
        }
        const result = r.check(match, ctx);
        if (!result.ok) {
          if (result.candidate) candidates.push({ rule: r.name, location: place.location, node: node.name, reason: result.reason });
          continue;
        }
        const matched = [...new Set(match.nodes.values())];
        if (options.dryRun) {
          changes.push({ rule: r.name, location: place.location, removed: matched.map((n) => n.name), added: [], ...(result.detail ? { detail: result.detail } : {}) });
          break;
        }
        const b = new Builder(scope, place.graph, { before: node });
        const replacements = r.rewrite(match, result.state, b, ctx);
        node.outputs.forEach((v, i) => replaceValue(v, replacements[i]!));
        const removed = removeUnused(place.graph, [...matched, ...constantChains(match)]);
        const change: Change = { rule: r.name, location: place.location, removed: removed.map((n) => n.name), added: b.created.map((n) => n.name), ...(result.detail ? { detail: result.detail } : {}) };
        changes.push(change);
        const computes = r.computes?.(result.state);
        if (computes && replacements[0]) probes.push({ change, graph: place.graph, input: computes.input, output: replacements[0], alpha: computes.alpha });
        // A rewrite keeps the types of the values it touches: only the new nodes need typing
        // (re-inferring the whole model after each rewrite is quadratic in its size).
        inferNodesOnValues(b.created, ctx.opset);
        break;
      }
    }
  }
  const nothingToDo = changes.length ? undefined : candidates.length ? `${candidates.length} candidate(s), none rewritten (see why above)` : `nothing matched ${rules.map((r) => r.name).join(', ')}`;
  return { changes, candidates, ...(options.dryRun ? {} : { probes }), ...(nothingToDo ? { nothingToDo } : {}) };
}


/** Ops that only shape or convert constants: their nodes feeding a match's variables may die with it. */
const PURE_CONSTANT_OPS = new Set(['Constant', 'Cast', 'CastLike', 'Shape', 'ConstantOfShape', 'Expand', 'Identity']);

function constantChains(match: Match): Node[] {
  const out: Node[] = [];
  const visit = (v: Value | undefined): void => {
    const n = v?.producer();
    if (!n || !PURE_CONSTANT_OPS.has(n.opType) || out.includes(n)) return;
    out.push(n);
    n.inputs.forEach(visit);
  };
  for (const v of match.values.values()) visit(v);
  return out;
}

/** Removes the matched nodes whose outputs nothing reads any more, last first; returns them. */
export function removeUnused(graph: Graph, nodes: readonly Node[]): Node[] {
  const removed: Node[] = [];
  let progress = true;
  const left = new Set(nodes);
  while (progress) {
    progress = false;
    for (const n of [...left]) {
      if (n.graph !== graph) {
        left.delete(n);
        continue;
      }
      if (n.outputs.some((v) => v.hasUses() || graph.outputs.includes(v))) continue;
      graph.remove(n);
      removed.push(n);
      left.delete(n);
      progress = true;
    }
  }
  return removed;
}
