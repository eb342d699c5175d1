/**
 * Training the same model for a few steps in ORT's training runtime (on our
 * artifacts) and in PyTorch (ort_torch_oracle.py: the ONNX graph rebuilt from
 * torch.nn.functional, torch.optim), then comparing losses and parameters.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { modelToProto } from '../../src/graph/to-proto.js';
import type { Model } from '../../src/graph/model.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { buildOrtArtifacts, type OrtArtifacts, type OrtArtifactsOptions } from '../../src/train/ort/artifacts.js';
import { checkpointFloat32 } from '../../src/train/ort/tensors.js';
import { REPO_ROOT, tmpDir } from '../helpers.js';
import { loadOrtTraining, type TrainingSession } from './ort-training-runtime.js';

const PYTHON = '/usr/bin/python3';
const ORACLE = path.join(REPO_ROOT, 'test/train/ort_torch_oracle.py');

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

export interface FloatInput { dims: number[]; data: Float32Array }
/** One step's feeds: float inputs by name, and int64 class labels fed as `labels`. */
export interface Batch { inputs: Record<string, FloatInput>; labels: number[] }

/** `accumulate`: runTrainStep on that many batches (gradients summed in the accumulation buffers), then one optimizer step. */
export async function trainInOrt(a: OrtArtifacts, data: Batch[], accumulate = 1): Promise<{ session: TrainingSession; losses: number[]; initial: Float32Array; final: Float32Array; evalLoss: number }> {
  const ort = await loadOrtTraining();
  const session = await ort.TrainingSession.create({
    checkpointState: a.checkpointBytes,
    trainModel: encodeModel(a.trainingModel),
    evalModel: encodeModel(a.evalModel),
    optimizerModel: encodeModel(a.optimizerModel),
  });
  const initial = Float32Array.from((await session.getContiguousParameters(true)).data as Float32Array);
  const feedsOf = (b: Batch) => ({
    ...Object.fromEntries(Object.entries(b.inputs).map(([name, t]) => [name, new ort.Tensor('float32', t.data, t.dims)])),
    labels: new ort.Tensor('int64', BigInt64Array.from(b.labels.map(BigInt)), [b.labels.length]),
  });
  // eval_model.onnx, before any step: the loss at the starting parameters.
  const evalOut = await session.runEvalStep(feedsOf(data[0]!));
  const evalLoss = Number(evalOut[session.evalOutputNames[0]!]!.data[0]);
  const losses: number[] = [];
  for (const [i, b] of data.entries()) {
    const out = await session.runTrainStep(feedsOf(b));
    losses.push(Number(out[session.trainingOutputNames[0]!]!.data[0]));
    if (i % accumulate === accumulate - 1) {
      await session.runOptimizerStep();
      await session.lazyResetGrad();
    }
  }
  const final = Float32Array.from((await session.getContiguousParameters(true)).data as Float32Array);
  return { session, losses, initial, final, evalLoss };
}

export interface TorchSpec {
  modelFile: string;
  trainable: string[];
  /** 'cross-entropy' on output `on`, or 'graph': output `on` is the model's own loss of input 'labels'. */
  loss: 'cross-entropy' | 'graph';
  on: string;
  optimizer: object;
  initialState?: object;
  /** torch.nn.utils.clip_grad_norm_ before each step. */
  clipGradNorm?: number;
  /** Micro-batches per optimizer step (gradients summed). */
  accumulate?: number;
}

export function trainInTorch(spec: TorchSpec, data: Batch[]): { losses: number[]; params: Record<string, Float32Array> } {
  const json = {
    model: spec.modelFile, trainable: spec.trainable, loss: spec.loss, on: spec.on, labels_input: 'labels', optimizer: spec.optimizer, initial_state: spec.initialState, clip_grad_norm: spec.clipGradNorm, accumulate: spec.accumulate,
    steps: data.map((b) => ({ inputs: Object.fromEntries(Object.entries(b.inputs).map(([n, t]) => [n, { dims: t.dims, data: [...t.data] }])), labels: b.labels })),
  };
  const r = spawnSync(PYTHON, [ORACLE], { input: JSON.stringify(json), encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `torch oracle failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { losses: number[]; params: Record<string, string> };
  const params = Object.fromEntries(Object.entries(out.params).map(([n, b64]) => {
    const bytes = Buffer.from(b64, 'base64');
    return [n, new Float32Array(Uint8Array.from(bytes).buffer)];
  }));
  return { losses: out.losses, params };
}

/** |a - b| <= rel * |b| + abs, element by element; names the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 1e-5, abs = 1e-7): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - (rel * Math.abs(expected[i]!) + abs);
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) { worst = i; worstExcess = excess; }
  }
  assert.ok(worst < 0, `${what}[${worst}]: ${actual[worst]} vs ${expected[worst]} (rel ${rel}, abs ${abs})`);
}

export interface CompareOptions {
  name: string;
  model: Model;
  artifacts: OrtArtifactsOptions;
  data: Batch[];
  torch: Omit<TorchSpec, 'modelFile' | 'trainable'>;
  /** Parameter tolerance (relative, and the floor as a fraction of each tensor's largest magnitude); default 1e-5. */
  paramTolerance?: number;
  /** Changes the artifacts before training (e.g. a resumed optimizer state); returns torch's initial state. */
  prepare?: (a: OrtArtifacts) => object | undefined;
}

/**
 * Builds the artifacts, trains in both, and checks: getContiguousParameters
 * reads back the checkpoint bit for bit; losses within 1e-5 relative;
 * parameters within 1e-5 relative with a floor of 1e-5 of each tensor's
 * largest magnitude (elements near zero carry their neighbours' rounding:
 * ORT and torch sum in different orders); the loss falls.
 */
export async function compareWithTorch(o: CompareOptions): Promise<{ losses: number[] }> {
  const dir = tmpDir('trelu-ort-');
  const forward = path.join(dir, 'forward.onnx');
  fs.writeFileSync(forward, encodeModel(modelToProto(o.model)));
  const artifacts = buildOrtArtifacts(o.model, o.artifacts);
  const initialState = o.prepare?.(artifacts);
  const ort = await trainInOrt(artifacts, o.data, o.torch.accumulate);
  try {
    const trainable = artifacts.report.trainable;
    const written = trainable.map((n) => checkpointFloat32(artifacts.checkpoint.trainable.find((t) => t.name === n)!));
    assert.deepEqual(ort.initial, Float32Array.from(written.flatMap((w) => [...w])), 'getContiguousParameters = what the checkpoint holds');
    const torch = trainInTorch({ ...o.torch, modelFile: forward, trainable, initialState }, o.data);
    assertClose(ort.losses, torch.losses, `${o.name} losses`);
    // The eval model (inference mode) at the starting parameters; these models have no Dropout or training-mode BN.
    assertClose([ort.evalLoss], [torch.losses[0]!], `${o.name} eval loss`);
    let offset = 0;
    for (const [k, name] of trainable.entries()) {
      const n = written[k]!.length;
      const expected = torch.params[name]!;
      const scale = expected.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      const rel = o.paramTolerance ?? 1e-5;
      assertClose(ort.final.subarray(offset, offset + n), expected, `${o.name} ${name}`, rel, rel * scale);
      offset += n;
    }
    assert.equal(offset, ort.final.length);
    // The last optimizer step's first micro-batch is the first step's batch again (the tests repeat their batches).
    const k = o.torch.accumulate ?? 1;
    assert.ok(ort.losses[ort.losses.length - k]! < ort.losses[0]!, `the loss falls: ${ort.losses.join(', ')}`);
    return { losses: ort.losses };
  } finally {
    await ort.session.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
