/**
 * BatchNormalization in training mode, as torch's `model.train()` runs it:
 * normalized with the batch's statistics (biased variance), and the running
 * statistics updated with the unbiased variance:
 *
 *   μ = mean(X over N,H,W)   σ² = mean((X-μ)²)   Y = (X-μ)/√(σ²+ε)·scale + B
 *   running_mean' = m·running_mean + (1-m)·μ
 *   running_var'  = m·running_var  + (1-m)·σ²·n/(n-1)     (n = N·H·W; m is ONNX's momentum, torch's 1-momentum)
 *
 * ONNX's own training mode (BatchNormalization-14, training_mode=1) updates
 * running_var with the biased variance, and ORT's inference builds do not run
 * it; so the node is lowered to standard ops here, and the existing gradient
 * rules (ReduceMean, Sub, Mul, Div, Sqrt, Add, Reshape) differentiate it.
 */
import { TreluError } from '../../errors.js';
import type { Model } from '../../graph/model.js';
import type { Node } from '../../graph/node.js';
import type { Value } from '../../graph/value.js';
import { Builder } from '../../graph/builder.js';
import { replaceAllUsesWith } from '../../graph/mutate.js';
import type { TensorInfo } from '../../graph/infer/types.js';
import { f32, i64s } from './graph-constants.js';

export interface LoweredBatchNorm {
  node: string;
  /** The running-statistics tensors (initializers) and the values holding their updates. */
  runningMean: Value;
  runningVar: Value;
  newMean: Value;
  newVar: Value;
}

export function lowerBatchNormTraining(model: Model, node: Node, info: (v: Value) => TensorInfo | undefined): LoweredBatchNorm {
  const [x, scale, bias, mean, variance] = node.inputs as (Value | undefined)[];
  if (!x || !scale || !bias || !mean || !variance) throw new TreluError('E_UNSUPPORTED', `BatchNormalization '${node.name}' lacks one of its 5 inputs`);
  const rank = info(x)?.shape?.length;
  if (rank === undefined || rank < 2) throw new TreluError('E_UNSUPPORTED', `BatchNormalization '${node.name}': input rank unknown or < 2, cannot train it`);
  const eps = node.attrs.float('epsilon', 1e-5);
  const momentum = node.attrs.float('momentum', 0.9);
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const opset = model.onnxOpset ?? 17;
  const b = new Builder(model, model.graph, { before: node });
  const reduceMean = (v: Value, name: string) => opset >= 18
    ? b.op('ReduceMean', [v, i64s(b, axes)], { name, attributes: { keepdims: 1 } })
    : b.op('ReduceMean', [v], { name, attributes: { axes, keepdims: 1 } });
  const perChannel = i64s(b, [1, -1, ...Array(rank - 2).fill(1)], 'bn_channel_shape');
  const mu = reduceMean(x, 'bn_batch_mean');
  const centered = b.op('Sub', [x, mu], { name: 'bn_centered' });
  const batchVar = reduceMean(b.op('Mul', [centered, centered], { name: 'bn_sq' }), 'bn_batch_var');
  const normalized = b.op('Div', [centered, b.op('Sqrt', [b.op('Add', [batchVar, f32(b, eps)], { name: 'bn_var_eps' })], { name: 'bn_std' })], { name: 'bn_normalized' });
  const y = b.op('Add', [
    b.op('Mul', [normalized, b.op('Reshape', [scale, perChannel], { name: 'bn_scale_c' })], { name: 'bn_scaled' }),
    b.op('Reshape', [bias, perChannel], { name: 'bn_bias_c' }),
  ], { name: 'bn_out' });
  // The running statistics: no gradient flows through them (they do not reach the loss).
  const flat = i64s(b, [-1], 'bn_flat');
  const count = b.op('Div', [
    b.op('Cast', [b.op('Size', [x], { name: 'bn_size' })], { name: 'bn_size_f', attributes: { to: 1 } }),
    b.op('Cast', [b.op('Gather', [b.op('Shape', [x], { name: 'bn_shape' }), i64s(b, [1])], { name: 'bn_channels', attributes: { axis: 0 } })], { name: 'bn_channels_f', attributes: { to: 1 } }),
  ], { name: 'bn_count' });
  const unbiased = b.op('Mul', [b.op('Reshape', [batchVar, flat], { name: 'bn_var_flat' }), b.op('Div', [count, b.op('Sub', [count, f32(b, 1)], { name: 'bn_count_m1' })], { name: 'bn_bessel' })], { name: 'bn_unbiased_var' });
  const blend = (old: Value, batch: Value, name: string) => b.op('Add', [b.op('Mul', [old, f32(b, momentum)], { name: `${name}_old` }), b.op('Mul', [batch, f32(b, 1 - momentum)], { name: `${name}_batch` })], { name });
  const newMean = blend(mean, b.op('Reshape', [mu, flat], { name: 'bn_mean_flat' }), 'bn_running_mean');
  const newVar = blend(variance, unbiased, 'bn_running_var');
  const outs = node.outputs;
  replaceAllUsesWith(outs[0]!, y, { graphOutputs: true });
  for (const [i, v] of [newMean, newVar].entries()) {
    const old = outs[i + 1];
    if (!old) continue;
    for (const u of old.uses()) u.node.replaceInput(u.index, v);
    model.graph.outputs = model.graph.outputs.filter((o) => o !== old);
  }
  model.graph.remove(node);
  return { node: node.name, runningMean: mean, runningVar: variance, newMean, newVar };
}
