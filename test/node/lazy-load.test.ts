// loadModelFile(..., { lazyTensors: true }): large raw_data read only when asked, copied from the file by a save.
// Expected bytes come from the model as built (fill + i per tensor) and from the ordinary, eager load + save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelFile, loadModelFileAsync, type LoadedModel } from '../../src/node/model-file.js';
import { saveModelFile, saveModelFileAsync } from '../../src/node/save-model.js';
import { lazyBytesOf } from '../../src/node/lazy-load.js';
import { cloneShallow } from '../../src/onnx/walk.js';
import type { TensorProto } from '../../src/onnx/proto.js';
import { TreluError } from '../../src/errors.js';
import { tmpDir } from '../helpers.js';
import { writeAddModel, tempFilesIn } from './fixtures.js';

const ELEMENTS = 64 * 1024; // 256 KiB per tensor
const THRESHOLD = 100_000; // bytes: every weight of the fixture stays in the file
const lazily = { lazyTensors: true, lazyThreshold: THRESHOLD };

function setup(tensors = 3): { dir: string; input: string } {
  const dir = tmpDir('trelu-lazy-load-');
  const input = path.join(dir, 'in.onnx');
  writeAddModel(input, ELEMENTS, 5, tensors);
  return { dir, input };
}

const weightsOf = (loaded: LoadedModel) => loaded.model.graph!.initializer as TensorProto[];
/** The value tensor i of writeAddModel(_, ELEMENTS, 5) holds, as bytes. */
const expectedBytes = (i: number) => Buffer.from(new Float32Array(ELEMENTS).fill(5 + i).buffer);
const unread = (t: TensorProto) => typeof Object.getOwnPropertyDescriptor(t, 'rawData')?.get === 'function' && lazyBytesOf(t) !== undefined;

test('a lazy load reads no weight; each reads its real bytes on first use, then is an ordinary field', async () => {
  const { input } = setup();
  for (const loaded of [loadModelFile(input, lazily), await loadModelFileAsync(input, lazily)]) {
    const ws = weightsOf(loaded);
    assert.equal(ws.length, 3);
    assert.ok(ws.every(unread), 'every weight left in the file');
    assert.deepEqual(Buffer.from(ws[1]!.rawData), expectedBytes(1));
    assert.equal(Object.getOwnPropertyDescriptor(ws[1]!, 'rawData')?.value, ws[1]!.rawData, 'now a data property');
    assert.equal(lazyBytesOf(ws[1]!), undefined);
    assert.ok(unread(ws[0]!) && unread(ws[2]!), 'the others are still unread');
  }
});

test('tensors under the threshold are read at once, as by the ordinary load', () => {
  const { input } = setup();
  const loaded = loadModelFile(input, { lazyTensors: true }); // default threshold 1 MiB > 256 KiB
  assert.ok(weightsOf(loaded).every((t) => !unread(t)));
  assert.deepEqual(Buffer.from(weightsOf(loaded)[0]!.rawData), expectedBytes(0));
});

test('load + save (sync and async, fsync on and off) writes the input byte for byte without reading the weights', async () => {
  const { dir, input } = setup();
  const original = fs.readFileSync(input);
  const loaded = await loadModelFileAsync(input, lazily);
  saveModelFile(loaded.model, path.join(dir, 'sync.onnx'), { source: loaded });
  await saveModelFileAsync(loaded.model, path.join(dir, 'async.onnx'), { source: loaded });
  await saveModelFileAsync(loaded.model, path.join(dir, 'nofsync.onnx'), { source: loaded, fsync: false });
  for (const f of ['sync.onnx', 'async.onnx', 'nofsync.onnx']) assert.ok(fs.readFileSync(path.join(dir, f)).equals(original), f);
  assert.ok(weightsOf(loaded).every(unread), 'the saves copied from the file, not through rawData');
});

