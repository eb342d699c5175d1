// The rewriting commands (replace, insert, fuse, decompose, convert) copy large inline tensors from
// the input file instead of loading them (cli/lazy-input.ts). Their output must be the ordinary
// load + rewrite + save's, byte for byte: each command's file is compared with that path's, on a
// model whose large tensors include one a rule reads (a fuse threshold), one read by a non-weight
// op too, and one with an explicit data_location field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { onnx, DataType, AttributeType } from '../../src/onnx/proto.js';
import { Graph, Model, Builder, Value, modelToProto, modelFromProto } from '../../src/graph/index.js';
import { saveModelFile } from '../../src/node/save-model.js';
import { loadModelFile } from '../../src/node/model-file.js';
import { transforms, type Transform } from '../../src/cli/rewrite.js';
import { VALUE_BLIND_OPS } from '../../src/cli/lazy-input.js';
import { FUSE_RULES, decomposeThresholdedRelu, type PatternNode } from '../../src/rewrite/index.js';
import { runCli, tmpDir } from '../helpers.js';
import ort from 'onnxruntime-node';

const N = 512; // 512 x 512 float32: 1 MiB tensors, at the lazy threshold

function tensor(name: string, fill: (j: number) => number, extra: Record<string, unknown> = {}) {
  const w = Float32Array.from({ length: N * N }, (_, j) => fill(j));
  return onnx.TensorProto.create({ name, dims: [Long.fromNumber(N), Long.fromNumber(N)], dataType: DataType.FLOAT, rawData: new Uint8Array(w.buffer), ...extra });
}

/** x -> MatMul(w0) -> Where(Greater(h, A), h, 0) -> Relu -> MatMul(w1) -> Add(w1) -> ThresholdedRelu -> y. */
function writeModel(file: string): { h1: string } {
  const graph = new Graph({ name: 'g' });
  const model = new Model({ graph, opsetImports: new Map([['', 13]]), irVersion: 8 });
  const info = onnx.ValueInfoProto.create({ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(N) }, { dimValue: Long.fromNumber(N) }] } } } });
  const x = new Value('x', { info: info as never });
  model.valueNames.register('x');
  graph.addInput(x);
  const b = new Builder(model, graph);
  // an explicit data_location = DEFAULT field, which the copy must keep
  const w0 = b.initializer(tensor('w0', (j) => ((j * 2654435761) % 1000) / 1000 - 0.5, { dataLocation: 0 }) as never);
  const h1 = b.op('MatMul', [x, w0]);
  const a = b.initializer(tensor('threshold', () => 0.25) as never); // uniform: the fuse rule reads it
  const zero = b.initializer(onnx.TensorProto.create({ name: 'zero', dataType: DataType.FLOAT, dims: [], floatData: [0] }) as never);
  const h2 = b.op('Where', [b.op('Greater', [h1, a]), h1, zero]);
  const h3 = b.op('Relu', [h2]);
  const w1 = b.initializer(tensor('w1', (j) => ((j * 40503) % 777) / 777 - 0.5) as never);
  const h5 = b.op('Add', [b.op('MatMul', [h3, w1]), w1]); // w1 is read by Add too
  const y = b.op('ThresholdedRelu', [h5], { attributes: [{ name: 'alpha', type: AttributeType.FLOAT, f: 0.1 }] as never });
  graph.outputs.push(y);
  saveModelFile(modelToProto(model), file);
  return { h1: h1.name };
}

/** Today's path: load, rewrite the IR, save. */
function ordinary(file: string, out: string, transform?: Transform): void {
  const loaded = loadModelFile(file);
  let proto = loaded.model;
  if (transform) {
    const m = modelFromProto(loaded.model);
    transform(m, false);
    proto = modelToProto(m);
  }
  saveModelFile(proto, out, { source: loaded });
}

