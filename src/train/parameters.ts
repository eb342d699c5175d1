/**
 * What `wrt: 'params'` selects: the model's weights, as PyTorch's
 * `parameters()` has them. A float initializer is a parameter where a
 * gradient can flow into it: not empty (the empty roi/scales tf2onnx gives
 * Resize), and read by some node at a differentiable input that its rule
 * does not declare a setting or a statistic (`GradRule.nonParameterInputs`:
 * BatchNormalization's running mean and var are torch buffers, Clip's bounds
 * are ReLU6's constants). Reads through Identity (the exporter's aliases)
 * count as the reads of the alias.
 *
 *   Conv(x, W, B) ─▶ BatchNormalization(·, scale, bias, mean, var) ─▶ Clip(·, 0, 6)
 *   params: W, B, scale, bias        (not mean, var, 0, 6; --wrt mean still differentiates it)
 */
import type { Graph } from '../graph/graph.js';
import type { Value } from '../graph/value.js';
import { isAiOnnxDomain } from '../onnx/domain.js';
import type { GradRule } from './rule.js';
import { differentiableInput, FLOAT_TYPES } from './path.js';

/** The initializers of `graph` that `wrt: 'params'` differentiates, in initializer order. */
export function parameterInitializers(graph: Graph, rules: readonly GradRule[]): Value[] {
  const notParameter = new Map(rules.filter((r) => r.nonParameterInputs?.length).map((r) => [r.opType, new Set(r.nonParameterInputs)]));
  const readAsWeight = (v: Value, depth: number): boolean => v.uses().some(({ node, index }) => {
    if (!differentiableInput(node, index)) return false;
    if (!isAiOnnxDomain(node.domain)) return true;
    const alias = node.opType === 'Identity' ? node.outputs[0] : undefined;
    if (alias?.uses().length && depth < 64) return readAsWeight(alias, depth + 1);
    return !notParameter.get(node.opType)?.has(index);
  });
  return graph.initializers.filter((v) => FLOAT_TYPES.includes(v.initializer!.dataType) && v.initializer!.dims.every((d) => Number(d) > 0) && readAsWeight(v, 0));
}
