// The sample models: reproducible from their generator, valid for ONNX Runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { SAMPLE_MODELS } from '../models/make-models.js';
import { encodeModel } from '../src/onnx/encode.js';
import { REPO_ROOT, runCli } from './helpers.js';

for (const [file, make] of Object.entries(SAMPLE_MODELS)) {
  test(`models/${file} is what models/make-models.ts generates, byte for byte`, () => {
    assert.deepEqual(Buffer.from(encodeModel(make())), fs.readFileSync(path.join(REPO_ROOT, 'models', file)));
  });

  test(`models/${file} runs in onnxruntime-node`, async () => {
    const session = await ort.InferenceSession.create(path.join(REPO_ROOT, 'models', file));
    const dims = file.startsWith('mlp') ? [3, 64] : [3, 1, 28, 28];
    const x = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b) }, (_, i) => Math.cos(i)), dims);
    const out = await session.run({ [session.inputNames[0]!]: x });
    assert.deepEqual(out.logits!.dims, [3, 10]);
    assert.ok([...(out.logits!.data as Float32Array)].every(Number.isFinite));
  });
}

test('inspect --json reports the sample model', async () => {
  const r = await runCli('inspect', path.join(REPO_ROOT, 'models', 'cnn.onnx'), '--json');
  assert.equal(r.code, 0);
  const s = JSON.parse(r.out.join('\n'));
  assert.equal(s.irVersion, 8);
  assert.deepEqual(s.opsetImports, [{ domain: '', version: 17 }]);
  assert.deepEqual(s.opCounts, { Conv: 2, Relu: 2, Flatten: 1, Gemm: 1, GlobalAveragePool: 1, MaxPool: 1 });
  assert.deepEqual(s.inputs, [{ name: 'image', type: 'float32[N,1,28,28]' }]);
  assert.equal(s.initializers.count, 6);
  assert.deepEqual(s.thresholdedRelu, []);
});

test('inspect lists ThresholdedRelu nodes from the conformance corpus, with alpha and where they live', async () => {
  const { CORPUS } = await import('./helpers.js');
  const r = await runCli('inspect', path.join(CORPUS, 'node', 'test_thresholdedrelu_default', 'model.onnx'), '--json');
  assert.equal(r.code, 0, r.err.join('\n'));
  const s = JSON.parse(r.out.join('\n'));
  assert.equal(s.thresholdedRelu.length, 1);
  assert.equal(s.thresholdedRelu[0].alpha, 1);
  assert.equal(s.thresholdedRelu[0].alphaDefault, true);
  assert.equal(s.thresholdedRelu[0].inputType, 'float32[3,4,5]');
  assert.equal(s.thresholdedRelu[0].location, 'graph');
  const r2 = await runCli('inspect', path.join(CORPUS, 'node', 'test_thresholdedrelu', 'model.onnx'), '--json');
  assert.equal(JSON.parse(r2.out.join('\n')).thresholdedRelu[0].alpha, 2);
});