test('replace, insert, fuse, decompose, convert: the same bytes as the ordinary load + save, large tensors copied from the input', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  const { h1 } = writeModel(file);
  const cases: { args: string[]; transform?: Transform; changes?: number }[] = [
    { args: ['replace'], transform: transforms.replace(['Relu'], undefined, undefined), changes: 1 },
    { args: ['insert', '--after', h1, '--alpha', '0.5'], transform: transforms.insert([h1], 0.5), changes: 1 },
    { args: ['fuse'], transform: transforms.fuse(false), changes: 1 },
    { args: ['decompose'], transform: transforms.decompose(), changes: 1 },
    { args: ['convert'] },
    { args: ['convert', '--opset', '17'], transform: transforms.opset(17) },
  ];
  for (const [i, c] of cases.entries()) {
    const lazyOut = path.join(dir, `lazy${i}.onnx`);
    const ordOut = path.join(dir, `ord${i}.onnx`);
    const [cmd, ...rest] = c.args;
    const r = await runCli(cmd!, file, lazyOut, ...rest, '--json');
    assert.equal(r.code, 0, `${c.args.join(' ')}: ${r.err.join('\n')}`);
    ordinary(file, ordOut, c.transform);
    assert.ok(fs.readFileSync(lazyOut).equals(fs.readFileSync(ordOut)), `${c.args.join(' ')}: the output differs from the ordinary path's`);
    if (cmd !== 'convert') {
      const json = JSON.parse(r.out.join('\n')) as { changes: unknown[]; copiedBytes: number };
      assert.equal(json.changes.length, c.changes, c.args.join(' '));
      // w0 stays in the file (read only by MatMul); the fuse threshold and w1 (read by Add) are loaded
      assert.equal(json.copiedBytes, N * N * 4, `${c.args.join(' ')}: tensor bytes copied from the input`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--verify on the lazy path runs the real weights: a replace checks out against the input', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  writeModel(file);
  const out = path.join(dir, 'out.onnx');
  const r = await runCli('replace', file, out, '--verify', '--json');
  assert.equal(r.code, 0, r.err.join('\n'));
  const json = JSON.parse(r.out.join('\n')) as { copiedBytes: number; verify: { ok: boolean; nodes: { elements: number }[]; outputs: { maxAbsDiff: number; elements: number }[] } };
  assert.ok(json.copiedBytes > 0);
  assert.equal(json.verify.ok, true);
  assert.equal(json.verify.nodes.length, 1);
  assert.equal(json.verify.nodes[0]!.elements, N * N);
  // Relu -> ThresholdedRelu(alpha 0) is the same function, so the input (read by ORT from disk) and the
  // rewrite (its tensors read through the lazy model) agree exactly; had the rewrite run zeros for the
  // weights left in the file, its y would be 0 where the input's is not (checked just below).
  assert.equal(json.verify.outputs[0]!.maxAbsDiff, 0);
  assert.equal(json.verify.outputs[0]!.elements, N * N);
  const session = await ort.InferenceSession.create(out);
  const x = Float32Array.from({ length: N * N }, (_, i) => ((i * 7919) % 101) / 50 - 1);
  const y = (await session.run({ x: new ort.Tensor('float32', x, [N, N]) }))[session.outputNames[0]!]!.data as Float32Array;
  // with w0 all zeros y would be ThresholdedRelu(w1, 0.1): it is not, so the rewrite's y above depends on w0's real values
  const w1 = Float32Array.from({ length: N * N }, (_, j) => Math.fround(((j * 40503) % 777) / 777 - 0.5));
  assert.ok(y.filter((v, i) => v !== (w1[i]! > 0.1 ? w1[i] : 0)).length > N * N / 10, 'y depends on w0');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the rules match none of the ops whose inputs stay in the file (VALUE_BLIND_OPS)', () => {
  const ops = new Set<string>(['Clip', 'Identity', 'Cast', 'CastLike', 'Expand', 'ConstantOfShape', 'Shape']); // replace's Clip, and what constantOf looks through
  const walk = (p: PatternNode): void => {
    if (p.kind !== 'op') return;
    ops.add(p.opType);
    p.inputs.forEach(walk);
  };
  for (const rule of [...FUSE_RULES, decomposeThresholdedRelu]) for (const p of rule.patterns) walk(p);
  assert.ok(ops.has('Where') && ops.has('Greater'), 'the patterns were walked');
  for (const op of ops) assert.ok(!VALUE_BLIND_OPS.has(op), `${op} is matched by a rule but listed as value-blind`);
});
