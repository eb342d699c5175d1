/**
 * Appending a loss to a model: `mse` (mean of squared differences) or
 * `cross-entropy` (SoftmaxCrossEntropyLoss, mean) on one of its outputs,
 * with a new `labels` input of the right type and shape.
 */
import { TreluError } from '../errors.js';
import { onnx, DataType, type ValueInfoProto } from '../onnx/proto.js';
import type { Model } from '../graph/model.js';
import { Builder } from '../graph/builder.js';
import { Value } from '../graph/value.js';
import { attr } from '../graph/attributes.js';
import { inferTypes } from '../graph/infer.js';

export type LossFunction = 'mse' | 'cross-entropy';

/** Adds the loss; returns the loss value (a scalar). */
export function appendLoss(model: Model, fn: LossFunction, on: string): Value {
  const graph = model.graph;
  const out = graph.outputs.find((v) => v.name === on) ?? graph.nodes.flatMap((n) => n.outputs).find((v) => v.name === on);
  if (!out) throw new TreluError('E_USAGE', `no output or tensor named '${on}'`, { hint: `outputs: ${graph.outputs.map((v) => v.name).join(', ')}` });
  const info = inferTypes(model).get(out);
  const et = info?.elemType;
  if (et === undefined || ![DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16].includes(et)) throw new TreluError('E_USAGE', `'${on}' is not a float tensor`);
  const shape = info?.shape;
  const dims = (d: (number | string | undefined)[]) => d.map((x) => (typeof x === 'number' ? { dimValue: x } : typeof x === 'string' ? { dimParam: x } : {}));
  const labelsName = model.valueNames.unique('labels');
  let labelsInfo: ValueInfoProto;
  if (fn === 'mse') {
    labelsInfo = onnx.ValueInfoProto.create({ name: labelsName, type: { tensorType: { elemType: et, ...(shape ? { shape: { dim: dims(shape) as never } } : {}) } } }) as ValueInfoProto;
  } else {
    if (shape && shape.length !== 2) throw new TreluError('E_USAGE', `cross-entropy needs scores of shape [N, C]; '${on}' has rank ${shape.length}`);
    labelsInfo = onnx.ValueInfoProto.create({ name: labelsName, type: { tensorType: { elemType: DataType.INT64, shape: { dim: dims([shape?.[0]]) as never } } } }) as ValueInfoProto;
  }
  const labels = new Value(labelsName, { info: labelsInfo });
  graph.addInput(labels);
  const b = new Builder(model, graph);
  if (fn === 'mse') {
    const d = b.op('Sub', [out, labels], { name: 'mse_diff' });
    return b.op('ReduceMean', [b.op('Mul', [d, d], { name: 'mse_sq' })], { name: 'loss', attributes: [attr.int('keepdims', 0)] });
  }
  // As F.cross_entropy writes it: labels of -100 are ignored (zero gradient, out of the mean).
  return b.op('SoftmaxCrossEntropyLoss', [out, labels], { name: 'loss', attributes: { reduction: 'mean', ignore_index: -100 } });
}
