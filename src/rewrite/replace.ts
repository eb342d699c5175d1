/**
 * Replacing activations with ThresholdedRelu.
 *
 * - Relu → ThresholdedRelu(alpha = 0) is the same function except at NaN:
 *   ONNX Relu propagates NaN, ThresholdedRelu gives 0 (and -0 becomes +0).
 * - Any other alpha changes the function on purpose; the report says so.
 * - Other sources (LeakyRelu, Clip(0, +inf), ...) are replaced only when
 *   named in `from`, each with a warning of what changes.
 */
import { TreluError } from '../errors.js';
import { DataType } from '../onnx/proto.js';
import { dataTypeName } from '../onnx/dtypes.js';
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import { Builder } from '../graph/builder.js';
import { attr } from '../graph/attributes.js';
import { replaceValue } from '../graph/mutate.js';
import { inferTypes } from '../graph/infer.js';
import { graphPlaces } from '../graph/locations.js';
import { thresholdedRelu } from '../ops/thresholded-relu/definition.js';
import { resolveVersion } from '../ops/types.js';
import { constantOf, uniformValue } from './constants.js';
import type { Change, Candidate, RewriteReport } from './rule.js';

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

const FLOAT_TYPES = [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16];

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
  if (from.includes('Relu')) {
    warnings.push(alpha === 0
      ? 'Relu → ThresholdedRelu(alpha=0): identical except at NaN (Relu propagates NaN, ThresholdedRelu gives 0)'
      : `Relu → ThresholdedRelu(alpha=${alpha}) changes the function: inputs in (0, ${alpha}] now give 0 (alpha ≠ 0 is a different activation, on purpose)`);
  }
  for (const op of from) if (op !== 'Relu') warnings.push(`${op} → ThresholdedRelu(alpha=${alpha}) changes the function: ${REPLACEABLE_OPS[op]}`);

  const selected = (n: Node) => {
    if (!options.nodes) return true;
    return options.nodes instanceof RegExp ? options.nodes.test(n.name) : options.nodes.includes(n.name);
  };
  const types = inferTypes(model);
  const changes: Change[] = [];
  const candidates: Candidate[] = [];
  for (const place of graphPlaces(model)) {
    const imports = place.fn ? place.fn.opsetImports : model.opsetImports;
    const opset = imports.get('') ?? imports.get('ai.onnx');
    const version = opset === undefined ? undefined : resolveVersion(thresholdedRelu, opset);
    for (const node of place.graph.nodes) {
      if (!from.includes(node.opType) || (node.domain !== '' && node.domain !== 'ai.onnx') || !selected(node)) continue;
      const refuse = (reason: string) => candidates.push({ rule: 'replace', location: place.location, node: node.name, reason });
      const x = node.inputs[0];
      const et = x ? types.get(x)?.elemType : undefined;
      if (!x || node.outputs.length !== 1) { refuse('unexpected inputs/outputs'); continue; }
      if (et !== undefined && !FLOAT_TYPES.includes(et)) { refuse(`input is ${dataTypeName(et)}, ThresholdedRelu takes floats only`); continue; }
      if (version && !version.experimental && et !== undefined && !version.types.includes(et)) { refuse(`ThresholdedRelu-${version.sinceVersion} does not take ${dataTypeName(et)}`); continue; }
      if (node.opType === 'Clip' && !isClipAtZero(node, (v) => types.get(v)?.elemType)) { refuse('only Clip(x, 0, +inf) is a ReLU'); continue; }
      if (options.dryRun) {
        changes.push({ rule: 'replace', location: place.location, removed: [node.name], added: [], detail: `${node.opType} → ThresholdedRelu(alpha=${alpha})` });
        continue;
      }
      const scope = place.fn ?? model;
      const b = new Builder(scope, place.graph, { before: node });
      const y = b.op('ThresholdedRelu', [x], { attributes: [attr.float('alpha', alpha)], name: 'thresholded_relu', nodeName: node.name || undefined });
      replaceValue(node.outputs[0]!, y);
      place.graph.remove(node);
      changes.push({ rule: 'replace', location: place.location, removed: [node.name], added: b.created.map((n) => n.name), detail: `${node.opType} → ThresholdedRelu(alpha=${alpha})` });
    }
  }
  return { changes, candidates, warnings };
}

function isClipAtZero(node: Node, typeOf: (v: import('../graph/value.js').Value) => number | undefined): boolean {
  const minAttr = node.attribute('min');
  const maxAttr = node.attribute('max');
  if (minAttr || maxAttr) return !!minAttr && minAttr.f === 0 && !maxAttr; // Clip-6: attributes
  const min = node.inputs[1];
  const max = node.inputs[2];
  if (max) return false;
  const c = min ? constantOf(min, node.inputs[0], typeOf) : undefined;
  return !!c && Object.is(uniformValue(c), 0);
}
