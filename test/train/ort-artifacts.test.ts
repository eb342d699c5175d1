/**
 * Our ORT training artifacts, run in ORT's own training runtime
 * (onnxruntime-web 1.19.2's training build), against PyTorch 1.13 (Debian's
 * python3-torch) training the same model with torch.optim.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModelFile } from '../../src/node/model-file.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import type { Model } from '../../src/graph/model.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { replaceActivations } from '../../src/rewrite/replace.js';
import { buildOrtArtifacts, type OrtArtifacts } from '../../src/train/ort/artifacts.js';
import type { OptimizerSpec } from '../../src/train/ort/optimizer-model.js';
import { writeOrtCheckpoint } from '../../src/train/ort/checkpoint.js';
import { REPO_ROOT } from '../helpers.js';
import { loadOrtTraining } from './ort-training-runtime.js';
import { compareWithTorch, lcg, type Batch } from './ort-compare.js';

const STEPS = 4;

/** models/<file> with Relu replaced by ThresholdedRelu(alpha) through the library's replace. */
function tReluModel(file: string, alpha: number): Model {
  const model = modelFromProto(loadModelFile(path.join(REPO_ROOT, 'models', file)).model);
  const report = replaceActivations(model, { alpha });
  assert.ok(report.changes.length >= 2, 'Relu nodes were replaced');
  return model;
}

/** The same seeded batch every step, so that a falling loss says the steps train. */
function batches(input: string, dims: number[], classes: number, seed: number): Batch[] {
  const r = lcg(seed);
  const count = dims.reduce((a, b) => a * b, 1);
  const batch = {
    inputs: { [input]: { dims, data: Float32Array.from({ length: count }, () => r() * 2) } },
    labels: Array.from({ length: dims[0]! }, () => Math.floor(((r() + 1) / 2) * classes) % classes),
  };
  return Array.from({ length: STEPS }, () => batch);
}

const torchAdamW = (lr: number) => ({ type: 'adamw', lr, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 });
const adamW: OptimizerSpec = { type: 'adamw', learningRate: 0.01, weightDecay: 0.01 };

/**
 * Resuming: group0 at step 3 with non-zero moments, written into the checkpoint;
 * torch.optim.AdamW starts from the same state. Returns torch's initial_state.
 */
function resumeFrom(a: OrtArtifacts): object {
  const r = lcg(11);
  const group = a.checkpoint.optimizerGroups[0]!;
  group.step = 3;
  const state: Record<string, { exp_avg: number[]; exp_avg_sq: number[] }> = {};
  for (const p of group.parameters) {
    // A state Adam could have reached: v >= m^2, so that updates stay of the learning rate's size.
    const n = p.momentums[0]!.data.length / 4;
    const m = Float32Array.from({ length: n }, () => r() * 0.01);
    const v = Float32Array.from(m, (x) => x * x + ((r() + 1) / 2) * 1e-6);
    p.momentums[0]!.data = new Uint8Array(m.buffer);
    p.momentums[1]!.data = new Uint8Array(v.buffer);
    state[p.name] = { exp_avg: [...m], exp_avg_sq: [...v] };
  }
  a.checkpointBytes = writeOrtCheckpoint(a.checkpoint);
  return { step: 3, params: state };
}

const crossEntropy = { loss: 'cross-entropy' as const, on: 'logits' };

test('MLP with ThresholdedRelu: ORT training runtime (AdamW, rate scaled in the graph) = torch.optim.AdamW(lr=0.01)', async () => {
  await compareWithTorch({
    name: 'mlp', model: tReluModel('mlp.onnx', 0.05), data: batches('input', [8, 64], 10, 7),
    artifacts: { lossFn: 'cross-entropy', on: 'logits', optimizer: adamW, scaleLearningRate: true },
    torch: { ...crossEntropy, optimizer: torchAdamW(0.01) },
  });
});

test('CNN with ThresholdedRelu: ORT training runtime (AdamW at ORT\'s default rate) = torch.optim.AdamW(lr=0.001)', async () => {
  // The checkpoint says 0.01; ORT 1.19.2's runtime trains at its default 0.001 regardless (see optimizer-model.ts).
  await compareWithTorch({
    name: 'cnn', model: tReluModel('cnn.onnx', 0.05), data: batches('image', [4, 1, 28, 28], 10, 7),
    artifacts: { lossFn: 'cross-entropy', on: 'logits', optimizer: adamW },
    torch: { ...crossEntropy, optimizer: torchAdamW(0.001) },
  });
});