test('a weight given new bytes is saved with them; one read before the save is saved from memory', async () => {
  const { dir, input } = setup();
  const eager = loadModelFile(input);
  const loaded = loadModelFile(input, lazily);
  const fresh = new Uint8Array(ELEMENTS * 4).fill(7);
  weightsOf(loaded)[0]!.rawData = fresh;
  weightsOf(eager)[0]!.rawData = fresh;
  void weightsOf(loaded)[2]!.rawData;
  assert.ok(unread(weightsOf(loaded)[1]!) && !unread(weightsOf(loaded)[0]!) && !unread(weightsOf(loaded)[2]!));
  await saveModelFileAsync(loaded.model, path.join(dir, 'lazy.onnx'), { source: loaded });
  saveModelFile(eager.model, path.join(dir, 'eager.onnx'), { source: eager });
  assert.ok(fs.readFileSync(path.join(dir, 'lazy.onnx')).equals(fs.readFileSync(path.join(dir, 'eager.onnx'))));
});

test('a clone keeps the weight lazy; reading it through either one reads the file once for both', () => {
  const { input } = setup();
  const loaded = loadModelFile(input, lazily);
  const t = weightsOf(loaded)[0]!;
  const clone = cloneShallow(t);
  assert.ok(unread(clone));
  const bytes = clone.rawData;
  assert.deepEqual(Buffer.from(bytes), expectedBytes(0));
  assert.equal(t.rawData, bytes, 'the original gets the same bytes');
  clone.rawData = new Uint8Array(4);
  assert.equal(t.rawData, bytes, 'assigning the clone leaves the original alone');
});

test('external data written from a lazy load is the one the ordinary load writes', async () => {
  const { dir, input } = setup();
  const eager = loadModelFile(input);
  const loaded = await loadModelFileAsync(input, lazily);
  fs.mkdirSync(path.join(dir, 'a'));
  fs.mkdirSync(path.join(dir, 'b'));
  saveModelFile(eager.model, path.join(dir, 'a', 'm.onnx'), { source: eager, externalData: { location: 'm.data' } });
  await saveModelFileAsync(loaded.model, path.join(dir, 'b', 'm.onnx'), { source: loaded, externalData: { location: 'm.data' } });
  for (const f of ['m.onnx', 'm.data']) assert.ok(fs.readFileSync(path.join(dir, 'a', f)).equals(fs.readFileSync(path.join(dir, 'b', f))), f);
  assert.ok(weightsOf(loaded).every(unread));
});

/** Loads lazily, lets `change` act on the input, then expects reads and saves to be refused with E_READ naming `why`. */
async function expectRefused(change: (input: string) => void, why: RegExp): Promise<void> {
  const { dir, input } = setup();
  const loaded = loadModelFile(input, lazily);
  change(input);
  const fd = fs.existsSync(input) ? fs.openSync(input, 'r+') : undefined;
  if (fd !== undefined) {
    fs.futimesSync(fd, new Date(), new Date(Date.now() + 5000)); // the file system's timestamp granularity is coarse
    fs.closeSync(fd);
  }
  const refused = (e: unknown) => e instanceof TreluError && e.code === 'E_READ' && why.test(e.message);
  assert.throws(() => weightsOf(loaded)[0]!.rawData, refused);
  const out = path.join(dir, 'out.onnx');
  await assert.rejects(saveModelFileAsync(loaded.model, out, { source: loaded }), refused);
  assert.throws(() => saveModelFile(loaded.model, out, { source: loaded }), refused);
  assert.throws(() => saveModelFile(loaded.model, path.join(dir, 'ext.onnx'), { source: loaded, externalData: { location: 'ext.data' } }), refused);
  assert.ok(!fs.existsSync(out) && !fs.existsSync(path.join(dir, 'ext.onnx')) && !fs.existsSync(path.join(dir, 'ext.data')), 'nothing written');
  assert.deepEqual(tempFilesIn(dir), [], 'no temp file left');
}

