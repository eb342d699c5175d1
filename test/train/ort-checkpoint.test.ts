/**
 * ORT training checkpoints: our writer and reader, our verifier against ORT's
 * (the training runtime must refuse what we refuse), safetensors conversion,
 * and `trelu checkpoint`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadModelFile } from '../../src/node/model-file.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { DataType } from '../../src/onnx/proto.js';
import { isTreluError } from '../../src/errors.js';
import { buildOrtArtifacts } from '../../src/train/ort/artifacts.js';
import { readOrtCheckpoint, writeOrtCheckpoint, type OrtCheckpoint } from '../../src/train/ort/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/train/checkpoint/safetensors.js';
import { ortToSafetensors, safetensorsToOrt, matchCheckpointToModel, assertCheckpointMatchesModel, checkpointParameters, fromSafetensors, toNamedTensors } from '../../src/train/ort/convert.js';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';
import { loadOrtTraining } from './ort-training-runtime.js';

function mlpArtifacts() {
  const model = modelFromProto(loadModelFile(path.join(REPO_ROOT, 'models/mlp.onnx')).model);
  return buildOrtArtifacts(model, {
    lossFn: 'cross-entropy', on: 'logits', frozen: ['fc3.bias'], optimizer: { type: 'adamw', learningRate: 0.01 },
    properties: { ints: { epoch: 3n, big: -(2n ** 62n) }, floats: { best_loss: 0.25 }, strings: { note: 'ThresholdedRelu ✓' } },
  });
}

test('checkpoint: what we write reads back the same (parameters, frozen, optimizer group, property bag)', () => {
  const a = mlpArtifacts();
  const back = readOrtCheckpoint(a.checkpointBytes);
  // Tensors come back sorted by name (as ORT saves them); the learning rate is a float32 in the file.
  const byName = <T extends { name: string }>(xs: T[]) => [...xs].sort((x, y) => (x.name < y.name ? -1 : 1));
  const sorted = (c: OrtCheckpoint) => ({
    ...c, trainable: byName(c.trainable),
    optimizerGroups: c.optimizerGroups.map((g) => ({ ...g, initialLearningRate: Math.fround(g.initialLearningRate), parameters: byName(g.parameters) })),
  });
  assert.deepEqual(sorted(back), sorted(a.checkpoint));
  assert.deepEqual(back.frozen.map((t) => t.name), ['fc3.bias']);
  assert.equal(back.properties.ints.big, -(2n ** 62n));
  assert.deepEqual(back.optimizerGroups[0]!.parameters[0]!.momentums.map((m) => m.name), ['momentum0', 'momentum1']);
  // Deterministic: writing what we read gives the same bytes.
  assert.deepEqual(writeOrtCheckpoint(back), a.checkpointBytes);
});

test('checkpoint: ORT\'s training runtime loads it with frozen parameters and properties; trainable-only and all parameters read back', async () => {
  const a = mlpArtifacts();
  const ort = await loadOrtTraining();
  const s = await ort.TrainingSession.create({ checkpointState: a.checkpointBytes, trainModel: encodeModel(a.trainingModel), evalModel: encodeModel(a.evalModel), optimizerModel: encodeModel(a.optimizerModel) });
  try {
    const count = (names: string[]) => names.reduce((n, name) => n + a.checkpoint.trainable.concat(a.checkpoint.frozen).find((t) => t.name === name)!.data.length / 4, 0);
    assert.equal(await s.getParametersSize(true), count(a.report.trainable));
    assert.equal(await s.getParametersSize(false), count([...a.report.trainable, 'fc3.bias']));
  } finally {
    await s.release();
  }
});

test('checkpoint: truncated, corrupted and foreign bytes are refused with E_CHECKPOINT, never a crash; on truncation our verdict is ORT\'s', async () => {
  const good = mlpArtifacts().checkpointBytes;
  const refused = (bytes: Uint8Array): boolean => {
    try {
      readOrtCheckpoint(bytes, 'x');
      return false;
    } catch (e) {
      assert.ok(isTreluError(e), `not a TreluError: ${String(e)}`);
      assert.match(e.code, /^E_(CHECKPOINT|UNSUPPORTED)$/);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    }
  };
  // Truncated: our verdict must be ORT's (FlatBuffers builds back to front, so the root table sits at the
  // start and the first tensors' bytes at the end; a trailing alignment byte may be missing harmlessly).
  const ort = await loadOrtTraining();
  const a = mlpArtifacts();
  const train = encodeModel(a.trainingModel);
  const ortRefuses = async (bytes: Uint8Array) => {
    try {
      const s = await ort.TrainingSession.create({ checkpointState: bytes, trainModel: train });
      await s.release();
      return false;
    } catch (e) {
      // ORT's message when its verifier refuses; another failure would be a different finding.
      assert.match(String((e as Error).message ?? e), /Checkpoint verification failed|checkpoint/i);
      return true;
    }
  };
  const cuts = [0, 3, 7, 8, 64, good.length >> 2, good.length >> 1, good.length - 100, good.length - 8, good.length - 1];
  for (const n of cuts) {
    const prefix = good.slice(0, n);
    assert.equal(refused(prefix), await ortRefuses(prefix), `prefix of ${n} of ${good.length} bytes: ours and ORT's verdicts agree`);
  }
  for (const n of [good.length >> 1, good.length - 100]) assert.ok(refused(good.subarray(0, n)), `prefix of ${n} refused`);
  // Random corruption of the tables (the first bytes; the tensors' data fills the rest): whenever ORT's
  // verifier refuses a file, ours does too; everything else is read or refused, never thrown otherwise.
  let seed = 5;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const verdicts = { bothRefuse: 0, bothAccept: 0 };
  for (let trial = 0; trial < 60; trial++) {
    const bad = good.slice();
    for (let k = 0; k < 2; k++) bad[8 + Math.floor(rand() * 700)] = Math.floor(rand() * 256);
    const ours = refused(bad);
    let ortVerifierRefused = false;
    try {
      const s = await ort.TrainingSession.create({ checkpointState: bad, trainModel: train });
      await s.release();
    } catch (e) {
      ortVerifierRefused = /Checkpoint verification failed/.test(String((e as Error)?.message ?? e));
    }
    if (ortVerifierRefused) assert.ok(ours, `trial ${trial}: ORT's verifier refused a file that ours accepted`);
    if (ortVerifierRefused) verdicts.bothRefuse++;
    if (!ours && !ortVerifierRefused) verdicts.bothAccept++;
  }
  assert.ok(verdicts.bothRefuse > 10 && verdicts.bothAccept > 10, `both kinds of corruption occurred: ${JSON.stringify(verdicts)}`);
  // Foreign files.
  assert.ok(refused(fs.readFileSync(path.join(REPO_ROOT, 'models/mlp.onnx'))));
  const idSwapped = good.slice();
  idSwapped.set([0x4f, 0x52, 0x54, 0x4d], 4); // ORTM: an ORT-format model
  assert.ok(refused(idSwapped));
  // Another checkpoint version.
  const v1 = writeOrtCheckpoint({ ...readOrtCheckpoint(good), version: 1 });
  assert.throws(() => readOrtCheckpoint(v1, 'v1'), /version 1/);
});

test('checkpoint: a tensor whose bytes do not match its shape is not written', async () => {
  const a = mlpArtifacts();
  const t = a.checkpoint.trainable[0]!;
  const c = { ...a.checkpoint, trainable: [{ ...t, dims: [t.dims[0]! + 1, t.dims[1]!] }, ...a.checkpoint.trainable.slice(1)] };
  assert.throws(() => writeOrtCheckpoint(c), /bytes for FLOAT/);
});

test('safetensors: ORT checkpoint → safetensors → ORT is lossless (byte-identical), and Python (json + numpy, from the spec) reads the same tensors', () => {
  const a = mlpArtifacts();
  const st = ortToSafetensors(readOrtCheckpoint(a.checkpointBytes));
  {
    const file = encodeSafetensors(toNamedTensors(st), st.metadata);
    // Header: u64 length, JSON, padded to 8; data offsets relative to the data section.
    const n = Number(new DataView(file.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n)));
    assert.deepEqual(header['fc1.weight'].shape, [128, 64]);
    assert.equal(header['fc1.weight'].dtype, 'F32');
    const [b0, b1] = header['fc1.weight'].data_offsets;
    const w = a.checkpoint.trainable.find((t) => t.name === 'fc1.weight')!;
    assert.deepEqual(file.subarray(8 + n + b0, 8 + n + b1), w.data);
    // An independent reader (Python's json + numpy, reading the format from its spec) sees the same tensors.
    const stFile = path.join(tmpDir('trelu-st-'), 'w.safetensors');
    fs.writeFileSync(stFile, file);
    const py = spawnSync('/usr/bin/python3', ['-c', [
      'import json, struct, sys, numpy as np',
      'b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])',
      'out = {k: [v["dtype"], v["shape"], float(np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], dtype="<f4").astype(np.float64).sum())] for k, v in h.items() if k != "__metadata__"}',
      'print(json.dumps(out))',
    ].join('\n'), stFile], { encoding: 'utf8' });
    fs.rmSync(path.dirname(stFile), { recursive: true, force: true });
    assert.equal(py.status, 0, py.stderr);
    const seen = JSON.parse(py.stdout) as Record<string, [string, number[], number]>;
    for (const t of [...a.checkpoint.trainable, ...a.checkpoint.frozen]) {
      const [dtype, shape, sum] = seen[t.name]!;
      assert.deepEqual([dtype, shape], ['F32', t.dims]);
      const f = new Float32Array(t.data.slice().buffer);
      assert.ok(Math.abs(sum - f.reduce((x, y) => x + y, 0)) <= 1e-9 * f.length, `${t.name} values`);
    }
    const back = writeOrtCheckpoint(safetensorsToOrt(fromSafetensors(decodeSafetensors(file))));
    assert.deepEqual(back, a.checkpointBytes);
    assert.equal(decodeSafetensors(file).tensors.size, st.tensors.length);
  }
});

test('a trelu train checkpoint (issue 13\'s safetensors) reads as an ORT checkpoint: exp_avg/exp_avg_sq become momentum0/momentum1, step and lr kept', () => {
  const w = new Float32Array([1, 2, 3, 4]);
  const m = new Float32Array([0.1, 0.2, 0.3, 0.4]);
  const v = new Float32Array([0.01, 0.02, 0.03, 0.04]);
  const stats = new Float32Array([5, 6]);
  const bytes = encodeSafetensors([
    { name: 'fc.weight', dims: [2, 2], data: w }, { name: 'fc.weight.exp_avg', dims: [2, 2], data: m }, { name: 'fc.weight.exp_avg_sq', dims: [2, 2], data: v },
    { name: 'bn.running_mean', dims: [2], data: stats },
  ], { format: 'onnx-trelu-checkpoint', format_version: '1', artifacts: 'x', step: '7', epoch: '0', position: '0', lr: '0.002', seed: '0' });
  const c = safetensorsToOrt(fromSafetensors(decodeSafetensors(bytes)));
  assert.deepEqual(c.trainable.map((t) => t.name), ['fc.weight']);
  assert.deepEqual(c.frozen.map((t) => t.name), ['bn.running_mean']);
  const g = c.optimizerGroups[0]!;
  assert.deepEqual([g.name, g.step, g.initialLearningRate], ['group0', 7, 0.002]);
  assert.deepEqual(g.parameters[0]!.momentums.map((t) => [t.name, [...new Float32Array(t.data.slice().buffer)]]), [['momentum0', [...m]], ['momentum1', [...v]]]);
  // ...and ORT's reader takes what we write from it.
  assert.deepEqual(readOrtCheckpoint(writeOrtCheckpoint(c)).optimizerGroups[0]!.step, 7);
});

test('trelu checkpoint show / convert: listing, --model mismatches named one by one (exit 1), bad files in one line (exit 2), never over the input', async () => {
  const dir = tmpDir('trelu-ckpt-');
  try {
    const a = mlpArtifacts();
    const ckpt = path.join(dir, 'checkpoint');
    fs.writeFileSync(ckpt, a.checkpointBytes);
    let r = await runCli('checkpoint', 'show', ckpt);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out.join('\n'), /ORT training checkpoint, version 2/);
    assert.match(r.out.join('\n'), /fc1\.weight {2}FLOAT\[128,64\]/);
    assert.match(r.out.join('\n'), /optimizer group group0: step 0, initial learning rate 0\.01.*\[momentum0, momentum1\]/);
    r = await runCli('checkpoint', 'show', ckpt, '--model', path.join(REPO_ROOT, 'models/mlp.onnx'));
    assert.equal(r.code, 0);
    r = await runCli('checkpoint', 'show', ckpt, '--model', path.join(REPO_ROOT, 'models/cnn.onnx'), '--json');
    assert.equal(r.code, 1);
    const mismatches = JSON.parse(r.out.join('\n')).mismatches as { name: string; problem: string }[];
    assert.deepEqual(mismatches.map((m) => m.name).sort(), ['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);

    const st = path.join(dir, 'w.safetensors');
    r = await runCli('checkpoint', 'convert', ckpt, st);
    assert.equal(r.code, 0, r.err.join('\n'));
    const round = path.join(dir, 'round');
    r = await runCli('checkpoint', 'convert', st, round, '--to', 'ort');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(fs.readFileSync(round), Buffer.from(a.checkpointBytes));
    r = await runCli('checkpoint', 'show', st);
    assert.match(r.out.join('\n'), /safetensors/);

    r = await runCli('checkpoint', 'convert', ckpt, ckpt);
    assert.equal(r.code, 2);
    assert.deepEqual(fs.readFileSync(ckpt), Buffer.from(a.checkpointBytes), 'input untouched');

    const truncated = path.join(dir, 'truncated');
    fs.writeFileSync(truncated, a.checkpointBytes.subarray(0, 1000));
    r = await runCli('checkpoint', 'show', truncated);
    assert.equal(r.code, 2);
    assert.match(r.err[0]!, /^trelu: .*truncated: not a valid ORT training checkpoint \(.*\)$/);
    r = await runCli('checkpoint', 'show', path.join(REPO_ROOT, 'models/mlp.onnx'));
    assert.equal(r.code, 2);
    assert.match(r.err[0]!, /neither an ORT training checkpoint/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoint vs model: each mismatched parameter is named with what differs', () => {
  const a = mlpArtifacts();
  const c = readOrtCheckpoint(a.checkpointBytes);
  const w = c.trainable.find((t) => t.name === 'fc2.weight')!;
  w.dims = [w.dims[1]!, w.dims[0]!];
  const b = c.trainable.find((t) => t.name === 'fc1.bias')!;
  Object.assign(b, { dataType: DataType.DOUBLE, data: new Uint8Array(b.data.length * 2) });
  c.frozen.push({ name: 'extra', dataType: DataType.FLOAT, dims: [1], data: new Uint8Array(4) });
  const model = modelFromProto(loadModelFile(path.join(REPO_ROOT, 'models/mlp.onnx')).model);
  const found = matchCheckpointToModel(checkpointParameters(c), model);
  assert.deepEqual(found.sort((x, y) => (x.name < y.name ? -1 : 1)), [
    { name: 'extra', problem: 'not in the model' },
    { name: 'fc1.bias', problem: 'element type DOUBLE in the checkpoint, FLOAT in the model' },
    { name: 'fc2.weight', problem: 'shape [128,64] in the checkpoint, [64,128] in the model' },
  ]);
  assert.throws(() => assertCheckpointMatchesModel(checkpointParameters(c), model, 'ckpt'), /ckpt: 3 parameter\(s\) do not match the model: .*'fc2\.weight' shape/);
  // The training model (parameters as graph inputs) is checked the same way.
  assert.deepEqual(matchCheckpointToModel(checkpointParameters(readOrtCheckpoint(a.checkpointBytes)), modelFromProto(a.trainingModel)), []);
});
