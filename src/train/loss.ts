/**
 * Appending a loss to a model, on one of its outputs, with a new `labels`
 * input of the right type and shape, each as PyTorch defines it (mean):
 *   mse              mean((x - y)²)                                  y float, x's shape
 *   l1               mean(|x - y|)                                   y float
 *   bce-with-logits  mean(max(x, 0) - x y + log(1 + exp(-|x|)))      y float in [0, 1] (the stable form)
 *   cross-entropy    SoftmaxCrossEntropyLoss, ignore_index -100      y int64 [N, d..], x [N, C, d..]
 *   nll              NegativeLogLikelihoodLoss, ignore_index -100    x log-probabilities
 */
import { TreluError } from '../errors.js';
import { onnx, DataType, type ValueInfoProto } from '../onnx/proto.js';
import type { Model } from '../graph/model.js';
import { Builder } from '../graph/builder.js';
import { Value } from '../graph/value.js';
import { inferModel } from '../graph/infer/index.js';

export type LossFunction = 'mse' | 'l1' | 'bce-with-logits' | 'cross-entropy' | 'nll';
export const LOSS_FUNCTIONS: readonly LossFunction[] = ['mse', 'l1', 'bce-with-logits', 'cross-entropy', 'nll'];
const FLOAT_TARGET = new Set<LossFunction>(['mse', 'l1', 'bce-with-logits']);

/** Adds the loss; returns the loss value (a scalar). */
export function appendLoss(model: Model, fn: LossFunction, on: string): Value {
  const graph = model.graph;
  const out = graph.outputs.find((v) => v.name === on) ?? graph.nodes.flatMap((n) => n.outputs).find((v) => v.name === on);
  if (!out) throw new TreluError('E_USAGE', `no output or tensor named '${on}'`, { hint: `outputs: ${graph.outputs.map((v) => v.name).join(', ')}` });
  inferModel(model);
  const et = out.dtype;
  if (et === undefined || ![DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16].includes(et)) throw new TreluError('E_USAGE', `'${on}' is not a float tensor`);
  const shape = out.shapeInfo;
  const dims = (d: (number | string | undefined)[]) => d.map((x) => (typeof x === 'number' ? { dimValue: x } : typeof x === 'string' ? { dimParam: x } : {}));
  const labelsName = model.valueNames.unique('labels');
  let labelsInfo: ValueInfoProto;
  if (FLOAT_TARGET.has(fn)) {
    labelsInfo = onnx.ValueInfoProto.create({ name: labelsName, type: { tensorType: { elemType: et, ...(shape ? { shape: { dim: dims(shape) as never } } : {}) } } }) as ValueInfoProto;
  } else {
    if (shape && shape.length < 2) throw new TreluError('E_USAGE', `${fn} needs scores of shape [N, C, d..]; '${on}' has rank ${shape.length}`);
    const labelDims = shape ? [shape[0], ...shape.slice(2)] : [undefined];
    labelsInfo = onnx.ValueInfoProto.create({ name: labelsName, type: { tensorType: { elemType: DataType.INT64, ...(shape ? { shape: { dim: dims(labelDims) as never } } : {}) } } }) as ValueInfoProto;
  }
  const labels = new Value(labelsName, { info: labelsInfo });
  graph.addInput(labels);
  const b = new Builder(model, graph);
  const mean = (v: Value) => b.op('ReduceMean', [v], { name: 'loss', attributes: { keepdims: 0 } });
  switch (fn) {
    case 'mse': {
      const d = b.op('Sub', [out, labels], { name: 'mse_diff' });
      return mean(b.op('Mul', [d, d], { name: 'mse_sq' }));
    }
    case 'l1':
      return mean(b.op('Abs', [b.op('Sub', [out, labels], { name: 'l1_diff' })], { name: 'l1_abs' }));
    case 'bce-with-logits': {
      const soft = b.op('Log', [b.op('Add', [b.op('Exp', [b.op('Neg', [b.op('Abs', [out], { name: 'bce_abs' })], { name: 'bce_neg' })], { name: 'bce_exp' }), b.op('CastLike', [b.op('Constant', [], { name: 'bce_one', attributes: { value_float: 1 } }), out], { name: 'bce_one' })], { name: 'bce_1p' })], { name: 'bce_log1p' });
      const terms = b.op('Add', [b.op('Sub', [b.op('Relu', [out], { name: 'bce_relu' }), b.op('Mul', [out, labels], { name: 'bce_xy' })], { name: 'bce_lin' }), soft], { name: 'bce_terms' });
      return mean(terms);
    }
    case 'cross-entropy':
      // As F.cross_entropy writes it: labels of -100 are ignored (zero gradient, out of the mean).
      return b.op('SoftmaxCrossEntropyLoss', [out, labels], { name: 'loss', attributes: { reduction: 'mean', ignore_index: -100 } });
    case 'nll':
      return b.op('NegativeLogLikelihoodLoss', [out, labels], { name: 'loss', attributes: { reduction: 'mean', ignore_index: -100 } });
  }
}
