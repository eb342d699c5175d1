/**
 * The four artifacts of ORT's on-device training, laid out as ORT's Python
 * generator (orttraining/python/training/artifacts.py) lays them out, with
 * our own gradient graph (buildGradient) in place of ORT's gradient builder,
 * which has no rule for ThresholdedRelu.
 *
 * training_model.onnx
 *   inputs:  user inputs (and the loss's labels), then every parameter
 *            (trainable and frozen, in initializer order), then one
 *            `<param>_grad.accumulation.buffer` per trainable parameter, then
 *            `lazy_reset_grad` (bool[1])
 *   nodes:   forward + loss + backward, and per trainable parameter
 *            com.microsoft.InPlaceAccumulatorV2(buffer, <param>_grad, lazy_reset_grad)
 *   outputs: the loss (then the model's outputs, if kept), then one
 *            `<param>_grad.accumulation.out` (bool[1]) per trainable parameter
 *   ORT's Module sorts the inputs by name (a checkpoint parameter, a name
 *   ending in `_grad.accumulation.buffer`, `lazy_reset_grad`, or a user
 *   input) and hides outputs ending in `_grad.accumulation.out`.
 * eval_model.onnx: forward + loss, parameters as inputs, BatchNormalization
 *   and Dropout in inference mode (as _disable_training_mode does).
 * optimizer_model.onnx: see optimizer-model.ts.
 * checkpoint: see checkpoint.ts; optimizer group "group0" starts at step 0
 *   with zero moments.
 */
import { TreluError } from '../../errors.js';
import { onnx, DataType, type ModelProto, type ValueInfoProto } from '../../onnx/proto.js';
import type { Model } from '../../graph/model.js';
import { Value } from '../../graph/value.js';
import { attr } from '../../graph/attributes.js';
import { Builder } from '../../graph/builder.js';
import { modelFromProto } from '../../graph/from-proto.js';
import { modelToProto } from '../../graph/to-proto.js';
import { buildGradient, initializersToInputs, type GradientReport } from '../autodiff.js';
import { parameterInitializers } from '../parameters.js';
import { GRADIENT_RULES } from '../rules/index.js';
import { appendLoss, type LossFunction } from '../loss.js';
import type { GradRule } from '../rule.js';
import { buildOptimizerModel, momentumKeys, type OptimizerSpec } from './optimizer-model.js';
import { ORT_CHECKPOINT_VERSION, OPTIMIZER_GROUP, emptyProperties, writeOrtCheckpoint, type OrtCheckpoint, type PropertyBagState } from './checkpoint.js';
import { checkpointTensorFromProto, zerosLike } from './tensors.js';
import { isAiOnnxDomain } from '../../onnx/domain.js';

export const LAZY_RESET_GRAD = 'lazy_reset_grad';
export const gradBufferName = (param: string) => `${param}_grad.accumulation.buffer`;
export const gradAccumulatedName = (param: string) => `${param}_grad.accumulation.out`;

export interface OrtArtifactsOptions {
  /** An existing scalar output to minimize, or `lossFn` + `on` to append one (as in buildGradient). */
  loss?: string;
  lossFn?: LossFunction;
  on?: string;
  /**
   * Parameters to train: initializer names, or 'params' (the default): buildGradient's
   * `params`, the weights as torch's parameters() has them (not BatchNormalization's running
   * statistics or Clip's bounds, which stay constants of the models).
   */
  requiresGrad?: readonly string[] | 'params';
  /** Initializers that become checkpoint parameters without a gradient (ORT's frozen_params). */
  frozen?: readonly string[];
  optimizer: OptimizerSpec;
  /** InplaceClipGradNorm before the optimizer. */
  clipGradNorm?: number;
  /**
   * Make the optimizer model train at optimizer.learningRate when ORT feeds its
   * default 0.001 (onnxruntime-web has no way to set the rate; see optimizer-model.ts).
   */
  scaleLearningRate?: boolean;
  /** Keep the model's own outputs after the loss in the training and eval models. */
  keepOutputs?: boolean;
  properties?: Partial<PropertyBagState>;
  rules?: readonly GradRule[];
}

