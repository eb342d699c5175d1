// The rough edges a new user hits, one test each (issue 12, item 4 and 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Long from 'long';
import { onnx, AttributeType, DataType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { parseNpy } from '../../src/runtime/inputs.js';
import { formatFloat32 } from '../../src/rewrite/format.js';
import { CORPUS, REPO_ROOT, runCli, tmpDir } from '../helpers.js';

const MLP = path.join(REPO_ROOT, 'models', 'mlp.onnx');
const CNN = path.join(REPO_ROOT, 'models', 'cnn.onnx');
const BIN = path.join(REPO_ROOT, 'bin', 'trelu.js');

test('EPIPE ends quietly: `trelu inspect m.onnx --nodes | head -1`', async () => {
  // 4000 nodes: far more output than a pipe buffer holds, so writes go on after the reader has left
  const dir = tmpDir();
  const file = path.join(dir, 'long.onnx');
  const node = Array.from({ length: 4000 }, (_, i) => ({ name: `relu_${i}`, opType: 'Relu', input: [i ? `h${i - 1}` : 'x'], output: [i === 3999 ? 'y' : `h${i}`] }));
  const tt = { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(4) }] } } };
  fs.writeFileSync(file, encodeModel(onnx.ModelProto.create({ irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }], graph: { name: 'g', node, input: [{ name: 'x', type: tt }], output: [{ name: 'y', type: tt }] } }) as never));
  const child = spawn(process.execPath, [BIN, 'inspect', file, '--nodes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.once('data', () => child.stdout.destroy()); // the reader goes away after the first chunk
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(err, '');
  assert.equal(code, 0);
});

test('file-system errors are one line and exit 2: --output naming a file, --save-inputs under a file', async () => {
  const r = await runCli('run', MLP, '--output', MLP, '--repeat', '0');
  assert.equal(r.code, 2);
  assert.equal(r.err.length, 2, r.err.join('\n'));
  assert.match(r.err[0]!, /^trelu: --output .*mlp\.onnx: exists and is .*not a directory$/);
  assert.match(r.err[1]!, /^  hint: /);
  const s = await runCli('run', MLP, '--save-inputs', path.join(MLP, 'sub'), '--repeat', '0');
  assert.equal(s.code, 2, s.err.join('\n'));
  assert.equal(s.err.length, 2);
  assert.match(s.err[0]!, /^trelu: .*mlp\.onnx\/sub/);
});

