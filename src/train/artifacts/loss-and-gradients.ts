/**
 * The part of a training step every artifact format shares: forward pass
 * (BatchNormalization and Dropout in training mode), loss, and the gradient
 * of every trainable parameter, with the parameters and running statistics
 * as graph inputs. `buildTrainingArtifacts` adds the optimizer update to it;
 * ORT's own artifact format (src/train/ort) can add its own.
 *
 *   inputs:  data…, labels, <dropout>.mask…, params…, buffers…
 *   values:  loss, accuracy (cross-entropy), <param>_grad…, each buffer's update
 */
import { isArithmeticFloat } from '../../onnx/dtypes.js';
import { TreluError } from '../../errors.js';
import { DataType, type TensorProto } from '../../onnx/proto.js';
import type { Model } from '../../graph/model.js';
import type { Value } from '../../graph/value.js';
import { Builder } from '../../graph/builder.js';
import { buildGradient, initializersToInputs, type GradientReport } from '../autodiff.js';
import type { LossFunction } from '../loss.js';
import type { GradRule } from '../rule.js';
import { toTrainingMode } from './modes.js';
import { parameterInitializers } from '../parameters.js';
import { GRADIENT_RULES } from '../rules/index.js';
import type { LoweredDropout } from './dropout-training.js';
import { nameSelector, unknownNames } from './names.js';

export interface LossOptions {
  /** An existing scalar output to minimize. */
  loss?: string;
  /** Or append this loss on output `on`. */
  lossFn?: LossFunction;
  on?: string;
}

export interface LossAndGradientsOptions extends LossOptions {
  /** Parameters to train: names (or `/regex/`); default every float initializer that is a weight. */
  wrt?: readonly string[];
  /** Parameters to keep fixed: names or `/regex/`. */
  freeze?: readonly string[];
  rules?: readonly GradRule[];
}

export interface TrainableParam {
  name: string;
  /** The graph input holding the current value. */
  value: Value;
  /** The gradient of the loss (zeros where the parameter does not reach it). */
  grad: Value;
  connected: boolean;
  /** The initial value (from the model). */
  tensor: TensorProto;
}

export interface Buffer {
  /** A running statistic (BatchNormalization's running mean or variance): an input, and its update. */
  name: string;
  value: Value;
  next: Value;
  tensor: TensorProto;
  of: string;
}

export interface LossAndGradients {
  report: GradientReport;
  loss: Value;
  /** Mean of ArgMax(scores) == labels, for cross-entropy. */
  accuracy?: Value;
  /** The original outputs, kept. */
  outputs: Value[];
  dataInputs: Value[];
  labels?: Value;
  params: TrainableParam[];
  frozen: string[];
  buffers: Buffer[];
  dropouts: LoweredDropout[];
}


