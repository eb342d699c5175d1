/**
 * Training and inference modes of the ops that have both, as torch's
 * `model.train()` / `model.eval()` switch them: every BatchNormalization and
 * Dropout of the main graph is lowered to its training form for the train
 * step, and set to inference mode for eval.onnx, whatever mode the model was
 * exported in.
 */
import type { Model } from '../../graph/model.js';
import type { Value } from '../../graph/value.js';
import { Builder } from '../../graph/builder.js';
import { replaceAllUsesWith } from '../../graph/mutate.js';
import { inferModel } from '../../graph/infer/index.js';
import { lowerBatchNormTraining, type LoweredBatchNorm } from './batch-norm-training.js';
import { lowerDropoutTraining, type LoweredDropout } from './dropout-training.js';
import { isAiOnnxDomain } from '../../onnx/domain.js';

export interface TrainingModeReport {
  batchNorms: LoweredBatchNorm[];
  dropouts: LoweredDropout[];
}

export function toTrainingMode(model: Model): TrainingModeReport {
  inferModel(model);
  const info = (v: Value) => ({ elemType: v.dtype, shape: v.shapeInfo });
  const batchNorms: LoweredBatchNorm[] = [];
  const dropouts: LoweredDropout[] = [];
  for (const node of [...model.graph.nodes]) {
    if (!isAiOnnxDomain(node.domain)) continue;
    if (node.opType === 'BatchNormalization') batchNorms.push(lowerBatchNormTraining(model, node, info));
    else if (node.opType === 'Dropout') dropouts.push(lowerDropoutTraining(model, node, info));
  }
  return { batchNorms, dropouts };
}

/** BatchNormalization with its running statistics and Dropout as the identity. Returns the number of nodes changed. */
export function toInferenceMode(model: Model): number {
  const graph = model.graph;
  let changed = 0;
  for (const node of [...graph.nodes]) {
    if (!isAiOnnxDomain(node.domain)) continue;
    const training = node.opType === 'BatchNormalization' ? node.attrs.int('training_mode', 0) === 1 || node.outputs.length > 1
      : node.opType === 'Dropout' ? !!node.inputs[2] || node.outputs.length > 1 || node.attrs.int('is_test', 1) === 0 : false;
    if (node.opType !== 'Dropout' && !training) continue;
    const b = new Builder(model, graph, { before: node });
    const y = node.opType === 'Dropout'
      ? b.op('Identity', [node.inputs[0]], { name: 'dropout_eval' })
      : b.op('BatchNormalization', node.inputs.slice(0, 5), { name: 'bn_eval', attributes: { epsilon: node.attrs.float('epsilon', 1e-5), momentum: node.attrs.float('momentum', 0.9) } });
    replaceAllUsesWith(node.outputs[0]!, y, { graphOutputs: true });
    graph.outputs = graph.outputs.filter((o) => !node.outputs.includes(o));
    graph.remove(node, { safe: false });
    changed++;
  }
  return changed;
}