test('run: per output shape, range, mean, NaN/inf and first values; the file each went to (<dir>/<ep>/); --save-inputs replays', async () => {
  const dir = tmpDir();
  const r = await runCli('run', MLP, '--dim', 'N=3', '--repeat', '0', '--output', path.join(dir, 'out'), '--save-inputs', path.join(dir, 'in'));
  assert.equal(r.code, 0, r.err.join('\n'));
  const text = r.out.join('\n');
  assert.match(text, /generated \(seeded random, --seed 0\): input \[3,64\] \(N=3\)/);
  assert.match(text, /output logits: float32\[3,10\] min -?\d.* max -?\d.* mean -?\d.*; first: (-?\d\S* ){6}\.\.\./);
  const file = path.join(dir, 'out', 'cpu', 'logits.npy');
  assert.match(text, new RegExp(`written to ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  const written = parseNpy(new Uint8Array(fs.readFileSync(file)));
  assert.deepEqual(written.dims, [3, 10]);
  // the stats are of what was written: recompute them here
  const values = Array.from(written.data as Float32Array);
  const json = JSON.parse((await runCli('run', MLP, '--input', `input=${path.join(dir, 'in', 'input.npy')}`, '--repeat', '0', '--json')).out.join('\n'));
  const stats = json.results[0].outputs.logits;
  assert.equal(stats.min, Math.min(...values));
  assert.equal(stats.max, Math.max(...values));
  assert.ok(Math.abs(stats.mean - values.reduce((a, b) => a + b, 0) / values.length) < 1e-6);
  assert.deepEqual(stats.first, values.slice(0, 6));
  assert.equal(stats.nan, 0);
  assert.equal(json.inputs.input.invented, null); // given, not generated
});

test("run --output: outputs whose names map to one file name ('a/b', 'a:b') each get their own file, and the report names it", async () => {
  const dir = tmpDir();
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(3) }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g', input: [vi('x')], output: [vi('a/b'), vi('a:b')],
      node: [{ opType: 'Relu', input: ['x'], output: ['a/b'], name: 'r' }, { opType: 'Neg', input: ['x'], output: ['a:b'], name: 'n' }],
    },
  });
  const file = path.join(dir, 'two.onnx');
  fs.writeFileSync(file, encodeModel(model as never));
  const r = await runCli('run', file, '--repeat', '0', '--output', path.join(dir, 'out'), '--json');
  assert.equal(r.code, 0, r.err.join('\n'));
  const outs = JSON.parse(r.out.join('\n')).results[0].outputs;
  const [fa, fb] = [outs['a/b'].file as string, outs['a:b'].file as string];
  assert.notEqual(fa, fb);
  const a = parseNpy(new Uint8Array(fs.readFileSync(fa))).data as Float32Array;
  const b = parseNpy(new Uint8Array(fs.readFileSync(fb))).data as Float32Array;
  // Relu's output is >= 0 and Neg's is its input negated: tell the two files apart by content.
  assert.deepEqual(Array.from(a), outs['a/b'].first);
  assert.deepEqual(Array.from(b), outs['a:b'].first);
  assert.ok(Array.from(a).every((v) => v >= 0));
  assert.ok(Array.from(b).some((v, i) => v !== a[i]), 'the two outputs differ');
});

test('one EP vocabulary: validate --ep nosuch and run --ep nosuch are exit 2; run refuses an EP it cannot start, validate knows it', async () => {
  for (const cmd of [['validate', MLP, '--ep', 'nosuch'], ['run', MLP, '--ep', 'nosuch'], ['check-eps', MLP, '--ep', 'nosuch']]) {
    const r = await runCli(...cmd);
    assert.equal(r.code, 2, cmd.join(' '));
    assert.match(r.err[0]!, /unknown execution provider 'nosuch'/);
    assert.match(r.err[1]!, /known: cpu, webgpu, wasm, cuda, tensorrt, jsep-webgpu, rocm/);
  }
  const run = await runCli('run', MLP, '--ep', 'jsep-webgpu');
  assert.equal(run.code, 2);
  assert.match(run.err[0]!, /'jsep-webgpu' cannot be started from here/);
  assert.equal((await runCli('validate', MLP, '--ep', 'jsep-webgpu,tensorrt')).code, 0);
});

test('alphas print as the shortest float32 decimal; the negative-alpha warning says what changes, on stderr', async () => {
  assert.equal(formatFloat32(Math.fround(0.1)), '0.1');
  assert.equal(formatFloat32(Math.fround(-0.3)), '-0.3');
  assert.equal(formatFloat32(Math.fround(1 / 3)), '0.33333334');
  const dir = tmpDir();
  const out = path.join(dir, 'r.onnx');
  const r = await runCli('replace', MLP, out, '--alpha', '-0.5');
  assert.equal(r.code, 0);
  assert.ok(r.err.some((l) => l.includes('inputs in (-0.5, 0] now pass through unchanged instead of giving 0')), r.err.join('\n'));
  assert.ok(!r.out.some((l) => l.startsWith('warning')));
  const r2 = await runCli('replace', MLP, path.join(dir, 'r2.onnx'), '--alpha', '0.1');
  assert.equal(r2.code, 0);
  const i = await runCli('inspect', path.join(dir, 'r2.onnx'));
  assert.ok(i.out.some((l) => /alpha=0\.1 /.test(l)), i.out.join('\n'));
  assert.ok(!i.out.join('\n').includes('0.10000000149011612'));
});

test('check-eps prints its tolerance and takes --atol/--rtol', async () => {
  const r = await runCli('check-eps', MLP, '--ep', 'cpu', '--atol', '1e-6', '--rtol', '0', '--dim', 'N=2');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.equal(r.out[0], 'tolerance: |diff| <= atol + rtol * |expected|, atol 0.000001 rtol 0 (--atol/--rtol)');
  const bad = await runCli('check-eps', MLP, '--atol', '-1');
  assert.equal(bad.code, 2);
});

test('inspect --nodes lists nodes with inputs → outputs and inferred types', async () => {
  const r = await runCli('inspect', CNN, '--nodes');
  assert.equal(r.code, 0);
  assert.ok(r.out.includes('    pool1  MaxPool(relu1) → pool1: float32[N,8,14,14]'), r.out.join('\n'));
  assert.ok(r.out.includes('    fc  Gemm(flatten, fc.weight, fc.bias) → logits: float32[N,10]'));
});

test('--shape gives unnamed dims (float32[?,?]) a size, and run says which inputs it generated', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'q.onnx');
  fs.writeFileSync(file, encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }, { opType: 'ThresholdedRelu', input: ['y'], output: ['z'], attribute: [{ name: 'alpha', type: AttributeType.FLOAT, f: 0.5 }] }],
      input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{}, {}] } } } }],
      output: [{ name: 'z', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{}, {}] } } } }],
    },
  }) as never));
  const plain = await runCli('run', file, '--repeat', '0');
  assert.match(plain.out.join('\n'), /x \[2,2\] \(dim 0 unnamed=2 \(default; set with --shape x=\.\.\.\), dim 1 unnamed=2/);
  const r = await runCli('run', file, '--shape', 'x=1,512', '--repeat', '0');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.match(r.out.join('\n'), /generated \(seeded random, --seed 0\): x \[1,512\] \(--shape\)/);
  assert.match(r.out.join('\n'), /output z: float32\[1,512\]/);
  assert.equal((await runCli('run', file, '--shape', 'x=1,2,3')).code, 2);
  assert.equal((await runCli('replace', file, path.join(dir, 'o.onnx'), '--verify', '--shape', 'x=3,7')).code, 0);
});

test('no npm warning about project config (no .npmrc line)', () => {
  const r = spawnSync('npm', ['--version'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.doesNotMatch(r.stderr, /Unknown project config/);
});

test('progress lines only on a terminal: piped stderr gets none', () => {
  const r = spawnSync(process.execPath, [BIN, 'run', MLP, '--repeat', '60'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /run \d+\/60/);
});

test('demo --model works on any model with a float output: no Relu and an output named "3" (a ThresholdedRelu goes on it)', async () => {
  const dir = tmpDir();
  const model = path.join(CORPUS, 'pytorch-converted', 'test_Conv2d', 'model.onnx');
  const r = await runCli('demo', '--model', model, '--out', dir);
  assert.equal(r.code, 0, [...r.out, ...r.err].join('\n'));
  assert.ok(r.out.some((l) => /^== 2\. no Relu: insert ThresholdedRelu\(alpha=0\.5\) on output '3'/.test(l)), r.out.join('\n'));
  assert.match(r.out.at(-1)!, /^== summary: insert \+ verify: ok; validate: no errors; check-eps: all usable EPs agree; grad \+ check: ok/);
});