/** Mutates `model` into the loss-and-gradients graph (its outputs are set: loss, accuracy?, gradients, buffer updates, original outputs). */
export function buildLossAndGradients(model: Model, options: LossAndGradientsOptions): LossAndGradients {
  const graph = model.graph;
  const dataInputs = graph.inputs.filter((v) => !v.initializer);
  const originalOutputs = [...graph.outputs];
  const modes = toTrainingMode(model);
  const bufferValues = new Set(modes.batchNorms.flatMap((bn) => [bn.runningMean, bn.runningVar]));
  for (const v of bufferValues) if (!v.initializer) throw new TreluError('E_UNSUPPORTED', `BatchNormalization running statistic '${v.name}' is not an initializer; cannot train it`);
  // Candidates: the weights as `wrt: 'params'` selects them (parameters.ts: read where a gradient
  // flows, not only as a statistic, a bound, a shape or Resize's scales; not empty), of rank >= 1
  // (scalars are constants in exported models), and not running statistics.
  const floatInits = graph.initializers.filter((v) => isArithmeticFloat(v.initializer!.dataType));
  const weights = new Set(parameterInitializers(graph, options.rules ?? GRADIENT_RULES));
  const candidates = floatInits.filter((v) => !bufferValues.has(v) && v.initializer!.dims.length > 0 && weights.has(v));
  const names = candidates.map((v) => v.name);
  for (const list of [options.wrt ?? [], options.freeze ?? []]) {
    const unknown = unknownNames(list, floatInits.map((v) => v.name));
    if (unknown.length) throw new TreluError('E_USAGE', `no float initializer named ${unknown.map((n) => `'${n}'`).join(', ')}`, { hint: `parameters: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}` });
  }
  const wanted = options.wrt?.length ? nameSelector(options.wrt) : () => true;
  const frozenSel = nameSelector(options.freeze ?? []);
  const trainable = (options.wrt?.length ? floatInits.filter((v) => !bufferValues.has(v)) : candidates).filter((v) => wanted(v.name) && !frozenSel(v.name));
  const frozen = candidates.filter((v) => !trainable.includes(v)).map((v) => v.name);
  if (trainable.length === 0) throw new TreluError('E_USAGE', 'nothing to train: every parameter is frozen or none matches', { hint: `parameters: ${names.join(', ')}` });
  for (const v of trainable) if (v.initializer!.dataType !== DataType.FLOAT) throw new TreluError('E_UNSUPPORTED', `parameter '${v.name}' is not float32; only float32 parameters are trained`);

  const tensors = new Map(trainable.map((v) => [v.name, v.initializer!]));
  const bufferTensors = new Map([...bufferValues].map((v) => [v, v.initializer!]));
  const scores = options.lossFn ? originalOutputs.find((v) => v.name === options.on) ?? graph.nodes.flatMap((n) => n.outputs).find((v) => v.name === options.on) : undefined;
  // The running-statistic updates are outputs, so buildGradient keeps them (keepOutputs).
  graph.outputs.push(...modes.batchNorms.flatMap((bn) => [bn.newMean, bn.newVar]));
  const inputsBefore = new Set(graph.inputs);
  const report = buildGradient(model, { loss: options.loss, lossFn: options.lossFn, on: options.on, wrt: trainable.map((v) => v.name), keepOutputs: true, rules: options.rules });
  const labels = graph.inputs.find((v) => !inputsBefore.has(v) && !tensors.has(v.name));
  const byName = new Map(graph.outputs.map((v) => [v.name, v]));
  const params: TrainableParam[] = report.gradients.map((g) => ({
    name: g.tensor,
    value: graph.inputs.find((v) => v.name === g.tensor)!,
    grad: byName.get(g.gradient)!,
    connected: g.connected,
    tensor: tensors.get(g.tensor)!,
  }));
  initializersToInputs(model, [...bufferValues]);
  const buffers: Buffer[] = modes.batchNorms.flatMap((bn) => [
    { name: bn.runningMean.name, value: bn.runningMean, next: bn.newMean, tensor: bufferTensors.get(bn.runningMean)!, of: bn.node },
    { name: bn.runningVar.name, value: bn.runningVar, next: bn.newVar, tensor: bufferTensors.get(bn.runningVar)!, of: bn.node },
  ]);
  const loss = graph.outputs[0]!;
  let accuracy: Value | undefined;
  if (options.lossFn === 'cross-entropy' && scores && labels) accuracy = appendAccuracy(model, scores, labels);
  const outputs = originalOutputs.filter((v) => graph.outputs.includes(v));
  graph.outputs = [loss, ...(accuracy ? [accuracy] : []), ...params.map((p) => p.grad), ...buffers.map((b) => b.next), ...outputs];
  return { report, loss, accuracy, outputs, dataInputs, labels, params, frozen, buffers, dropouts: modes.dropouts };
}

/** ReduceMean(Cast(Equal(ArgMax(scores, axis 1), labels))). */
export function appendAccuracy(model: Model, scores: Value, labels: Value): Value {
  const b = new Builder(model, model.graph);
  const predicted = b.op('ArgMax', [scores], { name: 'predicted', attributes: { axis: 1, keepdims: 0 } });
  const hit = b.op('Cast', [b.op('Equal', [predicted, labels], { name: 'correct' })], { name: 'correct_f', attributes: { to: DataType.FLOAT } });
  return b.op('ReduceMean', [hit], { name: 'accuracy', attributes: { keepdims: 0 } });
}
