// replace and insert: on the sample models and the corpus models with Relu,
// run in ORT (new nodes checked against the reference kernel) and validated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { onnx, AttributeType, DataType } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto, modelToProto, type Model } from '../../src/graph/index.js';
import { replaceActivations, insertThresholdedRelu, ensureThresholdedReluOpset } from '../../src/rewrite/index.js';
import { compareModels, checkChanges } from '../../src/runtime/verify.js';
import { randomInputs } from '../../src/runtime/random-inputs.js';
import { validateModel } from '../../src/validate/index.js';
import { CORPUS, REPO_ROOT, runCli, tmpDir } from '../helpers.js';

const load = (file: string) => new Uint8Array(fs.readFileSync(file));

async function replaceAndCheck(bytes: Uint8Array, alpha: number) {
  const m = modelFromProto(decodeModel(bytes));
  const upgrade = ensureThresholdedReluOpset(m);
  const r = replaceActivations(m, { alpha });
  const after = encodeModel(modelToProto(m));
  const feeds = randomInputs(modelFromProto(decodeModel(bytes)), { seed: 5, dims: { N: 3 } });
  const checked = await checkChanges(m, r.probes!, feeds);
  assert.deepEqual(checked.unchecked, []);
  for (const n of checked.nodes) assert.equal(n.maxAbsDiff, 0, n.node);
  const diffs = await compareModels(bytes, after, feeds);
  const report = validateModel(modelFromProto(decodeModel(after)), { eps: ['cpu'] });
  assert.equal(report.errors, 0, JSON.stringify(report.findings));
  return { r, upgrade, diffs, checked, model: m };
}

for (const file of ['mlp.onnx', 'cnn.onnx']) {
  test(`replace Relu in models/${file}: alpha 0 keeps the outputs, alpha 0.5 changes them on purpose`, async () => {
    const bytes = load(path.join(REPO_ROOT, 'models', file));
    const zero = await replaceAndCheck(bytes, 0);
    assert.equal(zero.r.changes.length, 2);
    assert.equal(zero.checked.nodes.length, 2);
    assert.ok(zero.diffs.every((d) => d.maxAbsDiff === 0));
    assert.match(zero.r.warnings[0]!, /except at NaN/);
    const half = await replaceAndCheck(bytes, 0.5);
    assert.ok(half.diffs.some((d) => d.maxAbsDiff > 0));
    assert.match(half.r.warnings[0]!, /changes the function/);
  });
}

test('replace Relu in the conformance corpus\'s models with Relu (including opsets 6 and 9, and a Loop body)', async () => {
  const names = ['node/test_relu', 'pytorch-converted/test_ReLU', 'simple/test_single_relu_model', 'node/test_range_float_type_positive_delta_expanded'];
  for (const name of names) {
    const bytes = load(path.join(CORPUS, name, 'model.onnx'));
    const { r, upgrade, diffs, model } = await replaceAndCheck(bytes, 0);
    assert.ok(r.changes.length >= 1, name);
    assert.ok(diffs.every((d) => d.maxAbsDiff === 0), `${name}: ${JSON.stringify(diffs)}`);
    if (name.includes('ReLU') || name.includes('single_relu')) assert.equal(upgrade?.to, 10, `${name} upgraded to opset 10`);
    assert.ok(model.onnxOpset! >= 10);
  }
});

test('other activations only when named, with what changes; Clip only at (0, +inf)', () => {
  const tt = { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(4) }] } } };
  const bytes = encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g',
      node: [
        { name: 'leaky', opType: 'LeakyRelu', input: ['x'], output: ['a'] },
        { name: 'clip0', opType: 'Clip', input: ['a', 'zero'], output: ['b'] },
        { name: 'clip6', opType: 'Clip', input: ['b', 'zero', 'six'], output: ['c'] },
        { name: 'relu', opType: 'Relu', input: ['c'], output: ['y'] },
      ],
      initializer: [{ name: 'zero', dataType: 1, dims: [], floatData: [0] }, { name: 'six', dataType: 1, dims: [], floatData: [6] }],
      input: [{ name: 'x', type: tt }], output: [{ name: 'y', type: tt }],
    },
  }) as never);
  let m = modelFromProto(decodeModel(bytes));
  replaceActivations(m, {});
  assert.deepEqual(m.graph.nodes.map((n) => n.opType), ['LeakyRelu', 'Clip', 'Clip', 'ThresholdedRelu'], 'Relu only by default');
  m = modelFromProto(decodeModel(bytes));
  const r = replaceActivations(m, { from: ['LeakyRelu', 'Clip'], alpha: 0 });
  assert.deepEqual(m.graph.nodes.map((n) => n.opType), ['ThresholdedRelu', 'ThresholdedRelu', 'Clip', 'Relu']);
  assert.ok(r.warnings.some((w) => /LeakyRelu.*negative inputs now give 0/.test(w)));
  assert.deepEqual(r.candidates.map((c) => c.node), ['clip6']);
  m = modelFromProto(decodeModel(bytes));
  replaceActivations(m, { from: ['LeakyRelu', 'Relu'], nodes: /^rel/ });
  assert.deepEqual(m.graph.nodes.map((n) => n.opType), ['LeakyRelu', 'Clip', 'Clip', 'ThresholdedRelu'], '--nodes /regex/');
});

