/**
 * Our ORT training artifacts, run in ORT's own training runtime
 * (onnxruntime-web 1.19.2's training build), against PyTorch 1.13 (Debian's
 * python3-torch) training the same model with torch.optim.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadModelFile } from '../../src/node/model-file.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { modelToProto } from '../../src/graph/to-proto.js';
import type { Model } from '../../src/graph/model.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { replaceActivations } from '../../src/rewrite/replace.js';
import { buildOrtArtifacts, type OrtArtifacts } from '../../src/train/ort/artifacts.js';
import type { OptimizerSpec } from '../../src/train/ort/optimizer-model.js';
import { checkpointFloat32 } from '../../src/train/ort/tensors.js';
import { writeOrtCheckpoint } from '../../src/train/ort/checkpoint.js';
import { REPO_ROOT, tmpDir } from '../helpers.js';
import { loadOrtTraining, type TrainingSession } from './ort-training-runtime.js';

const PYTHON = '/usr/bin/python3';
const ORACLE = path.join(REPO_ROOT, 'test/train/ort_torch_oracle.py');
const STEPS = 4;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** models/<file> with Relu replaced by ThresholdedRelu(alpha) through the library's replace. */
function tReluModel(file: string, alpha: number): Model {
  const model = modelFromProto(loadModelFile(path.join(REPO_ROOT, 'models', file)).model);
  const report = replaceActivations(model, { alpha });
  assert.ok(report.changes.length >= 2, 'Relu nodes were replaced');
  return model;
}

interface Batch { input: { dims: number[]; data: Float32Array }; labels: number[] }
/** The same seeded batch every step, so that a falling loss says the steps train. */
function batches(dims: number[], classes: number, seed: number): Batch[] {
  const r = lcg(seed);
  const count = dims.reduce((a, b) => a * b, 1);
  const batch = {
    input: { dims, data: Float32Array.from({ length: count }, () => r() * 2) },
    labels: Array.from({ length: dims[0]! }, () => Math.floor(((r() + 1) / 2) * classes) % classes),
  };
  return Array.from({ length: STEPS }, () => batch);
}

async function trainInOrt(a: OrtArtifacts, inputName: string, data: Batch[]): Promise<{ session: TrainingSession; losses: number[]; initial: Float32Array; final: Float32Array }> {
  const ort = await loadOrtTraining();
  const session = await ort.TrainingSession.create({
    checkpointState: a.checkpointBytes,
    trainModel: encodeModel(a.trainingModel),
    evalModel: encodeModel(a.evalModel),
    optimizerModel: encodeModel(a.optimizerModel),
  });
  const initial = (await session.getContiguousParameters(true)).data as Float32Array;
  const losses: number[] = [];
  for (const b of data) {
    const out = await session.runTrainStep({
      [inputName]: new ort.Tensor('float32', b.input.data, b.input.dims),
      labels: new ort.Tensor('int64', BigInt64Array.from(b.labels.map(BigInt)), [b.labels.length]),
    });
    losses.push(Number(out[session.trainingOutputNames[0]!]!.data[0]));
    await session.runOptimizerStep();
    await session.lazyResetGrad();
  }
  const final = (await session.getContiguousParameters(true)).data as Float32Array;
  return { session, losses, initial: Float32Array.from(initial), final: Float32Array.from(final) };
}

