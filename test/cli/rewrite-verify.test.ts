// --verify by execution, no-op rewrites, and the input/external-data papercuts, through the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { onnx, AttributeType, DataType } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { replaceActivations } from '../../src/rewrite/index.js';
import { checkChanges } from '../../src/runtime/verify.js';
import { randomInputs } from '../../src/runtime/random-inputs.js';
import { toNpy } from '../../src/runtime/inputs.js';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';

const MLP = path.join(REPO_ROOT, 'models', 'mlp.onnx');
const tensorType = (dims: (number | string)[]) => ({ tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: Long.fromNumber(d) } : { dimParam: d })) } } });

/** Relu in the main graph, in both branches of an If, and in a model-local function. */
function nestedReluModel(): Uint8Array {
  const branch = (name: string) => ({ name, node: [{ name: `${name}_relu`, opType: 'Relu', input: ['h'], output: [`${name}_y`] }], output: [{ name: `${name}_y`, type: tensorType(['N', 4]) }] });
  return encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }, { domain: 'local', version: Long.ONE }],
    graph: {
      name: 'g',
      node: [
        { name: 'main_relu', opType: 'Relu', input: ['x'], output: ['h'] },
        { opType: 'ReduceSum', input: ['x'], output: ['s'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: Long.ZERO }] },
        { opType: 'Greater', input: ['s', 'zero'], output: ['cond'] },
        { name: 'if', opType: 'If', input: ['cond'], output: ['y0'], attribute: [{ name: 'then_branch', type: AttributeType.GRAPH, g: branch('then') }, { name: 'else_branch', type: AttributeType.GRAPH, g: branch('else') }] },
        { name: 'call', opType: 'F', domain: 'local', input: ['y0'], output: ['y'] },
      ],
      initializer: [{ name: 'zero', dataType: DataType.FLOAT, dims: [], floatData: [0] }],
      input: [{ name: 'x', type: tensorType(['N', 4]) }],
      output: [{ name: 'y', type: tensorType(['N', 4]) }],
    },
    functions: [{ name: 'F', domain: 'local', input: ['a'], output: ['b'], opsetImport: [{ domain: '', version: Long.fromNumber(17) }], node: [{ name: 'fn_relu', opType: 'Relu', input: ['a'], output: ['b'] }] }],
  }) as never);
}

test('--verify checks each change on the values it saw (main graph, If branch, function body); a change it cannot observe makes it fail unless --allow-unchecked', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'nested.onnx');
  fs.writeFileSync(file, nestedReluModel());
  const r = await runCli('replace', file, path.join(dir, 'out.onnx'), '--verify', '--dim', 'N=3');
  assert.equal(r.code, 1, r.out.join('\n'));
  assert.match(r.out.join('\n'), /change main_relu \(graph\): max \|ORT - reference kernel\| = 0 over 12 elements/);
  // one If branch runs on these inputs: its change is checked, the other's is "not reached"
  const branchChecked = r.out.filter((l) => /change (then|else)_relu \(graph\/If 'if'\.(then|else)_branch\): max \|ORT - reference kernel\| = 0 over 12 elements/.test(l));
  assert.equal(branchChecked.length, 1, r.out.join('\n'));
  assert.equal(r.out.filter((l) => /NOT CHECKED: not reached on these inputs/.test(l)).length, 1, r.out.join('\n'));
  // the function's change is checked at its call (inlined into the probing copy)
  assert.match(r.out.join('\n'), /change fn_relu \(function local\.F\): max \|ORT - reference kernel\| = 0 over 12 elements/);
  assert.match(r.out.at(-1)!, /verify: FAILED: 3 of 4 change\(s\) checked/);
  const allowed = await runCli('replace', file, path.join(dir, 'out2.onnx'), '--verify', '--dim', 'N=3', '--allow-unchecked', '--json');
  assert.equal(allowed.code, 0);
  const json = JSON.parse(allowed.out.join('\n'));
  assert.equal(json.verify.ok, true);
  assert.equal(json.verify.changed, 4);
  assert.equal(json.verify.nodes.length, 3);
  assert.deepEqual(json.verify.tolerance, { atol: 0, rtol: 0 });
});

test('a change inside a Loop body is checked on every iteration (threaded out as a scan output)', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'loop.onnx');
  const body = {
    name: 'body',
    node: [
      { name: 'body_relu', opType: 'Relu', input: ['v_in'], output: ['r'] },
      { opType: 'Sub', input: ['r', 'one'], output: ['v_out'] },
      { opType: 'Identity', input: ['cond_in'], output: ['cond_out'] },
    ],
    input: [{ name: 'i', type: { tensorType: { elemType: DataType.INT64, shape: { dim: [] } } } }, { name: 'cond_in', type: { tensorType: { elemType: DataType.BOOL, shape: { dim: [] } } } }, { name: 'v_in', type: tensorType(['N', 4]) }],
    output: [{ name: 'cond_out', type: { tensorType: { elemType: DataType.BOOL, shape: { dim: [] } } } }, { name: 'v_out', type: tensorType(['N', 4]) }],
  };
  fs.writeFileSync(file, encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g',
      node: [{ name: 'loop', opType: 'Loop', input: ['m', 'go', 'x'], output: ['y'], attribute: [{ name: 'body', type: AttributeType.GRAPH, g: body }] }],
      initializer: [
        { name: 'm', dataType: DataType.INT64, dims: [], int64Data: [Long.fromNumber(3)] },
        { name: 'go', dataType: DataType.BOOL, dims: [], int32Data: [1] },
        { name: 'one', dataType: DataType.FLOAT, dims: [], floatData: [1] },
      ],
      input: [{ name: 'x', type: tensorType(['N', 4]) }],
      output: [{ name: 'y', type: tensorType(['N', 4]) }],
    },
  }) as never));
  const r = await runCli('replace', file, path.join(dir, 'out.onnx'), '--alpha', '-0.5', '--verify', '--dim', 'N=5');
  assert.equal(r.code, 0, [...r.out, ...r.err].join('\n'));
  // 3 iterations of a [5, 4] value
  assert.match(r.out.join('\n'), /change body_relu \(graph\/Loop 'loop'\.body\): max \|ORT - reference kernel\| = 0 over 60 elements/);
  assert.match(r.out.at(-1)!, /verify: ok \(1 of 1/);
});

