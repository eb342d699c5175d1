// trelu grad's --check that can fail (NaN, unchecked tensors, --check-samples), nothing written on
// failure, the params folder with its manifest, --untie, and parameters stored as external data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { onnx, DataType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { readParamsDir } from '../../src/node/params.js';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';

const L = (n: number) => Long.fromNumber(n);
const f32 = (name: string, dims: number[], v: number[]) => ({ name, dataType: DataType.FLOAT, dims: dims.map(L), rawData: new Uint8Array(Float32Array.from(v).buffer) });

/** loss = ReduceSum(op(W) * R), W a parameter named `wName`. */
function paramModel(file: string, op: string, w: number[], wName = 'W'): string {
  const proto = onnx.ModelProto.create({
    irVersion: L(8), opsetImport: [{ domain: '', version: L(17) }],
    graph: {
      name: 'g',
      node: [{ opType: op, input: [wName], output: ['y'] }, { opType: 'Mul', input: ['y', 'R'], output: ['yr'] }, { opType: 'ReduceSum', input: ['yr'], output: ['loss'], attribute: [{ name: 'keepdims', type: 2, i: L(0) }] }],
      input: [],
      output: [{ name: 'loss', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [] } } } }],
      initializer: [f32(wName, [w.length], w), f32('R', [w.length], w.map((_, i) => 0.5 + i))],
    },
  });
  fs.writeFileSync(file, encodeModel(proto as never));
  return file;
}

test('--check fails on NaN (exit 1) and writes nothing', async () => {
  const dir = tmpDir();
  const m = paramModel(path.join(dir, 'sqrt.onnx'), 'Sqrt', [4, -1, 9]);
  const out = path.join(dir, 'g.onnx');
  const r = await runCli('grad', m, out, '--loss', 'loss', '--wrt', 'W', '--check');
  assert.equal(r.code, 1, r.out.join('\n') + r.err.join('\n'));
  assert.match(r.out.join('\n'), /W: max relative error NaN or inf/);
  assert.match(r.out.join('\n'), /check: FAILED/);
  assert.deepEqual(fs.readdirSync(dir), ['sqrt.onnx'], 'no gradient model and no params folder');
  const j = await runCli('grad', m, out, '--loss', 'loss', '--wrt', 'params', '--check', '--json');
  assert.equal(j.code, 1);
  assert.deepEqual(JSON.parse(j.out.join('\n')).check.failed, ['W', 'R'], 'dR = sqrt(W) is NaN too');
});

test('--check: a tensor whose samples all sit on a kink fails unless --allow-unchecked; --check-samples', async () => {
  const dir = tmpDir();
  const m = paramModel(path.join(dir, 'relu.onnx'), 'Relu', [0, 0, 0, 0]);
  const out = path.join(dir, 'g.onnx');
  const r = await runCli('grad', m, out, '--loss', 'loss', '--wrt', 'params', '--check', '--json');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out.join('\n'));
  assert.deepEqual([j.check.unchecked, j.check.ok, fs.existsSync(out)], [['W'], false, false]);
  const ok = await runCli('grad', m, out, '--loss', 'loss', '--wrt', 'params', '--check', '--allow-unchecked', '--json');
  assert.equal(ok.code, 0, ok.err.join('\n'));
  assert.ok(fs.existsSync(out));
  const smooth = paramModel(path.join(dir, 'tanh.onnx'), 'Tanh', [0.1, -0.4, 0.7, 1.2, -1.5]);
  const s = await runCli('grad', smooth, path.join(dir, 't.onnx'), '--loss', 'loss', '--wrt', 'params', '--check', '--check-samples', '3', '--json');
  assert.equal(s.code, 0, s.err.join('\n'));
  assert.equal(JSON.parse(s.out.join('\n')).check.tensors[0].checked, 3);
  assert.equal((await runCli('grad', smooth, path.join(dir, 't.onnx'), '--loss', 'loss', '--wrt', 'params', '--check-samples', '3')).code, 2, 'needs --check');
  assert.equal((await runCli('grad', smooth, path.join(dir, 't.onnx'), '--loss', 'loss', '--wrt', 'params', '--check', '--check-samples', '0')).code, 2);
});

test('the params folder: a manifest maps tensor names (with / and :) to files, read back by --params', async () => {
  const dir = tmpDir();
  const m = paramModel(path.join(dir, 'tanh.onnx'), 'Tanh', [0.1, -0.4, 0.7], 'onnx::Conv/w:1');
  const out = path.join(dir, 'g.onnx');
  assert.equal((await runCli('grad', m, out, '--loss', 'loss', '--wrt', 'params')).code, 0);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'g.params', 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.tensors.map((t: { name: string; shape: number[]; dtype: string }) => [t.name, t.shape, t.dtype]), [['onnx::Conv/w:1', [3], 'float32'], ['R', [3], 'float32']].slice(0, manifest.tensors.length));
  const params = readParamsDir(path.join(dir, 'g.params'));
  assert.deepEqual(Array.from(params['onnx::Conv/w:1']!.data as Float32Array), [0.1, -0.4, 0.7].map(Math.fround));
  const run = await runCli('run', out, '--repeat', '0', '--params', path.join(dir, 'g.params'), '--json');
  assert.equal(run.code, 0, run.err.join('\n'));
  // a damaged folder is an error naming the file
  const file = manifest.tensors[0].file;
  fs.rmSync(path.join(dir, 'g.params', file));
  const broken = await runCli('run', out, '--repeat', '0', '--params', path.join(dir, 'g.params'));
  assert.equal(broken.code, 2);
  assert.match(broken.err.join('\n'), new RegExp(`'${file.replace(/\./g, '\\.')}' \\(for 'onnx::Conv/w:1'\\) is missing`));
});

test('parameters stored as external data are read: the same gradient and parameters as the inline model', async () => {
  const dir = tmpDir();
  const mlp = path.join(REPO_ROOT, 'models', 'mlp.onnx');
  const ext = path.join(dir, 'ext.onnx');
  assert.equal((await runCli('convert', mlp, ext, '--external-data', 'ext.onnx.data', '--size-threshold', '100')).code, 0);
  const a = await runCli('grad', mlp, path.join(dir, 'a.onnx'), '--loss-fn', 'cross-entropy', '--on', 'logits', '--wrt', 'params', '--check', '--dim', 'N=4', '--json');
  const b = await runCli('grad', ext, path.join(dir, 'b.onnx'), '--loss-fn', 'cross-entropy', '--on', 'logits', '--wrt', 'params', '--check', '--dim', 'N=4', '--json');
  assert.equal(a.code, 0, a.err.join('\n'));
  assert.equal(b.code, 0, b.err.join('\n'));
  const pa = readParamsDir(path.join(dir, 'a.params'));
  const pb = readParamsDir(path.join(dir, 'b.params'));
  assert.deepEqual(Object.keys(pb).sort(), Object.keys(pa).sort());
  for (const k of Object.keys(pa)) assert.deepEqual(Array.from(pb[k]!.data as Float32Array), Array.from(pa[k]!.data as Float32Array), k);
  assert.deepEqual(JSON.parse(b.out.join('\n')).check.tensors.map((t: { maxRelError: number }) => t.maxRelError), JSON.parse(a.out.join('\n')).check.tensors.map((t: { maxRelError: number }) => t.maxRelError));
});
