// Whole models: the sample MLP and CNN after replace --from Relu, and corpus
// models whose ops are covered, differentiated and checked; the same gradient
// model on cpu, webgpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { replaceActivations } from '../../src/rewrite/index.js';
import { buildGradient, checkGradients, parameterFeeds } from '../../src/train/index.js';
import { buildFeeds, createBackends, runOnce, compareTensors, type TensorLike } from '../../src/runtime/index.js';
import { CORPUS, REPO_ROOT, runCli, tmpDir } from '../helpers.js';

function treluModel(file: string) {
  const m = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(path.join(REPO_ROOT, 'models', file)))));
  replaceActivations(m, { alpha: 0.1 });
  return m;
}

async function gradientFor(m: ReturnType<typeof treluModel>, dims: Record<string, number>) {
  const report = buildGradient(m, { lossFn: 'cross-entropy', on: 'logits', wrt: 'params' });
  const bytes = encodeModel(modelToProto(m));
  const feeds: Record<string, TensorLike> = { ...buildFeeds(m, { dims, seed: 4 }), ...parameterFeeds(report) };
  return { report, bytes, feeds };
}

test('MLP with ThresholdedRelu: every parameter gradient matches float64 central differences', async () => {
  const { report, bytes, feeds } = await gradientFor(treluModel('mlp.onnx'), { N: 8 });
  assert.equal(report.gradients.length, 6);
  const check = await checkGradients(bytes, report, feeds, { samples: 10, seed: 2 });
  assert.equal(check.precision, 'float64');
  for (const t of check.tensors) assert.ok(t.maxRelError < 1e-3 && t.checked >= 5, `${t.tensor}: ${t.maxRelError} over ${t.checked}`);
});

test('CNN with ThresholdedRelu: gradients match float64 central differences (Conv lowered to im2col for the check)', async () => {
  const { report, bytes, feeds } = await gradientFor(treluModel('cnn.onnx'), { N: 2 });
  const check = await checkGradients(bytes, report, feeds, { samples: 8, seed: 5 });
  assert.equal(check.precision, 'float64');
  for (const t of check.tensors) assert.ok(t.maxRelError < 1e-3, `${t.tensor}: ${t.maxRelError} over ${t.checked}`);
  assert.ok(check.tensors.reduce((n, t) => n + t.checked, 0) >= 30);
});

test('corpus models whose ops are covered: differentiated with an MSE loss and checked', async () => {
  const names = ['pytorch-converted/test_Linear', 'pytorch-converted/test_Softmax', 'pytorch-converted/test_Tanh', 'pytorch-converted/test_Sigmoid', 'pytorch-converted/test_ReLU', 'pytorch-operator/test_operator_mm'];
  let done = 0;
  for (const name of names) {
    const file = path.join(CORPUS, name, 'model.onnx');
    if (!fs.existsSync(file)) continue;
    const m = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(file))));
    const out = m.graph.outputs[0]!.name;
    const inputs = m.graph.inputs.filter((v) => !v.initializer).map((v) => v.name);
    const report = buildGradient(m, { lossFn: 'mse', on: out, wrt: [...inputs.slice(0, 1), ...m.graph.initializers.filter((v) => v.initializer!.dataType === 1).map((v) => v.name)] });
    const bytes = encodeModel(modelToProto(m));
    const feeds = { ...buildFeeds(m, { seed: 1 }), ...parameterFeeds(report) };
    const check = await checkGradients(bytes, report, feeds, { samples: 6, seed: 1 });
    for (const t of check.tensors) assert.ok(t.maxRelError < (check.precision === 'float64' ? 1e-3 : 5e-2), `${name} ${t.tensor}: ${t.maxRelError}`);
    done++;
  }
  assert.ok(done >= 5, `${done} corpus models differentiated`);
});

