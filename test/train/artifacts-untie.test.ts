// --untie for training artifacts: squeezenet1_1 as torch.onnx exports it in eval mode, where 7
// initializers stand for 25 Conv biases whose values happened to be equal (models/corpus/torch).
// Tied, one SGD step moves all of a tensor's readers by the sum of their gradients; untied, each
// Conv bias moves by lr times its own torch key's gradient (torch autograd, float64), as
// torch.optim.SGD would move it in the source model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { buildTrainingArtifacts, untieSharedWeights } from '../../src/train/index.js';
import { Trainer } from '../../src/train/trainer/trainer.js';
import { createBackends } from '../../src/runtime/index.js';
import { torchModel } from '../corpus/torch-corpus.js';
import { runCli, tmpDir } from '../helpers.js';

const tm = torchModel('squeezenet1_1');
const merged = tm.manifest.onnx['model.onnx'].filter((e) => e.torch.length > 1);

test('untieSharedWeights + one SGD step: each of squeezenet1_1\'s merged Conv biases moves by lr·(its own torch gradient)', async () => {
  assert.ok(merged.length >= 5, `${merged.length} merged initializers in the export`);
  const m = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(tm.modelPath))));
  const shared = untieSharedWeights(m);
  assert.deepEqual(shared.map((s) => s.tensor).sort(), merged.map((e) => e.onnx).sort());
  const proto = modelToProto(m);
  const lr = 0.1;
  const on = proto.graph!.output[0]!.name;
  const a = buildTrainingArtifacts(proto, { lossFn: 'cross-entropy', on, optimizer: { kind: 'sgd', lr } });
  assert.deepEqual(a.manifest.notes.filter((n) => n.includes('read by')), [], 'no parameter left tied');
  const t = await Trainer.create({ manifest: a.manifest, trainStep: encodeModel(a.trainStep), checkpoint: a.checkpoint }, { backend: createBackends().get('cpu') });
  try {
    assert.deepEqual(a.manifest.dropouts, [], 'the eval-mode export has no Dropout left');
    const x = tm.npy(tm.manifest.input.file);
    await t.step({ inputs: { [proto.graph!.input[0]!.name]: x }, labels: tm.npy(tm.manifest.labels.file) });
    const init = new Map(proto.graph!.initializer.map((i) => [i.name, i]));
    let checked = 0;
    for (const s of shared) {
      const entry = merged.find((e) => e.onnx === s.tensor)!;
      assert.equal(s.untiedAs!.length, entry.uses.length, s.tensor);
      for (const [k, reader] of s.readers.entries()) {
        const name = s.untiedAs![k]!;
        const key = entry.uses.find((u) => u.node === reader)!.torch!;
        const before = tensorToFloat32(init.get(name)!);
        const after = (await t.tensor(name)).data;
        const g = tm.torchGrad(key).data as Float32Array;
        let diff = 0;
        let scale = 0;
        for (let i = 0; i < g.length; i++) {
          const d = Math.abs(before[i]! - after[i]! - lr * g[i]!);
          diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
          scale = Math.max(scale, Math.abs(lr * g[i]!));
        }
        assert.ok(diff <= 1e-4 * Math.max(scale, 1e-6), `${name} (${reader}, torch ${key}): update off by ${diff} (update scale ${scale})`);
        checked++;
      }
    }
    assert.equal(checked, merged.reduce((n, e) => n + e.uses.length, 0), 'every reader of every merged tensor checked');
  } finally {
    await t.release();
  }
});

test('trelu artifacts --untie (both formats): lists what it untied, model.onnx keeps one tensor per reader, --wrt selects the copies too', async () => {
  const dir = tmpDir();
  const one = merged[0]!.onnx;
  const ours = await runCli('artifacts', tm.modelPath, '--out', path.join(dir, 'ours'), '--loss-fn', 'cross-entropy', '--on', 'logits', '--untie', '--wrt', one);
  assert.equal(ours.code, 0, ours.err.join('\n'));
  assert.ok(ours.out.some((l) => l.includes(`untied: '${one}'`)), ours.out.join('\n'));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'ours', 'manifest.json'), 'utf8')) as { parameters: { initializer: string; role: string }[] };
  const trained = manifest.parameters.filter((p) => p.role === 'param').map((p) => p.initializer);
  assert.equal(trained.length, merged[0]!.uses.length, `--wrt ${one} trains each of its ${merged[0]!.uses.length} readers' copies: ${trained.join(', ')}`);
  const saved = decodeModel(new Uint8Array(fs.readFileSync(path.join(dir, 'ours', 'model.onnx'))));
  for (const name of trained) assert.ok(saved.graph!.initializer.some((i) => i.name === name), `model.onnx holds ${name}`);

  const ort = await runCli('artifacts', tm.modelPath, '--out', path.join(dir, 'ort'), '--format', 'ort', '--loss-fn', 'cross-entropy', '--on', 'logits', '--untie', '--json');
  assert.equal(ort.code, 0, ort.err.join('\n'));
  const summary = JSON.parse(ort.out.join('\n')) as { untied: { tensor: string; untiedAs: string[] }[]; trainable: string[] };
  assert.deepEqual(summary.untied.map((s) => s.tensor).sort(), merged.map((e) => e.onnx).sort());
  for (const s of summary.untied) for (const n of s.untiedAs) assert.ok(summary.trainable.includes(n), `${n} trainable`);
});
