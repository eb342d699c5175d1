/**
 * Build-time folding of the backward pass's CastLike nodes. Rules write
 * CastLike(constant, x) to get a constant in x's element type whatever it is
 * (one-hot kernels, the seed 1, a mask's 0), but ORT runs each of them every
 * step (as a Cast, once it inlines the function). Where x's type is known at
 * build time the constant is written in that type instead, and a CastLike
 * whose input already has the target type is dropped:
 *
 *   Constant(1.0f) ─▶ CastLike(·, x: float16)   becomes   Constant(1.0 as float16)
 *   v: float ─▶ CastLike(·, x: float)            becomes   v
 */
import { replaceAllUsesWith } from '../graph/mutate.js';
import { attr } from '../graph/attributes.js';
import { Builder, type BuilderScope } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';
import { DataType } from '../onnx/proto.js';
import { isAiOnnxDomain } from '../onnx/domain.js';
import { makeTensor, type TensorData } from '../onnx/tensor.js';
import { numberToBfloat16, numberToFloat16 } from '../ops/float16.js';
import { constantOf } from '../rewrite/constants.js';

const ARRAYS: Record<number, (values: number[]) => TensorData> = {
  [DataType.FLOAT]: (v) => Float32Array.from(v),
  [DataType.DOUBLE]: (v) => Float64Array.from(v),
  [DataType.FLOAT16]: (v) => Uint16Array.from(v, numberToFloat16),
  [DataType.BFLOAT16]: (v) => Uint16Array.from(v, numberToBfloat16),
};

/** Folds the CastLike nodes among `nodes` (the backward pass's) that build-time types decide; returns how many. */
export function foldCastLikes(scope: BuilderScope, graph: Graph, nodes: readonly Node[], typeOf: (v: Value) => number | undefined): number {
  let folded = 0;
  const outputs = new Set(graph.outputs); // a Set: linear in the nodes (bench:graph's 10,000 layers)
  for (const node of nodes) {
    if (node.opType !== 'CastLike' || !isAiOnnxDomain(node.domain) || !node.inputs[0] || !node.inputs[1]) continue;
    const out = node.outputs[0]!;
    const target = typeOf(node.inputs[1]);
    if (target === undefined || outputs.has(out)) continue;
    let replacement: Value | undefined;
    if (typeOf(node.inputs[0]) === target) replacement = node.inputs[0];
    else {
      const c = constantOf(out, undefined, typeOf);
      const toArray = c && c.dataType === target ? ARRAYS[target] : undefined;
      if (c && toArray) {
        const tensor = makeTensor('', c.dims, toArray(c.values), target);
        replacement = new Builder(scope, graph, { before: node }).op('Constant', [], { name: node.name || 'grad_const', attributes: [attr.tensor('value', tensor)] });
      }
    }
    if (!replacement) continue;
    replaceAllUsesWith(out, replacement);
    folded++;
  }
  return folded;
}