test('refused when the input was written in place since the load (same size)', async () => {
  await expectRefused((input) => {
    const fd = fs.openSync(input, 'r+');
    fs.writeSync(fd, Buffer.from([0x41]), 0, 1, 3000);
    fs.closeSync(fd);
  }, /changed since it was loaded \(it was written to\)/);
});

test('refused when the input was replaced by another file (rename) or deleted', async () => {
  await expectRefused((input) => {
    writeAddModel(input + '.new', ELEMENTS, 6, 3);
    fs.renameSync(input + '.new', input);
  }, /changed since it was loaded \(it was replaced\)/);
  await expectRefused((input) => fs.rmSync(input), /changed since it was loaded \(it is gone\)/);
});

test('a change during the save is refused too: the output is not renamed into place', async () => {
  const { dir, input } = setup();
  const loaded = loadModelFile(input, lazily);
  // The input is written to while the save copies: after w0's bytes were copied through the open input,
  // when the copy of w2 asks whether some code read w2 meanwhile (the save's third look at slot.bytes:
  // two while making placeholders, one while copying).
  const slot = lazyBytesOf(weightsOf(loaded)[2]!)!;
  let looks = 0;
  Object.defineProperty(slot, 'bytes', { get() {
    if (++looks === 3) {
      const fd = fs.openSync(input, 'r+');
      fs.writeSync(fd, Buffer.from([0x41]), 0, 1, 3000);
      fs.futimesSync(fd, new Date(), new Date(Date.now() + 5000)); // an mtime the load cannot have seen
      fs.closeSync(fd);
    }
    return undefined;
  } });
  const out = path.join(dir, 'out.onnx');
  assert.throws(() => saveModelFile(loaded.model, out, { source: loaded }), (e: unknown) => e instanceof TreluError && e.code === 'E_READ' && /written to/.test(e.message));
  assert.equal(looks, 3, 'the write happened during the copy');
  assert.ok(!fs.existsSync(out));
  assert.deepEqual(tempFilesIn(dir), []);
});

test('saving over the input (allowOverwriteInput) keeps the loaded model readable from the new file', async () => {
  const { input } = setup();
  const original = fs.readFileSync(input);
  const loaded = loadModelFile(input, lazily);
  await saveModelFileAsync(loaded.model, input, { source: loaded, allowOverwriteInput: true });
  assert.ok(fs.readFileSync(input).equals(original));
  weightsOf(loaded).forEach((t, i) => assert.deepEqual(Buffer.from(t.rawData), expectedBytes(i), `w${i}`));
});

test('a save never replaces the file its lazy tensors are read from, even without `source`, unless allowOverwriteInput', () => {
  const { dir, input } = setup();
  const original = fs.readFileSync(input);
  const loaded = loadModelFile(input, lazily);
  assert.throws(() => saveModelFile(loaded.model, input), (e: unknown) => e instanceof TreluError && /lazy tensors are read from/.test(e.message));
  assert.ok(fs.readFileSync(input).equals(original));
  assert.deepEqual(tempFilesIn(dir), []);
  saveModelFile(loaded.model, input, { allowOverwriteInput: true });
  assert.ok(fs.readFileSync(input).equals(original));
  assert.deepEqual(Buffer.from(weightsOf(loaded)[2]!.rawData), expectedBytes(2));
});

test('without the option nothing is lazy, and a file the walk does not take apart is loaded the ordinary way', () => {
  const { dir, input } = setup();
  assert.ok(weightsOf(loadModelFile(input)).every((t) => !unread(t)));
  const bad = path.join(dir, 'bad.onnx');
  fs.writeFileSync(bad, Buffer.from([0x08, 0x08, 0x3a, 0xff])); // ir_version, then a graph whose length runs past the end
  let ordinary: unknown;
  try { loadModelFile(bad); } catch (e) { ordinary = e; }
  let lazy: unknown;
  try { loadModelFile(bad, lazily); } catch (e) { lazy = e; }
  assert.ok(ordinary instanceof TreluError);
  assert.deepEqual([(lazy as TreluError).code, (lazy as TreluError).message], [ordinary.code, ordinary.message]);
});