export interface OrtArtifacts {
  trainingModel: ModelProto;
  evalModel: ModelProto;
  optimizerModel: ModelProto;
  checkpoint: OrtCheckpoint;
  /** writeOrtCheckpoint(checkpoint) */
  checkpointBytes: Uint8Array;
  report: {
    loss: string;
    trainable: string[];
    frozen: string[];
    userInputs: string[];
    gradient: Omit<GradientReport, 'parameters'>;
  };
}

const boolInfo = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DataType.BOOL, shape: { dim: [{ dimValue: 1 }] as never } } } }) as ValueInfoProto;

/** Builds the four artifacts from a forward model. `model` itself is not changed. */
export function buildOrtArtifacts(model: Model, options: OrtArtifactsOptions): OrtArtifacts {
  const source = modelToProto(model);
  const train = modelFromProto(source);
  const initializerNames = train.graph.initializers.map((v) => v.name);
  const frozen = [...(options.frozen ?? [])];
  for (const n of frozen) if (!initializerNames.includes(n)) throw new TreluError('E_USAGE', `frozen parameter '${n}' is not an initializer of the model`);
  const requested = options.requiresGrad ?? 'params';
  const trainable = requested === 'params'
    ? parameterInitializers(train.graph, options.rules ?? GRADIENT_RULES).filter((v) => !frozen.includes(v.name)).map((v) => v.name)
    : [...requested];
  for (const n of trainable) {
    if (!initializerNames.includes(n)) throw new TreluError('E_USAGE', `parameter '${n}' is not an initializer of the model`, { hint: 'ORT keeps trainable parameters in the checkpoint; name initializers' });
    if (frozen.includes(n)) throw new TreluError('E_USAGE', `parameter '${n}' is both trainable and frozen`);
  }
  if (!trainable.length) throw new TreluError('E_USAGE', 'nothing to train: no float initializers', { hint: 'name parameters with requiresGrad' });
  const initial = new Map(train.graph.initializers.map((v) => [v.name, v.initializer!]));

  // --- training model
  const grad = buildGradient(train, { loss: options.loss, lossFn: options.lossFn, on: options.on, wrt: trainable, keepOutputs: options.keepOutputs, rules: options.rules });
  const g = train.graph;
  const byName = (name: string) => g.inputs.find((v) => v.name === name) ?? g.initializers.find((v) => v.name === name);
  initializersToInputs(train, frozen.map((n) => byName(n)!));
  const lossValue = g.outputs[0]!;
  const gradOutputs = new Map<string, Value>();
  for (const r of grad.gradients) {
    const out = g.outputs.find((v) => v.name === r.gradient)!;
    if (r.gradient !== `${r.tensor}_grad`) throw new TreluError('E_GRAPH', `the gradient of '${r.tensor}' came out as '${r.gradient}': the model already has a tensor named '${r.tensor}_grad', which ORT's naming convention needs`);
    gradOutputs.set(r.tensor, out);
  }
  const kept = g.outputs.filter((v) => v !== lossValue && ![...gradOutputs.values()].includes(v));
  const params = [...trainable, ...frozen].sort((a, b) => initializerNames.indexOf(a) - initializerNames.indexOf(b));
  const paramValues = params.map((n) => g.inputs.find((v) => v.name === n)!);
  const userInputs = g.inputs.filter((v) => !params.includes(v.name));
  const b = new Builder(train, g);
  const buffers: Value[] = [];
  const accumulated: Value[] = [];
  const reset = newInput(train, LAZY_RESET_GRAD, boolInfo(LAZY_RESET_GRAD));
  trainable.forEach((p, idx) => {
    const gradient = gradOutputs.get(p)!;
    const info = onnx.ValueInfoProto.create({ ...gradient.info, name: gradBufferName(p) }) as ValueInfoProto;
    const buffer = newInput(train, gradBufferName(p), info);
    buffers.push(buffer);
    const out = b.op('InPlaceAccumulatorV2', [buffer, gradient, reset], { domain: 'com.microsoft', name: `GradientAccumulator${idx}`, outputNames: [gradAccumulatedName(p)], nodeName: `GradientAccumulator${idx}` });
    out.info = boolInfo(gradAccumulatedName(p));
    accumulated.push(out);
  });
  g.inputs = [...userInputs, ...paramValues, ...buffers, reset];
  g.outputs = [lossValue, ...kept, ...accumulated];
  train.opsetImports.set('com.microsoft', 1);

  // --- eval model: forward + loss, parameters as inputs, inference mode
  const evalModel = modelFromProto(source);
  const eg = evalModel.graph;
  let evalLoss: Value | undefined;
  if (options.lossFn) evalLoss = appendLoss(evalModel, options.lossFn, options.on!);
  else evalLoss = [...eg.outputs, ...eg.nodes.flatMap((n) => n.outputs)].find((v) => v.name === lossValue.name);
  if (!evalLoss) throw new TreluError('E_GRAPH', `the eval model has no tensor '${lossValue.name}'`);
  const evalKept = options.keepOutputs ? eg.outputs.filter((v) => v !== evalLoss) : [];
  eg.outputs = [evalLoss, ...evalKept];
  initializersToInputs(evalModel, params.map((n) => eg.initializers.find((v) => v.name === n)!));
  const evalParams = params.map((n) => eg.inputs.find((v) => v.name === n)!);
  eg.inputs = [...eg.inputs.filter((v) => !params.includes(v.name)), ...evalParams];
  disableTrainingMode(evalModel);

  // --- optimizer model and checkpoint
  const paramTypes = new Set(trainable.map((n) => initial.get(n)!.dataType));
  if (paramTypes.size > 1) throw new TreluError('E_UNSUPPORTED', 'trainable parameters of different element types: ORT\'s optimizers take one sequence of one type');
  const optimizerModel = buildOptimizerModel(options.optimizer, { clipGradNorm: options.clipGradNorm, elemType: [...paramTypes][0], scaleLearningRate: options.scaleLearningRate });
  const trainableTensors = trainable.map((n) => checkpointTensorFromProto(initial.get(n)!, n));
  const checkpoint: OrtCheckpoint = {
    version: ORT_CHECKPOINT_VERSION,
    trainable: trainableTensors,
    frozen: frozen.map((n) => checkpointTensorFromProto(initial.get(n)!, n)),
    isNominalState: false,
    optimizerGroups: [{
      name: OPTIMIZER_GROUP,
      step: 0,
      initialLearningRate: options.optimizer.learningRate,
      parameters: trainableTensors.map((t) => ({ name: t.name, momentums: momentumKeys(options.optimizer).map((k) => zerosLike(t, k)) })),
    }],
    properties: { ...emptyProperties(), ...options.properties },
  };
  const { parameters: _p, ...gradientSummary } = grad;
  return {
    trainingModel: modelToProto(train),
    evalModel: modelToProto(evalModel),
    optimizerModel,
    checkpoint,
    checkpointBytes: writeOrtCheckpoint(checkpoint),
    report: { loss: lossValue.name, trainable, frozen, userInputs: userInputs.map((v) => v.name), gradient: gradientSummary },
  };
}

function newInput(model: Model, name: string, info: ValueInfoProto): Value {
  if (model.valueNames.has(name)) throw new TreluError('E_GRAPH', `the model already has a tensor named '${name}', which ORT's training runtime reserves`);
  model.valueNames.register(name);
  const v = new Value(name, { info });
  model.graph.addInput(v);
  return v;
}

/** What ORT's _disable_training_mode does to the eval model. */
function disableTrainingMode(model: Model): void {
  for (const n of model.graph.nodes) {
    if (!isAiOnnxDomain(n.domain)) continue;
    if (n.opType === 'Dropout' && n.inputs.length > 2) n.replaceInput(2, undefined);
    if (n.opType === 'BatchNormalization' && n.attrs.has('training_mode')) n.setAttribute(attr.int('training_mode', 0));
  }
}
