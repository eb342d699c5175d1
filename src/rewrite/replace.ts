/**
 * Replacing activations with ThresholdedRelu, as a rewrite rule run by
 * applyRules (one driver for every rewrite: places, opsets, dry run, report).
 *
 * - Relu → ThresholdedRelu(alpha = 0) is the same function except at NaN:
 *   ONNX Relu propagates NaN, ThresholdedRelu gives 0 (and -0 becomes +0).
 * - Any other alpha changes the function on purpose; the report says so.
 * - Other sources (LeakyRelu, Clip(0, +inf), ...) are replaced only when
 *   named in `from`, each with a warning of what changes.
 */
import { TreluError } from '../errors.js';
import { DataType } from '../onnx/proto.js';
import { dataTypeName, isArithmeticFloat } from '../onnx/dtypes.js';
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';
import { attr } from '../graph/attributes.js';
import { thresholdedReluOp } from '../ops/thresholded-relu/definition.js';
import { resolveVersion } from '../ops/types.js';
import { constantOf, uniformValue } from './constants.js';
import { formatFloat32 } from './format.js';
import { applyRules, rule, type RewriteReport, type RewriteRule } from './rule.js';
import { isAiOnnxDomain } from '../onnx/domain.js';

export interface ReplaceOptions {
  /** Op types to replace, e.g. ['Relu'] (the default). */
  from?: readonly string[];
  /** alpha for the new nodes; default 0. */
  alpha?: number;
  /** Only nodes whose name is listed, or matches the RegExp. */
  nodes?: readonly string[] | RegExp;
  dryRun?: boolean;
}

export const REPLACEABLE_OPS: Readonly<Record<string, string>> = {
  Relu: 'max(0, x)',
  LeakyRelu: 'x if x >= 0 else alpha * x: negative inputs now give 0 instead of alpha * x',
  Clip: 'Clip(x, 0, +inf) = max(0, x): only a Clip with min 0 and no max is replaced',
  Elu: 'x if x > 0 else alpha * (exp(x) - 1): negative inputs now give 0',
  Selu: 'gamma * (x if x > 0 else alpha * (exp(x) - 1)): the gamma scaling and the negative branch are lost',
  Celu: 'max(0, x) + min(0, alpha * (exp(x / alpha) - 1)): negative inputs now give 0',
  Gelu: 'x * Phi(x): negative inputs now give 0 and positive ones lose the Phi factor',
  Softplus: 'log(1 + exp(x)): a smooth function becomes a hard threshold',
};


/** What Relu → ThresholdedRelu(alpha) changes, in words (alpha as the float32 the attribute holds). */
export function reluAlphaWarning(alpha: number): string {
  const a = formatFloat32(alpha);
  if (alpha === 0) return 'Relu → ThresholdedRelu(alpha=0): identical except at NaN (Relu propagates NaN, ThresholdedRelu gives 0)';
  if (alpha > 0) return `Relu → ThresholdedRelu(alpha=${a}) changes the function: inputs in (0, ${a}] now give 0 (alpha ≠ 0 is a different activation, on purpose)`;
  return `Relu → ThresholdedRelu(alpha=${a}) changes the function: inputs in (${a}, 0] now pass through unchanged instead of giving 0 (alpha ≠ 0 is a different activation, on purpose)`;
}

interface State {
  x: Value;
}

