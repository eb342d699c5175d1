// rewriteModelFile: load, edit, save with the large inline tensors copied from the input file
// instead of loaded. Its output is checked against the ordinary load + edit + save, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { onnx, DataType, AttributeType, type ModelProto, type TensorProto } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { Graph, Model, Builder, Value, modelToProto } from '../../src/graph/index.js';
import { saveModelFile, saveModelFileAsync } from '../../src/node/save-model.js';
import { loadModelFileAsync, readExternalBytes } from '../../src/node/model-file.js';
import { rewriteModelFile, openModelFileLazy, saveLazyModel, loadTensorBytes } from '../../src/node/rewrite-file.js';
import { decodeSkippingTensors } from '../../src/node/lazy-tensors.js';
import { tmpDir } from '../helpers.js';
import { TreluError } from '../../src/errors.js';

const BIG = 256 * 256; // floats: 256 KiB tensors, above the 100 kB threshold used here

function weights(i: number, n: number): Uint8Array {
  const w = Float32Array.from({ length: n }, (_, j) => ((j * 2654435761 + i * 7) % 1000) / 1000 - 0.5);
  return new Uint8Array(w.buffer);
}

/** 3 big MatMul weights, a small bias, Relu between them, and a Constant node. */
function writeModel(file: string): void {
  const graph = new Graph({ name: 'g' });
  const model = new Model({ graph, opsetImports: new Map([['', 17]]), irVersion: 8 });
  const info = onnx.ValueInfoProto.create({ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: Long.fromNumber(256) }] } } } });
  const x = new Value('x', { info: info as never });
  model.valueNames.register('x');
  graph.addInput(x);
  const b = new Builder(model, graph);
  let h = x;
  for (let i = 0; i < 3; i++) {
    const t = onnx.TensorProto.create({ name: `w${i}`, dims: [Long.fromNumber(256), Long.fromNumber(256)], dataType: DataType.FLOAT, rawData: weights(i, BIG) });
    h = b.op('Relu', [b.op('MatMul', [h, b.initializer(t as never)])]);
  }
  const bias = onnx.TensorProto.create({ name: 'bias', dims: [Long.fromNumber(256)], dataType: DataType.FLOAT, rawData: weights(9, 256) });
  const c = b.op('Constant', [], { attributes: [{ name: 'value', type: AttributeType.TENSOR, t: onnx.TensorProto.create({ dims: [Long.fromNumber(4)], dataType: DataType.FLOAT, floatData: [1, 2, 3, 4] }) }] as never });
  h = b.op('Add', [h, b.initializer(bias as never)]);
  graph.outputs.push(h, c);
  saveModelFile(modelToProto(model), file);
}

const toThresholded = (m: ModelProto) => {
  for (const n of m.graph!.node) {
    if (n.opType !== 'Relu') continue;
    n.opType = 'ThresholdedRelu';
    n.attribute = [onnx.AttributeProto.create({ name: 'alpha', type: AttributeType.FLOAT, f: 0 })];
  }
};

async function ordinary(input: string, output: string, edit: (m: ModelProto) => void): Promise<Buffer> {
  const loaded = await loadModelFileAsync(input);
  edit(loaded.model);
  await saveModelFileAsync(loaded.model, output, { source: loaded });
  return fs.readFileSync(output);
}

test('the walk skips exactly the big raw_data payloads and decodes the rest', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  writeModel(file);
  const bytes = fs.readFileSync(file);
  const d = decodeSkippingTensors(file, 100_000);
  assert.deepEqual([...d.skipped.keys()].map((t) => t.name), ['w0', 'w1', 'w2']);
  for (const [t, r] of d.skipped) {
    assert.equal(r.length, BIG * 4);
    assert.ok(bytes.subarray(r.offset, r.offset + r.length).equals(Buffer.from(weights(Number(t.name.slice(1)), BIG))), `${t.name}'s range holds its bytes`);
  }
  // What was read is the model without those payloads: protobufjs's own encoding of the decoded result has that size.
  assert.equal(d.bytesRead, onnx.ModelProto.encode(d.model).finish().length);
  assert.ok(d.bytesRead < 4096);
  const full = decodeModel(new Uint8Array(bytes));
  assert.equal(d.model.graph!.node.length, full.graph!.node.length);
  assert.ok(Buffer.from(d.model.graph!.initializer.find((t) => t.name === 'bias')!.rawData).equals(Buffer.from(weights(9, 256))), 'small tensors stay inline');
});

