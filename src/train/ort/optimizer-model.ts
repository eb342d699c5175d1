/**
 * optimizer_model.onnx for ORT's training runtime: one com.microsoft
 * optimizer node over tensor sequences.
 *
 * ORT's Optimizer (orttraining/training_api/optimizer.cc) checks the graph
 * inputs by name and order, and feeds them itself:
 *   AdamWOptimizer:  learning_rate, step, params, gradients, first_order_moments, second_order_moments
 *   SGDOptimizerV2:  learning_rate, step, params, gradients, first_order_moments
 * (SGDOptimizerV2 reads no moment, but ORT's SGD algorithm declares a
 * "momentum0" state and its input, so the input must be there.) It feeds
 * `step + 1` and the group's learning rate as [1] tensors, the parameters,
 * gradients and moments as sequences, and reads output 0 as a bool: true
 * increments the step. The optional InplaceClipGradNorm rescales the gradient
 * sequence in place to a global L2 norm of at most max_norm.
 *
 * The learning rate ORT feeds is its group state's `learning_rate`, which
 * starts at 0.001 whatever the checkpoint's initial_learning_rate says
 * (measured in onnxruntime-web 1.19.2; GroupOptimizerState initializes
 * learning_rate from the default initial_lr before the checkpoint's is
 * read). The C/C++/Python APIs can set it (SetLearningRate, schedulers);
 * onnxruntime-web cannot. `scaleLearningRate` multiplies the fed rate by
 * learningRate / 0.001 inside the graph, so that training in the browser
 * uses the requested rate (and a scheduler still scales it).
 *
 * ORT 1.19.2's runtime supports AdamW only: its optimizer factory knows no
 * SGD algorithm (the `momentum0` key of SGDOptimizerV2's algorithm is not in
 * its binary), and creating a session with an SGD optimizer model fails.
 * The SGD model follows the layout of ORT's later runtimes.
 */
import Long from 'long';
import { onnx, DataType, AttributeType, type ModelProto, type ValueInfoProto, type NodeProto, type AttributeProto } from '../../onnx/proto.js';

export type OptimizerSpec =
  | {
      type: 'adamw';
      /** Written to the checkpoint's optimizer group as initial_learning_rate. */
      learningRate: number;
      betas?: [number, number];
      eps?: number;
      weightDecay?: number;
      biasCorrection?: boolean;
      /**
       * 'torch' (adam_mode 0): torch.optim.AdamW (bias correction on the moments, decay before the update).
       * 'huggingface' (adam_mode 1, what ORT's generate_artifacts writes): transformers' AdamW (bias
       * correction folded into the learning rate, eps added before it, decay after the update).
       */
      mode?: 'torch' | 'huggingface';
    }
  | { type: 'sgd'; learningRate: number };

/** The learning rate ORT's training runtime feeds until told otherwise (GroupOptimizerState's default initial_lr). */
export const ORT_DEFAULT_LEARNING_RATE = 0.001;

export const ADAMW_DEFAULTS = { betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.01, biasCorrection: true, mode: 'torch' as const };

/** The moment tensors ORT keeps per trainable parameter (its momentum_keys). */
export function momentumKeys(spec: OptimizerSpec): string[] {
  return spec.type === 'adamw' ? ['momentum0', 'momentum1'] : ['momentum0'];
}

const tensorInput = (name: string, elemType: number): ValueInfoProto =>
  onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: [{ dimValue: Long.fromNumber(1) }] } } } }) as ValueInfoProto;
const sequenceInput = (name: string, elemType: number): ValueInfoProto =>
  onnx.ValueInfoProto.create({ name, type: { sequenceType: { elemType: { tensorType: { elemType } } } } }) as ValueInfoProto;
const f = (name: string, v: number) => onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: v }) as AttributeProto;
const i = (name: string, v: number) => onnx.AttributeProto.create({ name, type: AttributeType.INT, i: Long.fromNumber(v) }) as AttributeProto;
const node = (opType: string, input: string[], output: string[], attribute: AttributeProto[] = []) =>
  onnx.NodeProto.create({ opType, domain: 'com.microsoft', name: opType, input, output, attribute }) as NodeProto;

/** `elemType`: the parameters' element type (float for every model ORT's CPU optimizers run). */
export function buildOptimizerModel(spec: OptimizerSpec, options: { clipGradNorm?: number; elemType?: number; scaleLearningRate?: boolean } = {}): ModelProto {
  const et = options.elemType ?? DataType.FLOAT;
  const inputs = [tensorInput('learning_rate', DataType.FLOAT), tensorInput('step', DataType.INT64), sequenceInput('params', et), sequenceInput('gradients', et), sequenceInput('first_order_moments', et)];
  if (spec.type === 'adamw') inputs.push(sequenceInput('second_order_moments', et));
  const nodes: NodeProto[] = [];
  let gradients = 'gradients';
  if (options.clipGradNorm !== undefined) {
    nodes.push(node('InplaceClipGradNorm', [gradients], ['clip_grad_norm_output'], [f('max_norm', options.clipGradNorm)]));
    gradients = 'clip_grad_norm_output';
  }
  const flag = spec.type === 'adamw' ? 'adamw.updated_flag' : 'sgd.updated_flag';
  let lr = 'learning_rate';
  if (options.scaleLearningRate) {
    const factor = onnx.TensorProto.create({ name: 'learning_rate_scale', dataType: DataType.FLOAT, dims: [Long.fromNumber(1)], floatData: [spec.learningRate / ORT_DEFAULT_LEARNING_RATE] });
    nodes.push(onnx.NodeProto.create({ opType: 'Constant', name: 'learning_rate_scale', output: ['learning_rate_scale'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: factor }] }) as NodeProto);
    nodes.push(onnx.NodeProto.create({ opType: 'Mul', name: 'learning_rate_scaled', input: ['learning_rate', 'learning_rate_scale'], output: ['learning_rate_scaled'] }) as NodeProto);
    lr = 'learning_rate_scaled';
  }
  if (spec.type === 'adamw') {
    const a = { ...ADAMW_DEFAULTS, ...spec };
    nodes.push(node('AdamWOptimizer', [lr, 'step', 'params', gradients, 'first_order_moments', 'second_order_moments'], [flag], [
      f('alpha', a.betas[0]), f('beta', a.betas[1]), f('epsilon', a.eps), f('weight_decay', a.weightDecay),
      i('correct_bias', a.biasCorrection ? 1 : 0), i('adam_mode', a.mode === 'huggingface' ? 1 : 0),
    ]));
  } else {
    nodes.push(node('SGDOptimizerV2', [lr, 'params', gradients], [flag]));
  }
  return onnx.ModelProto.create({
    irVersion: Long.fromNumber(8),
    producerName: 'onnx-trelu',
    opsetImport: [{ domain: '', version: Long.fromNumber(14) }, { domain: 'com.microsoft', version: Long.fromNumber(1) }],
    graph: {
      name: spec.type === 'adamw' ? 'AdamW Optimizer Model' : 'SGD Optimizer Model',
      input: inputs,
      node: nodes,
      output: [tensorInput(flag, DataType.BOOL)],
    },
  }) as ModelProto;
}
