/** The gradient rules, as one plain list (no registry): what `buildGradient` uses unless given others. */
import type { GradRule } from '../rule.js';
import { thresholdedReluGrad } from './thresholded-relu.js';
import { reluGrad } from './relu.js';
import { leakyReluGrad } from './leaky-relu.js';
import { sigmoidGrad } from './sigmoid.js';
import { tanhGrad } from './tanh.js';
import { softmaxGrad } from './softmax.js';
import { logSoftmaxGrad } from './log-softmax.js';
import { addGrad } from './add.js';
import { subGrad } from './sub.js';
import { mulGrad } from './mul.js';
import { divGrad } from './div.js';
import { negGrad } from './neg.js';
import { expGrad } from './exp.js';
import { logGrad } from './log.js';
import { sqrtGrad } from './sqrt.js';
import { identityGrad } from './identity.js';
import { powGrad } from './pow.js';
import { reshapeGrad } from './reshape.js';
import { flattenGrad } from './flatten.js';
import { squeezeGrad } from './squeeze.js';
import { unsqueezeGrad } from './unsqueeze.js';
import { transposeGrad } from './transpose.js';
import { gemmGrad } from './gemm.js';
import { matmulGrad } from './matmul.js';
import { concatGrad } from './concat.js';
import { sliceGrad } from './slice.js';
import { gatherGrad } from './gather.js';
import { reduceSumGrad } from './reduce-sum.js';
import { reduceMeanGrad } from './reduce-mean.js';
import { convGrad } from './conv.js';
import { maxPoolGrad } from './max-pool.js';
export { maxPoolIndicesGrad } from './max-pool-indices.js';
import { averagePoolGrad } from './average-pool.js';
import { globalAveragePoolGrad } from './global-average-pool.js';
import { batchNormalizationGrad } from './batch-normalization.js';
import { dropoutGrad } from './dropout.js';
import { softmaxCrossEntropyLossGrad } from './softmax-cross-entropy-loss.js';
import { negativeLogLikelihoodLossGrad } from './negative-log-likelihood-loss.js';
import { clipGrad } from './clip.js';
import { absGrad } from './abs.js';
import { ELEMENTWISE_EXTRA } from './elementwise-extra.js';
import { splitGrad } from './split.js';
import { REDUCE_EXTRA } from './reduce-extra.js';
import { INDEX_OPS } from './index-ops.js';
import { erfGrad } from './erf.js';
import { geluGrad } from './gelu.js';
import { layerNormalizationGrad } from './layer-normalization.js';
import { einsumGrad } from './einsum.js';
import { convTransposeGrad } from './conv-transpose.js';
import { resizeGrad } from './resize.js';
import { sumGrad } from './sum.js';

export const GRADIENT_RULES: readonly GradRule[] = [
  thresholdedReluGrad, reluGrad, leakyReluGrad, sigmoidGrad, tanhGrad, softmaxGrad, logSoftmaxGrad,
  gemmGrad, matmulGrad, addGrad, subGrad, mulGrad, divGrad, negGrad, expGrad, logGrad, sqrtGrad, powGrad,
  reshapeGrad, flattenGrad, transposeGrad, squeezeGrad, unsqueezeGrad, concatGrad, sliceGrad, gatherGrad,
  reduceSumGrad, reduceMeanGrad, identityGrad, convGrad, maxPoolGrad, averagePoolGrad, globalAveragePoolGrad,
  batchNormalizationGrad, dropoutGrad, softmaxCrossEntropyLossGrad, negativeLogLikelihoodLossGrad,
  clipGrad, absGrad, splitGrad, ...ELEMENTWISE_EXTRA, ...REDUCE_EXTRA, ...INDEX_OPS, erfGrad, geluGrad, layerNormalizationGrad,
  convTransposeGrad, einsumGrad, resizeGrad, sumGrad,
];

/** `rules` with each of `overrides` in place of the rule for its op (appended if there is none). */
export function withRules(rules: readonly GradRule[], ...overrides: GradRule[]): GradRule[] {
  const byOp = new Map(overrides.map((r) => [r.opType, r]));
  const out = rules.map((r) => byOp.get(r.opType) ?? r);
  for (const r of overrides) if (!rules.some((x) => x.opType === r.opType)) out.push(r);
  return out;
}
