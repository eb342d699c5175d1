// A gradient model's parameter folder (src/node/params.ts): tf2onnx writes tensor names of 300 and
// more characters (M-LSD's BatchNorm-folded weights), which no file system takes as file names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readParamsDir, writeParamsDir } from '../../src/node/params.js';
import { npyFileName } from '../../src/node/npy-files.js';
import { tmpDir } from '../helpers.js';

const long = (tail: string) => `WireFrameModel_with_alpha/block_7_expand_relu/Relu6_WireFrameModel_with_alpha/block_7_expand_BN/FusedBatchNormV3_WireFrameModel_with_alpha/block_8_depthwise_BN/FusedBatchNormV3_WireFrameModel_with_alpha/block_8_depthwise/depthwise_WireFrameModel_with_alpha/block_9_depthwise/depthwise/${tail}:0`;

test('tensor names longer than a file name may be: files under 255 bytes, still unique, read back through the manifest', () => {
  const names = [long('a'), long('b'), 'short/name'];
  for (const n of names) assert.ok(Buffer.byteLength(npyFileName(n)) <= 255, `${npyFileName(n).length} bytes`);
  assert.notEqual(npyFileName(long('a')), npyFileName(long('b')), 'two long names sharing their first 160 characters');
  assert.equal(npyFileName('short/name'), 'short_name.npy', 'short names keep the documented mapping');
  const dir = path.join(tmpDir(), 'g.params');
  const tensors = Object.fromEntries(names.map((n, i) => [n, { type: 'float32' as const, data: Float32Array.of(i, i + 0.5), dims: [2] }]));
  writeParamsDir(dir, tensors);
  const back = readParamsDir(dir);
  assert.deepEqual(Object.keys(back).sort(), [...names].sort());
  names.forEach((n, i) => assert.deepEqual([...(back[n]!.data as Float32Array)], [i, i + 0.5]));
});

test('undo() removes what one writeParamsDir wrote, and the folder it made', () => {
  const dir = path.join(tmpDir(), 'g.params');
  const w = writeParamsDir(dir, { w: { type: 'float32', data: Float32Array.of(1), dims: [1] } });
  assert.ok(fs.existsSync(path.join(dir, 'manifest.json')));
  w.undo();
  assert.equal(fs.existsSync(dir), false);
});