test('the same gradient model on cpu, webgpu and wasm gives the same gradients (MLP and CNN)', async () => {
  const backends = createBackends();
  for (const file of ['mlp.onnx', 'cnn.onnx']) {
    const { bytes, feeds } = await gradientFor(treluModel(file), { N: file === 'mlp.onnx' ? 4 : 2 });
    const cpu = await runOnce(backends.get('cpu'), bytes, feeds);
    for (const ep of ['webgpu', 'wasm']) {
      const out = await runOnce(backends.get(ep), bytes, feeds);
      for (const [name, t] of Object.entries(cpu)) {
        const c = compareTensors(out[name]!, t);
        assert.ok(c.ok, `${file} on ${ep}, ${name}: max diff ${c.maxAbsDiff}`);
      }
    }
  }
});

test('trelu grad: --loss-fn, --wrt params, --check, parameters written, --json; errors exit 2', async () => {
  const dir = tmpDir();
  const t = path.join(dir, 'mlp-trelu.onnx');
  assert.equal((await runCli('replace', path.join(REPO_ROOT, 'models', 'mlp.onnx'), t, '--alpha', '0.2')).code, 0);
  const out = path.join(dir, 'grad.onnx');
  const r = await runCli('grad', t, out, '--loss-fn', 'cross-entropy', '--on', 'logits', '--wrt', 'params', '--check', '--dim', 'N=6', '--json');
  assert.equal(r.code, 0, r.out.join('\n') + r.err.join('\n'));
  const j = JSON.parse(r.out.join('\n'));
  assert.equal(j.check.ok, true);
  assert.equal(j.check.precision, 'float64');
  assert.deepEqual(j.gradients.map((g: { gradient: string }) => g.gradient), ['fc1.weight_grad', 'fc1.bias_grad', 'fc2.weight_grad', 'fc2.bias_grad', 'fc3.weight_grad', 'fc3.bias_grad']);
  assert.equal(fs.readdirSync(path.join(dir, 'grad.params')).length, 7, 'six .npy files and manifest.json');
  // The gradient model runs through trelu run with the written parameters, and refuses to run without them.
  const run = await runCli('run', out, '--repeat', '0', '--dim', 'N=3', '--params', path.join(dir, 'grad.params'), '--json');
  assert.equal(run.code, 0, run.out.join('\n') + run.err.join('\n'));
  const bare = await runCli('run', out, '--repeat', '0', '--dim', 'N=3');
  assert.equal(bare.code, 2);
  assert.match(bare.err.join('\n'), /gradient model: 6 of its 6 parameter\(s\) are not given/);
  const keep = await runCli('grad', t, path.join(dir, 'g2.onnx'), '--loss-fn', 'mse', '--on', 'logits', '--wrt', 'fc1.weight', '--keep-outputs', '--json');
  assert.deepEqual(JSON.parse(keep.out.join('\n')).gradients.map((g: { tensor: string }) => g.tensor), ['fc1.weight']);
  // The CNN, with MaxPool's gradient through Indices (CPU only) on request.
  const cnn = path.join(dir, 'cnn-trelu.onnx');
  assert.equal((await runCli('replace', path.join(REPO_ROOT, 'models', 'cnn.onnx'), cnn, '--alpha', '0.1')).code, 0);
  for (const flags of [[], ['--maxpool-indices']]) {
    const g = path.join(dir, `cnn-grad${flags.length}.onnx`);
    const r2 = await runCli('grad', cnn, g, '--loss-fn', 'cross-entropy', '--on', 'logits', '--wrt', 'params', '--json', ...flags);
    assert.equal(r2.code, 0, r2.err.join('\n'));
    assert.deepEqual(JSON.parse(r2.out.join('\n')).warnings, []);
    const ops = decodeModel(new Uint8Array(fs.readFileSync(g))).graph!.node.map((n) => n.opType);
    assert.equal(ops.includes('MaxUnpool'), flags.length > 0, flags.join(' ') || 'default');
  }
  assert.equal((await runCli('grad', t, path.join(dir, 'x.onnx'), '--loss', 'logits', '--wrt', 'params')).code, 2, 'a non-scalar loss');
  assert.equal((await runCli('grad', t, path.join(dir, 'x.onnx'), '--loss-fn', 'mse', '--on', 'logits')).code, 2, 'no --wrt');
  assert.equal((await runCli('grad', t, path.join(dir, 'x.onnx'), '--loss-fn', 'hinge', '--on', 'logits', '--wrt', 'params')).code, 2);
});