test('the node check fails when a change does not compute what it claims', async () => {
  const bytes = fs.readFileSync(MLP);
  const m = modelFromProto(decodeModel(new Uint8Array(bytes)));
  const report = replaceActivations(m, { alpha: 0 });
  const feeds = randomInputs(modelFromProto(decodeModel(new Uint8Array(bytes))), { seed: 1, dims: { N: 4 } });
  const honest = await checkChanges(m, report.probes!, feeds);
  assert.ok(honest.nodes.length === 2 && honest.nodes.every((n) => n.ok && n.maxAbsDiff === 0));
  // claim alpha 0.5 for nodes that have alpha 0: inputs in (0, 0.5] differ
  const lying = await checkChanges(m, report.probes!.map((p) => ({ ...p, alpha: 0.5 })), feeds);
  assert.ok(lying.nodes.every((n) => !n.ok && n.mismatches > 0 && n.maxAbsDiff > 0 && n.maxAbsDiff <= 0.5), JSON.stringify(lying.nodes));
  const tolerant = await checkChanges(m, report.probes!.map((p) => ({ ...p, alpha: 0.5 })), feeds, { tolerance: { atol: 0.5, rtol: 0 } });
  assert.ok(tolerant.nodes.every((n) => n.ok));
});

test('a rewrite that changes nothing exits 1 with the reason and writes nothing, unless --allow-noop', async () => {
  const dir = tmpDir();
  const out = path.join(dir, 'out.onnx');
  const none = await runCli('replace', MLP, out, '--nodes', 'nosuch');
  assert.equal(none.code, 1);
  assert.match(none.err.join('\n'), /nothing to change: --nodes nosuch selects none of the 2 Relu node\(s\): relu1, relu2; nothing written/);
  assert.equal(fs.existsSync(out), false);
  const clip = await runCli('replace', MLP, out, '--from', 'Clip');
  assert.equal(clip.code, 1);
  assert.match(clip.err.join('\n'), /the model has no Clip node \(it has Relu: try --from Relu\)/);
  const dec = await runCli('decompose', MLP, out);
  assert.equal(dec.code, 1);
  assert.match(dec.err.join('\n'), /nothing to change: nothing matched decompose-thresholded-relu/);
  assert.equal(fs.existsSync(out), false);
  const allowed = await runCli('replace', MLP, out, '--nodes', 'nosuch', '--allow-noop');
  assert.equal(allowed.code, 0);
  assert.ok(fs.existsSync(out));
});

test('--input ./x.npy and ../x.npy are files, not JSON; a missing file is one line, exit 2', async () => {
  const dir = tmpDir();
  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub);
  const x = new Float32Array(3 * 64).map((_, i) => Math.sin(i));
  fs.writeFileSync(path.join(dir, 'x.npy'), toNpy({ type: 'float32', data: x, dims: [3, 64] }));
  const cwd = process.cwd();
  process.chdir(sub);
  try {
    for (const spec of ['../x.npy', path.join(dir, 'x.npy')]) {
      const r = await runCli('run', MLP, '--input', `input=${spec}`, '--repeat', '0');
      assert.equal(r.code, 0, `${spec}: ${r.err.join('\n')}`);
    }
    fs.copyFileSync(path.join(dir, 'x.npy'), path.join(sub, 'x.npy'));
    const here = await runCli('run', MLP, '--input', 'input=./x.npy', '--repeat', '0');
    assert.equal(here.code, 0, here.err.join('\n'));
    const missing = await runCli('run', MLP, '--input', 'input=./nope.npy', '--repeat', '0');
    assert.equal(missing.code, 2);
    assert.match(missing.err[0]!, /nope\.npy: cannot read input file for 'input' \(no such file\)/);
  } finally {
    process.chdir(cwd);
  }
});

test('a model with external data verifies from any working directory (ORT gets the data inline)', async () => {
  const dir = tmpDir();
  const ext = path.join(dir, 'o', 'm-ext.onnx');
  const c = await runCli('convert', path.join(REPO_ROOT, 'models', 'cnn.onnx'), ext, '--external-data', 'm-ext.onnx.data', '--size-threshold', '16');
  assert.equal(c.code, 0, c.err.join('\n'));
  const r = await runCli('replace', ext, path.join(dir, 'o', 'r.onnx'), '--verify', '--dim', 'N=2');
  assert.equal(r.code, 0, [...r.out, ...r.err].join('\n'));
  assert.match(r.out.at(-1)!, /verify: ok \(2 of 2/);
  const i = await runCli('insert', ext, path.join(dir, 'o', 'i.onnx'), '--after', 'relu1', '--verify', '--dim', 'N=2');
  assert.equal(i.code, 0, [...i.out, ...i.err].join('\n'));
});