test('an unchanged round trip gives the input back byte for byte, copying the big tensors from the file', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  writeModel(file);
  const out = path.join(dir, 'out.onnx');
  const r = await rewriteModelFile(file, out, () => undefined, { threshold: 100_000 });
  assert.equal(r.lazy, true);
  assert.equal(r.copiedBytes, 3 * BIG * 4);
  assert.ok(fs.readFileSync(out).equals(fs.readFileSync(file)));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['m.onnx', 'out.onnx'], 'no temp file left');
});

test('an edit of the nodes gives the same bytes as the ordinary load + edit + save', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  writeModel(file);
  const out = path.join(dir, 'lazy.onnx');
  await rewriteModelFile(file, out, toThresholded, { threshold: 100_000 });
  const expected = await ordinary(file, path.join(dir, 'ordinary.onnx'), toThresholded);
  assert.ok(fs.readFileSync(out).equals(expected));
  assert.equal(decodeModel(new Uint8Array(expected)).graph!.node.filter((n) => n.opType === 'ThresholdedRelu').length, 3);
});

test('during the edit a skipped tensor reads its real bytes; one given new values is written with them', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  writeModel(file);
  const out = path.join(dir, 'out.onnx');
  const fresh = weights(42, BIG);
  await rewriteModelFile(file, out, (m, source) => {
    const w1 = m.graph!.initializer.find((t) => t.name === 'w1')! as TensorProto;
    assert.ok(Buffer.from(readExternalBytes(source, w1)).equals(Buffer.from(weights(1, BIG))));
    delete (w1 as Partial<TensorProto>).externalData;
    delete (w1 as Partial<TensorProto>).dataLocation;
    w1.rawData = fresh;
  }, { threshold: 100_000 });
  const got = decodeModel(new Uint8Array(fs.readFileSync(out)));
  const raw = (name: string) => Buffer.from(got.graph!.initializer.find((t) => t.name === name)!.rawData);
  assert.ok(raw('w1').equals(Buffer.from(fresh)), 'the new values');
  assert.ok(raw('w0').equals(Buffer.from(weights(0, BIG))) && raw('w2').equals(Buffer.from(weights(2, BIG))), 'the others, copied');
  assert.equal(got.graph!.initializer.some((t) => (t.externalData ?? []).length > 0), false, 'an inline model');
});

test('refusals: the input as output, a tensor with both rawData and external data (nothing left behind)', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  writeModel(file);
  const before = fs.readFileSync(file);
  await assert.rejects(rewriteModelFile(file, file, () => undefined), (e: Error & { code?: string }) => typeof e.code === 'string' && e.code.startsWith('E_'));
  assert.ok(fs.readFileSync(file).equals(before), 'the input is untouched');
  await assert.rejects(rewriteModelFile(file, path.join(dir, 'o.onnx'), (m) => {
    m.graph!.initializer[0]!.rawData = new Uint8Array(4);
  }, { threshold: 100_000 }), /both rawData and external data/);
  assert.deepEqual(fs.readdirSync(dir), ['m.onnx']);
});

test('openModelFileLazy + saveLazyModel: an input changed in place before the save is refused, nothing written; loadTensorBytes reads a tensor in', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.onnx');
  writeModel(file);
  const lazy = openModelFileLazy(file, { threshold: 100_000 })!;
  assert.ok(lazy, 'the walk applies');
  const w1 = lazy.model.graph!.initializer.find((t) => t.name === 'w1')!;
  loadTensorBytes(lazy, w1);
  assert.ok(Buffer.from(w1.rawData).equals(Buffer.from(weights(1, BIG))), 'w1 in memory, its real bytes');
  const out = path.join(dir, 'out.onnx');
  const r = saveLazyModel(lazy, lazy.model, out);
  assert.equal(r.copiedBytes, 2 * BIG * 4, 'w0 and w2 copied from the file, w1 written from memory');
  assert.ok(fs.readFileSync(out).equals(fs.readFileSync(file)));
  // same size, other bytes: another writer touched the input between the read and the save
  const again = openModelFileLazy(file, { threshold: 100_000 })!;
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from([1, 2, 3, 4]), 0, 4, fs.statSync(file).size - 8);
  fs.closeSync(fd);
  fs.utimesSync(file, new Date(), new Date(Date.now() + 5000)); // a distinct mtime even on a coarse clock
  const out2 = path.join(dir, 'out2.onnx');
  assert.throws(() => saveLazyModel(again, again.model, out2), (e: unknown) => e instanceof TreluError && e.code === 'E_READ' && /changed during the rewrite/.test(e.message));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['m.onnx', 'out.onnx']);
});