test('MLP: ORT resumes from the optimizer state we write (step 3, non-zero moments) = torch.optim.AdamW from that state', async () => {
  await compareWithTorch({
    name: 'mlp resumed', model: tReluModel('mlp.onnx', 0.05), data: batches('input', [8, 64], 10, 7),
    artifacts: { lossFn: 'cross-entropy', on: 'logits', optimizer: adamW, scaleLearningRate: true },
    torch: { ...crossEntropy, optimizer: torchAdamW(0.01) },
    prepare: resumeFrom,
  });
});

test('MLP: AdamW in transformers\' mode (adam_mode 1, what ORT\'s generator writes) with InplaceClipGradNorm = the same update written out in torch, after clip_grad_norm_', async () => {
  await compareWithTorch({
    name: 'mlp hf clipped', model: tReluModel('mlp.onnx', 0.05), data: batches('input', [8, 64], 10, 7),
    artifacts: { lossFn: 'cross-entropy', on: 'logits', optimizer: { ...adamW, mode: 'huggingface', eps: 1e-6 }, clipGradNorm: 0.05, scaleLearningRate: true },
    torch: { ...crossEntropy, optimizer: { type: 'adamw_hf', lr: 0.01, betas: [0.9, 0.999], eps: 1e-6, weight_decay: 0.01 }, clipGradNorm: 0.05 },
  });
});

test('MLP: gradients accumulated over 2 micro-batches (runTrainStep twice, InPlaceAccumulatorV2), then one step = torch backward twice, then step', async () => {
  const r = lcg(21);
  const micro = (): Batch => ({ inputs: { input: { dims: [8, 64], data: Float32Array.from({ length: 512 }, () => r() * 2) } }, labels: Array.from({ length: 8 }, () => Math.floor(((r() + 1) / 2) * 10) % 10) });
  const [a, b] = [micro(), micro()];
  await compareWithTorch({
    name: 'mlp accumulated', model: tReluModel('mlp.onnx', 0.05), data: [a, b, a, b, a, b],
    artifacts: { lossFn: 'cross-entropy', on: 'logits', optimizer: adamW, scaleLearningRate: true },
    torch: { ...crossEntropy, optimizer: torchAdamW(0.01), accumulate: 2 },
  });
});

test('training model layout: ORT\'s input and output names, in ORT\'s order; SGD has ORT\'s optimizer inputs, which ORT 1.19.2 refuses', async () => {
  const model = tReluModel('mlp.onnx', 0.05);
  const a = buildOrtArtifacts(model, { lossFn: 'cross-entropy', on: 'logits', frozen: ['fc3.bias'], optimizer: { type: 'sgd', learningRate: 0.1 } });
  const params = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias'];
  const trainable = params.filter((p) => p !== 'fc3.bias');
  assert.deepEqual(a.trainingModel.graph!.input!.map((i) => i.name), ['input', 'labels', ...params, ...trainable.map((p) => `${p}_grad.accumulation.buffer`), 'lazy_reset_grad']);
  assert.deepEqual(a.trainingModel.graph!.output!.map((o) => o.name), ['loss', ...trainable.map((p) => `${p}_grad.accumulation.out`)]);
  assert.deepEqual(a.evalModel.graph!.input!.map((i) => i.name), ['input', 'labels', ...params]);
  assert.deepEqual(a.optimizerModel.graph!.input!.map((i) => i.name), ['learning_rate', 'step', 'params', 'gradients', 'first_order_moments']);
  const ort = await loadOrtTraining();
  // The runtime's optimizer factory knows AdamW only; the session is refused (an exception, not a status).
  await assert.rejects(ort.TrainingSession.create({ checkpointState: a.checkpointBytes, trainModel: encodeModel(a.trainingModel), evalModel: encodeModel(a.evalModel), optimizerModel: encodeModel(a.optimizerModel) }));
  // Without the optimizer model the same artifacts load: the failure is the SGD optimizer's.
  const s = await ort.TrainingSession.create({ checkpointState: a.checkpointBytes, trainModel: encodeModel(a.trainingModel), evalModel: encodeModel(a.evalModel) });
  await s.release();
});
