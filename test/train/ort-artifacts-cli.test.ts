/** artifactsOrtCommand (what `trelu artifacts --format ort` runs): files, warnings, safety, and ORT loads them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isTreluError } from '../../src/errors.js';
import { artifactsOrtCommand, addOrtArtifactOptions, optimizerFromOptions, ORT_ARTIFACT_FILES, type ArtifactsOrtOptions } from '../../src/cli/artifacts-ort.js';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';
import { loadModelFile } from '../../src/node/model-file.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { readOrtCheckpoint, writeOrtCheckpoint } from '../../src/train/ort/checkpoint.js';
import { loadOrtTraining } from './ort-training-runtime.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
};

test('artifactsOrtCommand: writes the four files ORT loads, warns about the learning rate and SGD, refuses bad options', async () => {
  const dir = tmpDir('trelu-art-');
  try {
    const model = path.join(REPO_ROOT, 'models/mlp.onnx');
    const c = capture();
    assert.equal(artifactsOrtCommand(c.io, model, path.join(dir, 'a'), { lossFn: 'cross-entropy', on: 'logits', lr: '0.01', frozen: ['fc3.bias'] }), 0);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'a')).sort(), [...ORT_ARTIFACT_FILES].sort());
    assert.match(c.err.join('\n'), /warning: ORT trains at 0\.001 .*--scale-lr/);
    const read = (n: string) => new Uint8Array(fs.readFileSync(path.join(dir, 'a', n)));
    const ort = await loadOrtTraining();
    const s = await ort.TrainingSession.create({ checkpointState: read('checkpoint'), trainModel: read('training_model.onnx'), evalModel: read('eval_model.onnx'), optimizerModel: read('optimizer_model.onnx') });
    assert.deepEqual([...s.trainingInputNames], ['input', 'labels']);
    await s.release();

    // Run again into the same folder: refused, the files untouched.
    const before = fs.readFileSync(path.join(dir, 'a', 'checkpoint'));
    assert.throws(() => artifactsOrtCommand(capture().io, model, path.join(dir, 'a'), { lossFn: 'cross-entropy', on: 'logits', lr: '0.5' }), /holds ORT artifacts already/);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'a', 'checkpoint')), before);

    const sgd = capture();
    assert.equal(artifactsOrtCommand(sgd.io, model, path.join(dir, 'b'), { lossFn: 'cross-entropy', on: 'logits', optimizer: 'sgd', json: true }), 0);
    assert.match(JSON.parse(sgd.out.join('\n')).warnings.join('\n'), /support AdamW only/);

    const refused: [ArtifactsOrtOptions, RegExp][] = [
      [{ lossFn: 'cross-entropy', on: 'logits', optimizer: 'lamb' }, /--optimizer 'lamb'/],
      [{ lossFn: 'cross-entropy', on: 'logits', lr: 'fast' }, /--lr 'fast'/],
      [{ lossFn: 'cross-entropy', on: 'logits', frozen: ['nope'] }, /frozen parameter 'nope'/],
      [{ lossFn: 'cross-entropy', on: 'logits', wrt: ['fc1.weight'], frozen: ['fc1.weight'] }, /both trainable and frozen/],
    ];
    for (const [opts, pattern] of refused) {
      assert.throws(() => artifactsOrtCommand(capture().io, model, path.join(dir, 'c'), opts), (e: unknown) => isTreluError(e) && pattern.test(e.message));
    }
    assert.ok(!fs.existsSync(path.join(dir, 'c')) || fs.readdirSync(path.join(dir, 'c')).length === 0, 'nothing written on a refused command');
    // An output directory that is a file is refused, and left alone.
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    assert.throws(() => artifactsOrtCommand(capture().io, model, path.join(dir, 'file'), { lossFn: 'cross-entropy', on: 'logits' }), isTreluError);
    assert.equal(fs.readFileSync(path.join(dir, 'file'), 'utf8'), 'x');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('addOrtArtifactOptions: commander flags land on ArtifactsOrtOptions names', async () => {
  const { Command } = await import('commander');
  let seen: ArtifactsOrtOptions | undefined;
  const cmd = addOrtArtifactOptions(new Command('artifacts').exitOverride(), { common: true }).action((opts: ArtifactsOrtOptions) => { seen = opts; });
  await cmd.parseAsync(['--loss-fn', 'cross-entropy', '--on', 'logits', '--lr', '0.01', '--weight-decay', '0', '--betas', '0.8,0.99', '--adam-mode', 'huggingface', '--clip-grad-norm', '1', '--scale-lr', '--frozen', 'fc3.bias'], { from: 'user' });
  assert.ok(seen);
  assert.deepEqual(optimizerFromOptions(seen), { type: 'adamw', learningRate: 0.01, weightDecay: 0, eps: undefined, betas: [0.8, 0.99], mode: 'huggingface' });
  assert.equal(seen.clipGradNorm, '1');
  assert.equal(seen.scaleLr, true);
  assert.deepEqual(seen.frozen, ['fc3.bias']);
});

test('an ORT checkpoint with trained weights → trelu checkpoint convert --for <artifacts> → trelu export (or trelu export --checkpoint <ORT checkpoint>): the model holds those weights; a checkpoint of another model is refused naming each parameter', async () => {
  const dir = tmpDir('trelu-ort2trelu-');
  try {
    const model = path.join(REPO_ROOT, 'models/mlp.onnx');
    // Weights trained in ORT's runtime (3 AdamW steps on our ORT artifacts), written as an ORT checkpoint.
    assert.equal(artifactsOrtCommand(capture().io, model, path.join(dir, 'ort'), { lossFn: 'cross-entropy', on: 'logits', lr: '0.01', scaleLr: true }), 0);
    const read = (n: string) => new Uint8Array(fs.readFileSync(path.join(dir, 'ort', n)));
    const ort = await loadOrtTraining();
    const s = await ort.TrainingSession.create({ checkpointState: read('checkpoint'), trainModel: read('training_model.onnx'), optimizerModel: read('optimizer_model.onnx') });
    const x = new ort.Tensor('float32', Float32Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i)), [4, 64]);
    const y = new ort.Tensor('int64', BigInt64Array.from([1n, 2n, 3n, 4n]), [4]);
    for (let k = 0; k < 3; k++) { await s.runTrainStep({ input: x, labels: y }); await s.runOptimizerStep(); await s.lazyResetGrad(); }
    const flat = (await s.getContiguousParameters(true)).data as Float32Array;
    await s.release();
    const ckpt = readOrtCheckpoint(read('checkpoint'));
    const order = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias'];
    let at = 0;
    const trained = new Map<string, Float32Array>();
    for (const name of order) {
      const t = ckpt.trainable.find((p) => p.name === name)!;
      const n = t.data.length / 4;
      trained.set(name, flat.slice(at, at + n));
      t.data = new Uint8Array(flat.slice(at, at + n).buffer);
      at += n;
    }
    ckpt.optimizerGroups[0]!.step = 3;
    fs.writeFileSync(path.join(dir, 'trained.ckpt'), writeOrtCheckpoint(ckpt));

    let r = await runCli('artifacts', model, '--out', path.join(dir, 'run'), '--loss-fn', 'cross-entropy', '--on', 'logits', '--optimizer', 'adamw');
    assert.equal(r.code, 0, r.err.join('\n'));
    r = await runCli('checkpoint', 'convert', path.join(dir, 'trained.ckpt'), path.join(dir, 'run', 'from-ort.safetensors'), '--for', path.join(dir, 'run'));
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out.join('\n'), /step 3/);
    r = await runCli('export', path.join(dir, 'run'), path.join(dir, 'trained.onnx'), '--checkpoint', path.join(dir, 'run', 'from-ort.safetensors'));
    assert.equal(r.code, 0, r.err.join('\n'));
    // In one command: trelu export takes the ORT checkpoint itself.
    r = await runCli('export', path.join(dir, 'run'), path.join(dir, 'trained-direct.onnx'), '--checkpoint', path.join(dir, 'trained.ckpt'));
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(fs.readFileSync(path.join(dir, 'trained-direct.onnx')), fs.readFileSync(path.join(dir, 'trained.onnx')));
    const exported = loadModelFile(path.join(dir, 'trained.onnx')).model;
    const original = loadModelFile(model).model;
    assert.notDeepEqual(tensorToFloat32(original.graph!.initializer!.find((t) => t.name === 'fc1.weight')!), trained.get('fc1.weight'), 'training moved the weights');
    for (const [name, values] of trained) {
      const init = exported.graph!.initializer!.find((t) => t.name === name)!;
      assert.deepEqual(tensorToFloat32(init), values, `${name} in the exported model = ORT's trained values`);
    }
    // The CNN's artifacts do not fit the MLP's checkpoint: refused, each parameter named.
    r = await runCli('artifacts', path.join(REPO_ROOT, 'models/cnn.onnx'), '--out', path.join(dir, 'cnn'), '--loss-fn', 'cross-entropy', '--on', 'logits', '--optimizer', 'adamw');
    assert.equal(r.code, 0, r.err.join('\n'));
    r = await runCli('checkpoint', 'convert', path.join(dir, 'trained.ckpt'), path.join(dir, 'x.safetensors'), '--for', path.join(dir, 'cnn'));
    assert.equal(r.code, 2);
    assert.match(r.err[0]!, /does not fit these artifacts: 'conv1\.weight' is not in the ORT checkpoint; 'conv1\.bias' is not/);
    assert.ok(!fs.existsSync(path.join(dir, 'x.safetensors')));
    r = await runCli('export', path.join(dir, 'cnn'), path.join(dir, 'x.onnx'), '--checkpoint', path.join(dir, 'trained.ckpt'));
    assert.equal(r.code, 2);
    assert.match(r.err[0]!, /does not fit these artifacts: 'conv1\.weight' is not in the ORT checkpoint/);
    assert.ok(!fs.existsSync(path.join(dir, 'x.onnx')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('artifactsOrtCommand takes trelu artifacts\' --freeze, with /regex/', () => {
  const dir = tmpDir('trelu-art-');
  try {
    const c = capture();
    assert.equal(artifactsOrtCommand(c.io, path.join(REPO_ROOT, 'models/mlp.onnx'), dir, { lossFn: 'cross-entropy', on: 'logits', freeze: ['/^fc1\\./'], json: true }), 0);
    const summary = JSON.parse(c.out.join('\n'));
    assert.deepEqual(summary.frozen, ['fc1.weight', 'fc1.bias']);
    assert.deepEqual(summary.trainable, ['fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']);
    assert.throws(() => artifactsOrtCommand(capture().io, path.join(REPO_ROOT, 'models/mlp.onnx'), path.join(dir, 'x'), { lossFn: 'cross-entropy', on: 'logits', freeze: ['/^conv/'] }), /matches no initializer/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