test('a model that already has external data goes the ordinary way, with the same result', async () => {
  const dir = tmpDir();
  const inline = path.join(dir, 'm.onnx');
  writeModel(inline);
  const extDir = path.join(dir, 'ext');
  fs.mkdirSync(extDir);
  const ext = path.join(extDir, 'm.onnx');
  saveModelFile(decodeModel(new Uint8Array(fs.readFileSync(inline))), ext, { externalData: { location: 'm.data', sizeThreshold: 1000 } });
  const outDir = path.join(dir, 'out');
  fs.mkdirSync(outDir);
  const r = await rewriteModelFile(ext, path.join(outDir, 'm.onnx'), toThresholded);
  assert.equal(r.lazy, false);
  const again = await loadModelFileAsync(path.join(outDir, 'm.onnx'));
  const w2 = again.model.graph!.initializer.find((t) => t.name === 'w2')! as TensorProto;
  assert.ok(Buffer.from(readExternalBytes(again, w2)).equals(Buffer.from(weights(2, BIG))));
  assert.equal(again.model.graph!.node.filter((n) => n.opType === 'ThresholdedRelu').length, 3);
});

test('a missing input and a file that is not a model get the ordinary load\'s errors', async () => {
  const dir = tmpDir();
  await assert.rejects(rewriteModelFile(path.join(dir, 'nope.onnx'), path.join(dir, 'o.onnx'), () => undefined), (e: Error & { code?: string }) => e.code === 'E_FILE_NOT_FOUND');
  const junk = path.join(dir, 'junk.onnx');
  fs.writeFileSync(junk, Buffer.from('this is not a protobuf message at all'));
  await assert.rejects(rewriteModelFile(junk, path.join(dir, 'o.onnx'), () => undefined), (e: Error & { code?: string }) => typeof e.code === 'string' && e.code.startsWith('E_'));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['junk.onnx']);
});

test('property: any field order, any mix of tensor sizes around the threshold: the same model as the ordinary path', async () => {
  const fc = (await import('fast-check')).default;
  const dir = tmpDir();
  const T = 70_000;
  /** The bytes of one field of a message type, alone (protobuf: a message is any concatenation of its fields). */
  const field = (type: { encode(m: object): { finish(): Uint8Array } }, m: object) => Buffer.from(type.encode(m).finish());
  let run = 0;
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ size: fc.constantFrom(0, 8, T - 1, T, T + 4093), rawFirst: fc.boolean(), doc: fc.boolean() }), { minLength: 1, maxLength: 6 }),
    fc.array(fc.nat(), { maxLength: 8 }), // where the graph's other fields go among the initializers
    async (tensors, shuffle) => {
      run++;
      const tensorBytes = tensors.map((spec, i) => {
        const parts = [
          field(onnx.TensorProto, { dims: [Long.fromNumber(spec.size)], dataType: DataType.UINT8 }),
          field(onnx.TensorProto, { name: `t${i}` }),
          ...(spec.doc ? [field(onnx.TensorProto, { docString: 'd'.repeat(i * 3) })] : []),
        ];
        const raw = field(onnx.TensorProto, { rawData: weights(i, Math.ceil(spec.size / 4)).subarray(0, spec.size) });
        return Buffer.concat(spec.size === 0 ? parts : spec.rawFirst ? [raw, ...parts] : [...parts, raw]);
      });
      const others = [
        field(onnx.GraphProto, { name: 'g' }),
        field(onnx.GraphProto, { node: [{ opType: 'Identity', input: ['t0'], output: ['y'] }] }),
        field(onnx.GraphProto, { output: [{ name: 'y' }] }),
      ];
      // initializer fields built by hand (tag 5, length, the tensor's own field order kept)
      const init = (t: Buffer) => Buffer.concat([Buffer.from([0x2a]), varint(t.length), t]);
      const seq: Buffer[] = tensorBytes.map(init);
      others.forEach((o, k) => seq.splice((shuffle[k] ?? 0) % (seq.length + 1), 0, o));
      const graph = Buffer.concat(seq);
      const model = Buffer.concat([
        field(onnx.ModelProto, { irVersion: Long.fromNumber(8) }),
        Buffer.from([0x3a]), varint(graph.length), graph,
        field(onnx.ModelProto, { opsetImport: [{ domain: '', version: Long.fromNumber(17) }] }),
      ]);
      const file = path.join(dir, `m${run}.onnx`);
      fs.writeFileSync(file, model);
      const lazy = path.join(dir, `lazy${run}.onnx`);
      const r = await rewriteModelFile(file, lazy, () => undefined, { threshold: T });
      assert.equal(r.copiedBytes, tensors.filter((t) => t.size >= T).reduce((s, t) => s + t.size, 0));
      const expected = await ordinary(file, path.join(dir, `ord${run}.onnx`), () => undefined);
      assert.ok(fs.readFileSync(lazy).equals(expected));
    },
  ), { numRuns: 25, seed: 16 });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
