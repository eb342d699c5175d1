// The fuzzer in CI: every saved crasher (test/fuzz/fixtures/, minimized by
// `npm run fuzz -- --save`) replayed in a worker with time and memory limits,
// a fixed-seed short run, and the IR round trip of fields a mutation removes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { FuzzHarness } from '../../scripts/fuzz/harness.js';
import { fuzz, FIXTURES } from '../../scripts/fuzz/main.js';
import { onnx } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { modelToProto } from '../../src/graph/to-proto.js';

interface FixtureEntry { file: string; finding: string; origin: string }

test('every saved fuzz crasher now ends in success or a typed error, within 10 s and 2 GB', async () => {
  const indexFile = path.join(FIXTURES, 'fixtures.json');
  const index: FixtureEntry[] = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  assert.ok(index.length > 0, 'the fixture list is not empty');
  const harness = new FuzzHarness({ timeoutMs: 10_000, memoryMb: 2048 });
  try {
    const failures: string[] = [];
    for (const f of index) {
      const v = await harness.run(new Uint8Array(fs.readFileSync(path.join(FIXTURES, f.file))));
      if (v.kind !== 'ok' && v.kind !== 'rejected') failures.push(`${f.file} (was ${f.finding}): ${JSON.stringify(v)}`);
    }
    assert.deepEqual(failures, []);
  } finally {
    harness.close();
  }
});

test('a fixed-seed run of 2,000 mutated corpus models: no crash, hang or memory blow-up', async () => {
  const s = await fuzz(2000, 20261201, { timeoutMs: 30_000, memoryMb: 2048 }); // 30 s: a loaded CI machine must not turn a slow input into a hang
  assert.equal(s.ok + Object.values(s.rejected).reduce((a, b) => a + b, 0) + s.bugs + s.hangs + s.memory, 2000);
  assert.deepEqual(s.findings, []);
  // The mutations must reach past the decoder for the run to mean anything.
  assert.ok(s.ok > 500, `only ${s.ok} inputs decoded and went through every stage`);
});

test('a node without op_type (or name, domain) round-trips through the IR byte for byte', () => {
  const bytes = encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: { name: 'g', node: [{ input: ['x'], output: ['y'] }], input: [{ name: 'x' }], output: [{ name: 'y' }] },
  }));
  const back = encodeModel(modelToProto(modelFromProto(decodeModel(bytes))));
  assert.deepEqual(Buffer.from(back), Buffer.from(bytes));
});

test('every Object.prototype key as an op type (at opsets 7, 13, 17) goes through the whole pipeline without a crash', async () => {
  const { runPipeline } = await import('../../scripts/fuzz/pipeline.js');
  const { DataType } = await import('../../src/onnx/proto.js');
  const keys = [...Object.getOwnPropertyNames(Object.prototype), 'prototype', 'length', 'name'];
  const t = { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(2) }] } } };
  const bugs: string[] = [];
  for (const opset of [7, 13, 17]) {
    for (const k of keys) {
      const bytes = encodeModel(onnx.ModelProto.create({
        irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(opset) }],
        graph: { name: 'g', node: [{ opType: k, input: ['x'], output: ['y'] }, { opType: 'Relu', input: ['y'], output: ['z'] }], input: [{ name: 'x', type: t }], output: [{ name: 'z', type: t }] },
      }));
      const r = runPipeline(bytes);
      if (r.kind === 'bug') bugs.push(`${k}@${opset}: ${r.signature}: ${r.message}`);
    }
  }
  assert.deepEqual(bugs, []);
});
