/** artifactsOrtCommand (what `trelu artifacts --format ort` runs): files, warnings, safety, and ORT loads them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isTreluError } from '../../src/errors.js';
import { artifactsOrtCommand, addOrtArtifactOptions, optimizerFromOptions, ORT_ARTIFACT_FILES, type ArtifactsOrtOptions } from '../../src/cli/artifacts-ort.js';
import { REPO_ROOT, tmpDir } from '../helpers.js';
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
