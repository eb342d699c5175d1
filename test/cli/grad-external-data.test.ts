import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';

// ORT resolves external data against the working directory for a model given as bytes, and refuses
// a location outside it: `grad --check` on a model in another directory failed with "escapes working
// directory" before the check ran the model with its tensors inline.
test('grad --check on a model with external data in another directory than the working one', async () => {
  const dir = tmpDir();
  const ext = path.join(dir, 'o', 'm-ext.onnx');
  const conv = await runCli('convert', path.join(REPO_ROOT, 'models/mlp.onnx'), ext, '--external-data', 'm-ext.onnx.data', '--size-threshold', '0');
  assert.equal(conv.code, 0, conv.err.join('\n'));
  assert.notEqual(path.dirname(ext), process.cwd());
  const r = await runCli('grad', ext, path.join(dir, 'g.onnx'), '--loss-fn', 'cross-entropy', '--on', 'logits', '--wrt', 'fc1.weight', '--check', '--json');
  assert.equal(r.code, 0, r.err.join('\n'));
  const report = JSON.parse(r.out.join('\n'));
  assert.equal(report.check.ok, true);
  const c = report.check.tensors.find((t: { tensor: string }) => t.tensor === 'fc1.weight');
  assert.ok(c.checked > 0 && c.maxRelError < 1e-3, JSON.stringify(c));
});