test('insert on a graph output keeps the output name and type, moves every consumer, and names stay unique', async () => {
  const bytes = load(path.join(REPO_ROOT, 'models', 'mlp.onnx'));
  const m: Model = modelFromProto(decodeModel(bytes));
  const r = insertThresholdedRelu(m, { after: ['fc1', 'logits'], alpha: 0.25 });
  assert.equal(r.changes.length, 2);
  assert.deepEqual(m.graph.outputs.map((v) => v.name), ['logits']);
  assert.equal(m.graph.outputs[0]!.producer()!.opType, 'ThresholdedRelu');
  assert.equal(m.graph.outputs[0]!.elemType, DataType.FLOAT);
  const fc1 = m.graph.nodes.find((n) => n.name === 'fc1')!;
  assert.deepEqual(fc1.outputs[0]!.uses().map((u) => u.node.opType), ['ThresholdedRelu']);
  const names = m.graph.nodes.flatMap((n) => n.outputs.map((v) => v.name));
  assert.equal(new Set(names).size, names.length);
  const after = encodeModel(modelToProto(m));
  const feeds = randomInputs(modelFromProto(decodeModel(bytes)), { seed: 2, dims: { N: 4 } });
  const checked = await checkChanges(m, r.probes!, feeds);
  assert.equal(checked.nodes.length, 2);
  for (const n of checked.nodes) assert.equal(n.maxAbsDiff, 0);
  assert.equal(validateModel(modelFromProto(decodeModel(after))).errors, 0);
});

test('an opset-9 model needing adaptation is upgraded for insert; one with a blocker is refused with the reason', async () => {
  const tt = (d: number[]) => ({ tensorType: { elemType: DataType.FLOAT, shape: { dim: d.map((x) => ({ dimValue: Long.fromNumber(x) })) } } });
  const mk = (extra: onnx.NodeProto.$Properties) => encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(5), opsetImport: [{ domain: '', version: Long.fromNumber(9) }],
    graph: { name: 'g', node: [extra, { name: 'r', opType: 'Relu', input: ['s'], output: ['y'] }], input: [{ name: 'x', type: tt([4, 6]) }], output: [{ name: 'y', type: tt([2, 3]) }] },
  }) as never);
  const slice = mk({ name: 'slice', opType: 'Slice', input: ['x'], output: ['s'], attribute: [{ name: 'starts', type: AttributeType.INTS, ints: [Long.ONE, Long.ONE] }, { name: 'ends', type: AttributeType.INTS, ints: [Long.fromNumber(3), Long.fromNumber(4)] }] });
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'slice.onnx'), slice);
  const r = await runCli('insert', path.join(dir, 'slice.onnx'), path.join(dir, 'out.onnx'), '--after', 's', '--verify');
  assert.equal(r.code, 0, r.err.join('\n') + r.out.join('\n'));
  assert.match(r.out.join('\n'), /opset 9 → 10/);
  assert.match(r.out.join('\n'), /Slice 'slice': attribute starts → input 1/);
  assert.match(r.out.join('\n'), /verify: ok/);
  const upsample = mk({ name: 'up', opType: 'Upsample', input: ['x', 'scales'], output: ['s'] });
  fs.writeFileSync(path.join(dir, 'up.onnx'), upsample);
  const r2 = await runCli('replace', path.join(dir, 'up.onnx'), path.join(dir, 'out2.onnx'));
  assert.equal(r2.code, 2);
  assert.match(r2.err[0]!, /Upsample 'up'.*deprecated/);
  assert.ok(!fs.existsSync(path.join(dir, 'out2.onnx')));
});

test('CLI: --dry-run writes nothing, --json lists the changes, --verify exits 1 when an equality check fails', async () => {
  const dir = tmpDir();
  const out = path.join(dir, 'o.onnx');
  const mlp = path.join(REPO_ROOT, 'models', 'mlp.onnx');
  const dry = await runCli('replace', mlp, out, '--dry-run', '--json');
  assert.equal(dry.code, 0);
  assert.equal(JSON.parse(dry.out.join('\n')).changes.length, 2);
  assert.ok(!fs.existsSync(out));
  const ok = await runCli('replace', mlp, out, '--alpha', '0.5', '--verify', '--json');
  assert.equal(ok.code, 0, ok.err.join('\n'));
  const j = JSON.parse(ok.out.join('\n'));
  assert.equal(j.verify.ok, true);
  assert.ok(j.verify.outputs[0].maxAbsDiff > 0, 'outputs change on purpose with alpha 0.5');
  assert.deepEqual(j.verify.nodes.map((n: { maxAbsDiff: number }) => n.maxAbsDiff), [0, 0]);
  assert.equal((await runCli('replace', mlp, out, '--from', 'Sigmoid')).code, 2);
  assert.equal((await runCli('insert', mlp, out, '--after', 'nope')).code, 2);
  assert.equal((await runCli('replace', mlp, out, '--alpha', 'abc')).code, 2);
});
