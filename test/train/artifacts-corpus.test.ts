// Training artifacts on real architectures of the torch corpus (models/corpus/torch, Debian torch
// 1.13): the loss and every parameter's gradient from buildLossAndGradients (the part ORT-format
// artifacts reuse) against torch autograd, and one SGD train step against p - lr·grad_torch.
// squeezenet1_1 (eval-mode export: Dropout fed an all-ones mask; the exporter merged equal zero
// biases into one initializer, whose gradient is the sum of its torch keys') and a CNN exported
// in training mode (BatchNorm with batch statistics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { buildLossAndGradients } from '../../src/train/artifacts/loss-and-gradients.js';
import { buildTrainingArtifacts } from '../../src/train/artifacts/build.js';
import { Trainer } from '../../src/train/trainer/trainer.js';
import { runOnCpu, createBackends, type TensorLike } from '../../src/runtime/index.js';
import { torchModel } from '../corpus/torch-corpus.js';

/** max |a-b| / max(max |b|, floor): the floor for gradients that are 0 in exact arithmetic (a bias right before BatchNorm: torch gives ~1e-9 noise). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, floor);
}

for (const name of ['squeezenet1_1', 'cnn_batchnorm_train']) {
  test(`${name}: loss and gradients match torch autograd; one SGD step matches p - lr·grad`, async () => {
    const tm = torchModel(name);
    const proto = decodeModel(new Uint8Array(fs.readFileSync(tm.modelPath)));
    const on = proto.graph!.output[0]!.name;
    const m = modelFromProto(proto);
    const lg = buildLossAndGradients(m, { lossFn: 'cross-entropy', on });
    const x = tm.npy(tm.manifest.input.file);
    const labels = tm.npy(tm.manifest.labels.file);
    const feeds: Record<string, TensorLike> = { [lg.dataInputs[0]!.name]: x, [lg.labels!.name]: labels };
    for (const d of lg.dropouts) {
      const dims = d.shape.map((s) => (typeof s === 'number' ? s : x.dims[0]!));
      feeds[d.mask] = { type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1), dims };
    }
    const init = new Map(proto.graph!.initializer.map((t) => [t.name, t]));
    for (const p of [...lg.params, ...lg.buffers]) feeds[p.name] = { type: 'float32', data: tensorToFloat32(p.tensor), dims: p.tensor.dims.map(Number) };
    const out = await runOnCpu(encodeModel(modelToProto(m)), feeds);
    const torchLoss = (tm.npy('loss.npy').data as Float32Array)[0]!;
    assert.ok(Math.abs((out[lg.loss.name]!.data as Float32Array)[0]! - torchLoss) <= 1e-5 * Math.abs(torchLoss), `${name}: loss`);
    const entries = new Map(tm.manifest.onnx['model.onnx'].map((e) => [e.onnx, e]));
    let checked = 0;
    const torchGrad = (onnxName: string) => {
      const keys = entries.get(onnxName)!.torch;
      const sum = new Float64Array(init.get(onnxName)!.dims.reduce((a, d) => a * Number(d), 1));
      for (const k of keys) (tm.torchGrad(k).data as Float32Array).forEach((v, i) => (sum[i]! += v));
      return sum;
    };
    const globalScale = Math.max(...lg.params.map((p) => torchGrad(p.name).reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    for (const p of lg.params) {
      const ours = out[p.grad.name]!.data as Float32Array;
      const e = relError(ours, torchGrad(p.name), 1e-3 * globalScale);
      assert.ok(e < 1e-4, `${name}: gradient of ${p.name} differs from torch by ${e.toExponential(2)} relative`);
      checked++;
    }
    assert.equal(checked, tm.manifest.onnx['model.onnx'].filter((e) => !e.buffer && !e.constant && e.shape.length > 0).length, 'every parameter checked');

    // One SGD step of the train step: p' = p - lr·g.
    const lr = 0.1;
    const a = buildTrainingArtifacts(proto, { lossFn: 'cross-entropy', on, optimizer: { kind: 'sgd', lr } });
    if (name === 'squeezenet1_1') assert.ok(a.manifest.notes.some((n) => n.startsWith("parameter 'features.0.bias' is read by 7 nodes")), a.manifest.notes.join('\n'));
    else assert.deepEqual(a.manifest.notes.filter((n) => n.includes('read by')), []);
    const t = await Trainer.create({ manifest: a.manifest, trainStep: encodeModel(a.trainStep), checkpoint: a.checkpoint }, { backend: createBackends().get('cpu') });
    const masks = Object.fromEntries(lg.dropouts.map((d) => [d.mask, feeds[d.mask]!]));
    const r = await t.step({ inputs: { [lg.dataInputs[0]!.name]: x }, labels, masks });
    assert.ok(Math.abs(r.loss - torchLoss) <= 1e-5 * Math.abs(torchLoss));
    for (const p of lg.params) {
      const before = tensorToFloat32(init.get(p.name)!);
      const after = (await t.tensor(p.name)).data;
      const g = torchGrad(p.name);
      const update = Float64Array.from(before, (v, i) => v - after[i]!);
      const e = relError(update, g.map((v) => lr * v), 1e-3 * lr * globalScale);
      assert.ok(e < 1e-3, `${name}: SGD update of ${p.name} differs from lr·grad_torch by ${e.toExponential(2)} (relative to the update)`);
    }
    await t.release();
  });
}
