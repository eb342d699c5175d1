// Each kind of bad input gives one line naming the file and what is wrong, a
// hint, exit code 2, no stack trace, and no output file left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { onnx } from '../../src/onnx/proto.js';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';

const MLP = path.join(REPO_ROOT, 'models', 'mlp.onnx');

function assertUserError(r: { code: number; err: string[]; out: string[] }, file: string, pattern: RegExp): void {
  assert.equal(r.code, 2, r.err.join('\n'));
  assert.match(r.err[0]!, /^trelu: /);
  assert.ok(r.err[0]!.includes(file), `error names the file: ${r.err[0]}`);
  assert.match(r.err[0]!, pattern);
  assert.ok(r.err.length <= 2, 'one line and a hint');
  assert.ok(!r.err.join('\n').includes('    at '), 'no stack trace');
}

async function assertBothCommandsRefuse(file: string, pattern: RegExp): Promise<void> {
  assertUserError(await runCli('inspect', file), file, pattern);
  const dir = tmpDir();
  const out = path.join(dir, 'out.onnx');
  assertUserError(await runCli('convert', file, out), file, pattern);
  assert.deepEqual(fs.readdirSync(dir), [], 'no output file (or temporary) left behind');
}

test('truncated model', async () => {
  const file = path.join(tmpDir(), 'truncated.onnx');
  fs.writeFileSync(file, fs.readFileSync(MLP).subarray(0, 5000));
  await assertBothCommandsRefuse(file, /not a valid protobuf/);
});

test('random bytes', async () => {
  const file = path.join(tmpDir(), 'random.onnx');
  let seed = 7;
  fs.writeFileSync(file, Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)));
  await assertBothCommandsRefuse(file, /not a valid protobuf|not an ONNX model/);
});

test('a valid protobuf that is not a model (a TensorProto)', async () => {
  const file = path.join(tmpDir(), 'tensor.pb');
  fs.writeFileSync(file, onnx.TensorProto.encode({ name: 't', dims: [Long.fromNumber(2)], dataType: 1, floatData: [1, 2] }).finish());
  await assertBothCommandsRefuse(file, /not an ONNX model/);
});

test('a valid protobuf with no graph and no ir_version', async () => {
  const file = path.join(tmpDir(), 'empty-model.onnx');
  fs.writeFileSync(file, onnx.ModelProto.encode({ producerName: 'x' }).finish());
  await assertBothCommandsRefuse(file, /not an ONNX model/);
});

test('empty file', async () => {
  const file = path.join(tmpDir(), 'empty.onnx');
  fs.writeFileSync(file, '');
  await assertBothCommandsRefuse(file, /empty/);
});

test('missing file', async () => {
  await assertBothCommandsRefuse(path.join(tmpDir(), 'nope.onnx'), /no such file/);
});

test('a directory', async () => {
  await assertBothCommandsRefuse(tmpDir(), /is a directory/);
});

test('usage errors exit 2', async () => {
  assert.equal((await runCli('inspect')).code, 2);
  assert.equal((await runCli('no-such-command')).code, 2);
  assert.equal((await runCli('convert', MLP, 'x.onnx', '--external-data', 'a', '--inline-data')).code, 2);
  assert.equal((await runCli('convert', MLP, 'x.onnx', '--size-threshold', '12')).code, 2);
  assert.equal((await runCli('--help')).code, 0);
});

test('convert refuses to overwrite its input', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  fs.copyFileSync(MLP, file);
  const before = fs.readFileSync(file);
  const r = await runCli('convert', file, file);
  assert.equal(r.code, 2);
  assert.match(r.err[0]!, /refusing to overwrite/);
  assert.deepEqual(fs.readFileSync(file), before);
  assert.deepEqual(fs.readdirSync(dir), ['m.onnx']);
});