function trainInTorch(modelFile: string, trainable: string[], inputName: string, data: Batch[], optimizer: object, initialState?: object) {
  const spec = {
    model: modelFile, trainable, loss: 'cross-entropy', on: 'logits', optimizer, initial_state: initialState,
    steps: data.map((b) => ({ inputs: { [inputName]: { dims: b.input.dims, data: [...b.input.data] } }, labels: b.labels })),
  };
  const r = spawnSync(PYTHON, [ORACLE], { input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `torch oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { losses: number[]; params: Record<string, number[]> };
}

/** |a - b| <= rel * |b| + abs, element by element; names the worst element. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 1e-5, abs = 1e-7): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (rel * Math.abs(e) + abs);
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) { worst = i; worstExcess = excess; }
  }
  assert.ok(worst < 0, `${what}[${worst}]: ${actual[worst]} vs ${expected[worst]} (rel ${rel}, abs ${abs})`);
}

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
    p.momentums[0]!.data = new Uint8Array(m!.buffer);
    p.momentums[1]!.data = new Uint8Array(v!.buffer);
    state[p.name] = { exp_avg: [...m!], exp_avg_sq: [...v!] };
  }
  a.checkpointBytes = writeOrtCheckpoint(a.checkpoint);
  return { step: 3, params: state };
}

async function compare(file: string, inputName: string, dims: number[], optimizer: OptimizerSpec, torchOptimizer: object, scaleLearningRate = false, resume = false): Promise<void> {
  const model = tReluModel(file, 0.05);
  const dir = tmpDir('trelu-ort-');
  const forward = path.join(dir, file);
  fs.writeFileSync(forward, encodeModel(modelToProto(model)));
  const artifacts = buildOrtArtifacts(model, { lossFn: 'cross-entropy', on: 'logits', optimizer, scaleLearningRate });
  const initialState = resume ? resumeFrom(artifacts) : undefined;
  const data = batches(dims, 10, 7);
  const ort = await trainInOrt(artifacts, inputName, data);
  try {
    // getContiguousParameters reads back what the checkpoint holds, bit for bit, in the training model's parameter order.
    const trainable = artifacts.report.trainable;
    const written = trainable.map((n) => checkpointFloat32(artifacts.checkpoint.trainable.find((t) => t.name === n)!));
    assert.deepEqual(ort.initial, Float32Array.from(written.flatMap((w) => [...w])));
    const torch = trainInTorch(forward, trainable, inputName, data, torchOptimizer, initialState);
    assertClose(ort.losses, torch.losses, `${file} losses`);
    let offset = 0;
    for (const [k, name] of trainable.entries()) {
      const n = written[k]!.length;
      // 1e-5 relative to each element, with a floor of 1e-5 of the tensor's largest magnitude: elements that
      // sit near zero carry the rounding of their neighbours' scale (ORT and torch sum in different orders).
      const expected = torch.params[name]!;
      const scale = expected.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      assertClose(ort.final.subarray(offset, offset + n), expected, `${file} ${name}`, 1e-5, 1e-5 * scale);
      offset += n;
    }
    assert.equal(offset, ort.final.length);
    assert.ok(ort.losses[STEPS - 1]! < ort.losses[0]!, `the loss went down: ${ort.losses.join(', ')}`);
  } finally {
    await ort.session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const torchAdamW = (lr: number) => ({ type: 'adamw', lr, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 });

test('MLP with ThresholdedRelu: ORT training runtime (AdamW, rate scaled in the graph) = torch.optim.AdamW(lr=0.01)', async () => {
  await compare('mlp.onnx', 'input', [8, 64], { type: 'adamw', learningRate: 0.01, weightDecay: 0.01 }, torchAdamW(0.01), true);
});

test('CNN with ThresholdedRelu: ORT training runtime (AdamW at ORT\'s default rate) = torch.optim.AdamW(lr=0.001)', async () => {
  // The checkpoint says 0.01; ORT 1.19.2's runtime trains at its default 0.001 regardless (see optimizer-model.ts).
  await compare('cnn.onnx', 'image', [4, 1, 28, 28], { type: 'adamw', learningRate: 0.01, weightDecay: 0.01 }, torchAdamW(0.001));
});

test('MLP: ORT resumes from the optimizer state we write (step 3, non-zero moments) = torch.optim.AdamW from that state', async () => {
  await compare('mlp.onnx', 'input', [8, 64], { type: 'adamw', learningRate: 0.01, weightDecay: 0.01 }, torchAdamW(0.01), true, true);
});
