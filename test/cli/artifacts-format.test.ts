/** `trelu artifacts --format trelu|ort`: one command, two artifact formats; options of the other format are refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';
import { loadOrtTraining } from '../train/ort-training-runtime.js';

const MLP = path.join(REPO_ROOT, 'models/mlp.onnx');

test('trelu artifacts --format ort writes ORT\'s four artifacts (AdamW by default), which ORT\'s training runtime takes', async () => {
  const dir = tmpDir();
  const out = path.join(dir, 'ort');
  const r = await runCli('artifacts', MLP, '--out', out, '--format', 'ort', '--loss-fn', 'cross-entropy', '--on', 'logits', '--lr', '1e-3');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoint', 'eval_model.onnx', 'optimizer_model.onnx', 'training_model.onnx']);
  const read = (n: string) => new Uint8Array(fs.readFileSync(path.join(out, n)));
  const optimizer = fs.readFileSync(path.join(out, 'optimizer_model.onnx')).toString('latin1');
  assert.match(optimizer, /AdamWOptimizer/);
  const ort = await loadOrtTraining();
  const s = await ort.TrainingSession.create({ checkpointState: read('checkpoint'), trainModel: read('training_model.onnx'), evalModel: read('eval_model.onnx'), optimizerModel: read('optimizer_model.onnx') });
  assert.deepEqual([...s.trainingInputNames], ['input', 'labels']);
  await s.release();
});

test('trelu artifacts: the default format is ours (train_step.onnx), and each format refuses the other\'s options (exit 2, nothing written)', async () => {
  const dir = tmpDir();
  const ours = await runCli('artifacts', MLP, '--out', path.join(dir, 'ours'), '--loss-fn', 'cross-entropy', '--on', 'logits');
  assert.equal(ours.code, 0, ours.err.join('\n'));
  assert.ok(fs.existsSync(path.join(dir, 'ours', 'train_step.onnx')));
  for (const [args, re] of [
    [['--format', 'ort', '--nesterov'], /--nesterov is not an option of --format ort/],
    [['--scale-lr'], /--scale-lr is not an option of --format trelu/],
    [['--format', 'onnx'], /--format 'onnx' is not trelu or ort/],
  ] as const) {
    const target = path.join(dir, `bad-${args.join('')}`);
    const r = await runCli('artifacts', MLP, '--out', target, '--loss-fn', 'cross-entropy', '--on', 'logits', ...args);
    assert.equal(r.code, 2, r.err.join('\n'));
    assert.match(r.err.join('\n'), re);
    assert.equal(fs.existsSync(target), false);
  }
});