/** The replace rule for these options: a root is a node of a `from` type (any inputs) that `nodes` selects. */
export function replaceRule(options: ReplaceOptions = {}): RewriteRule<State> {
  const from = options.from ?? ['Relu'];
  const alpha = options.alpha ?? 0;
  const selected = (n: Node) => !options.nodes || (options.nodes instanceof RegExp ? options.nodes.test(n.name) : options.nodes.includes(n.name));
  const detail = (n: Node) => `${n.opType} → ThresholdedRelu(alpha=${formatFloat32(alpha)})`;
  return rule<State>({
    name: 'replace',
    description: `${from.join(', ')} → ThresholdedRelu(alpha=${formatFloat32(alpha)})`,
    patterns: [],
    matchRoot(node) {
      if (!from.includes(node.opType) || !isAiOnnxDomain(node.domain) || !selected(node)) return undefined;
      return { root: node, values: new Map(node.inputs[0] ? [['X', node.inputs[0]]] : []), nodes: new Map([['root', node]]) };
    },
    check(match, ctx) {
      const node = match.root;
      const x = match.values.get('X');
      if (!x || node.outputs.length !== 1) return { ok: false, reason: 'unexpected inputs/outputs', candidate: true };
      const et = x.dtype;
      const version = ctx.opset === undefined ? undefined : resolveVersion(thresholdedReluOp, ctx.opset);
      if (et !== undefined && !isArithmeticFloat(et)) return { ok: false, reason: `input is ${dataTypeName(et)}, ThresholdedRelu takes floats only`, candidate: true };
      if (version && !version.experimental && et !== undefined && !version.types.includes(et)) return { ok: false, reason: `ThresholdedRelu-${version.sinceVersion} does not take ${dataTypeName(et)}`, candidate: true };
      if (node.opType === 'Clip' && !isClipAtZero(node)) return { ok: false, reason: 'only Clip(x, 0, +inf) is a ReLU (this Clip has a max, or a min other than 0)', candidate: true };
      return { ok: true, state: { x }, detail: detail(node) };
    },
    rewrite(match, s, b) {
      return [b.op('ThresholdedRelu', [s.x], { attributes: [attr.float('alpha', alpha)], name: 'thresholded_relu', nodeName: match.root.name || undefined })];
    },
    computes: (s) => ({ input: s.x, alpha: Math.fround(alpha) }),
  });
}

export function replaceActivations(model: Model, options: ReplaceOptions = {}): RewriteReport & { warnings: string[] } {
  const from = options.from ?? ['Relu'];
  for (const op of from) {
    if (!Object.hasOwn(REPLACEABLE_OPS, op)) {
      throw new TreluError('E_USAGE', `cannot replace '${op}' with ThresholdedRelu`, { hint: `supported: ${Object.keys(REPLACEABLE_OPS).join(', ')}` });
    }
  }
  const alpha = options.alpha ?? 0;
  if (!Number.isFinite(alpha)) throw new TreluError('E_USAGE', `alpha ${alpha} is not finite`);
  const warnings: string[] = [];
  if (from.includes('Relu')) warnings.push(reluAlphaWarning(alpha));
  for (const op of from) if (op !== 'Relu') warnings.push(`${op} → ThresholdedRelu(alpha=${formatFloat32(alpha)}) changes the function: ${REPLACEABLE_OPS[op]}`);
  const report = applyRules(model, [replaceRule(options)], { dryRun: options.dryRun });
  if (report.changes.length === 0) report.nothingToDo = nothingToReplace(model, from, options.nodes);
  return { ...report, warnings };
}

/** Why a replace found nothing, naming what it looked for and what there is. */
function nothingToReplace(model: Model, from: readonly string[], nodes: ReplaceOptions['nodes']): string {
  const all = [...model.allGraphs()].flatMap(({ graph }) => graph.nodes);
  const ofType = all.filter((n) => from.includes(n.opType) && isAiOnnxDomain(n.domain));
  if (ofType.length === 0) {
    const present = Object.keys(REPLACEABLE_OPS).filter((op) => all.some((n) => n.opType === op));
    const clip = present.includes('Clip') ? '; only a Clip(x, 0, +inf) is a ReLU' : '';
    return `the model has no ${from.join('/')} node${present.length ? ` (it has ${present.join(', ')}: try --from ${present.join(',')}${clip})` : ''}`;
  }
  if (nodes) {
    const names = ofType.map((n) => n.name || '<unnamed>');
    return `--nodes ${nodes instanceof RegExp ? String(nodes) : nodes.join(',')} selects none of the ${ofType.length} ${from.join('/')} node(s): ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}`;
  }
  return `every ${from.join('/')} node was refused (see the candidates)`;
}

function isClipAtZero(node: Node): boolean {
  const minAttr = node.attribute('min');
  const maxAttr = node.attribute('max');
  if (minAttr || maxAttr) return !!minAttr && minAttr.f === 0 && !maxAttr; // Clip-6: attributes
  const min = node.inputs[1];
  const max = node.inputs[2];
  if (max) return false;
  const c = min ? constantOf(min, node.inputs[0], (v) => v.dtype) : undefined;
  return !!c && Object.is(uniformValue(c), 0);
}
