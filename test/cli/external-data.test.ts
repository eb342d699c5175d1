// External data: moving tensors out and back, the path rules (CVE-2024-27318,
// CVE-2024-27319), and damaged external files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { externalDataInfo, isExternal, checkExternalLocation } from '../../src/onnx/external-data.js';
import { loadModelFile, readExternalBytes } from '../../src/node/model-file.js';
import { DataLocation, onnx, type ModelProto, type TensorProto } from '../../src/onnx/proto.js';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';

const MLP = path.join(REPO_ROOT, 'models', 'mlp.onnx');

test('convert --external-data then --inline-data gives back the original bytes', async () => {
  const dir = tmpDir();
  const ext = path.join(dir, 'ext', 'm.onnx');
  fs.mkdirSync(path.dirname(ext));
  let r = await runCli('convert', MLP, ext, '--external-data', 'm.onnx.data', '--size-threshold', '100');
  assert.equal(r.code, 0, r.err.join('\n'));
  const loaded = loadModelFile(ext);
  const externals = loaded.model.graph!.initializer.filter((t) => isExternal(t as TensorProto));
  const original = decodeModel(new Uint8Array(fs.readFileSync(MLP)));
  const big = original.graph!.initializer.filter((t) => t.rawData.length >= 100);
  assert.equal(externals.length, big.length);
  assert.ok(externals.length >= 3);
  for (const t of externals) {
    const info = externalDataInfo(t as TensorProto);
    assert.equal(info.offset % 4096, 0, 'offsets are page aligned');
    const orig = original.graph!.initializer.find((o) => o.name === t.name)!;
    assert.deepEqual(Buffer.from(readExternalBytes(loaded, t as TensorProto)), Buffer.from(orig.rawData));
  }
  // The .onnx file is small now; the data file holds the weights.
  assert.ok(fs.statSync(ext).size < 4096);
  assert.equal((await runCli('inspect', ext, '--json')).code, 0);

  const back = path.join(dir, 'back.onnx');
  r = await runCli('convert', ext, back, '--inline-data');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(fs.readFileSync(back), fs.readFileSync(MLP));

  // Default layout, another directory: the data file is copied along and the model stays byte-identical.
  const moved = path.join(dir, 'moved', 'm2.onnx');
  fs.mkdirSync(path.dirname(moved));
  r = await runCli('convert', ext, moved);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(fs.readFileSync(moved), fs.readFileSync(ext));
  assert.deepEqual(fs.readFileSync(path.join(dir, 'moved', 'm.onnx.data')), fs.readFileSync(path.join(dir, 'ext', 'm.onnx.data')));
});

/** Writes a model whose one initializer lives at `location` (relative to `dir`), with `data` there if given. */
function modelWithExternal(dir: string, location: string, extra: Record<string, string> = {}): string {
  const proto = decodeModel(new Uint8Array(fs.readFileSync(MLP))) as ModelProto;
  const t = proto.graph!.initializer[0]!;
  const length = t.rawData.length;
  const ext = Object.assign(Object.create(Object.getPrototypeOf(t)), t) as TensorProto;
  delete (ext as Partial<TensorProto>).rawData;
  ext.dataLocation = DataLocation.EXTERNAL;
  ext.externalData = [{ key: 'location', value: location }, { key: 'offset', value: '0' }, { key: 'length', value: String(length) }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))].map((e) => onnx.StringStringEntryProto.create(e));
  proto.graph!.initializer[0] = ext;
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, encodeModel(proto));
  return file;
}

async function assertRefused(file: string, pattern: RegExp) {
  const r = await runCli('inspect', file);
  assert.equal(r.code, 2, r.out.join('\n'));
  assert.match(r.err[0]!, pattern);
  assert.ok(!r.err.join('\n').includes('    at '));
  const outDir = tmpDir();
  assert.equal((await runCli('convert', file, path.join(outDir, 'o.onnx'), '--inline-data')).code, 2);
  assert.deepEqual(fs.readdirSync(outDir), []);
}

test('absolute external-data locations are refused', async () => {
  const dir = tmpDir();
  await assertRefused(modelWithExternal(dir, '/etc/passwd'), /absolute path/);
  assert.throws(() => checkExternalLocation('C:\\Windows\\win.ini'), /absolute/);
  assert.throws(() => checkExternalLocation('\\\\server\\share'), /absolute/);
});

test('.. segments that leave the model directory are refused; ones that stay inside are fine', async () => {
  const dir = tmpDir();
  await assertRefused(modelWithExternal(dir, '../../etc/passwd'), /leaves the model's directory/);
  await assertRefused(modelWithExternal(dir, 'a/../../secret.bin'), /leaves the model's directory/);
  assert.equal(checkExternalLocation('a/../b/./c.bin'), 'b/c.bin');
});

test('a symlink that points outside the model directory is refused', async () => {
  const outside = tmpDir();
  fs.writeFileSync(path.join(outside, 'secret.bin'), new Uint8Array(1 << 16));
  const dir = tmpDir();
  fs.symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'w.bin'));
  await assertRefused(modelWithExternal(dir, 'w.bin'), /symlink/);
});

test('missing and truncated external files are reported', async () => {
  const dir = tmpDir();
  await assertRefused(modelWithExternal(dir, 'missing.bin'), /does not exist/);
  const dir2 = tmpDir();
  fs.writeFileSync(path.join(dir2, 'short.bin'), new Uint8Array(10));
  await assertRefused(modelWithExternal(dir2, 'short.bin'), /truncated|needs bytes/);
});

test('a checksum on moved tensors is recomputed for the new file', async () => {
  const dir = tmpDir();
  const proto = decodeModel(new Uint8Array(fs.readFileSync(MLP)));
  const t = proto.graph!.initializer[0]!;
  fs.writeFileSync(path.join(dir, 'w.bin'), t.rawData);
  const file = modelWithExternal(dir, 'w.bin', { checksum: 'stale' });
  const out = path.join(dir, 'out.onnx');
  const r = await runCli('convert', file, out, '--external-data', 'new.bin');
  assert.equal(r.code, 0, r.err.join('\n'));
  const loaded = loadModelFile(out);
  const moved = loaded.model.graph!.initializer.find((x) => x.name === t.name)!;
  const checksum = moved.externalData.find((e) => e.key === 'checksum')?.value;
  assert.equal(checksum, createHash('sha1').update(fs.readFileSync(path.join(dir, 'new.bin'))).digest('hex'));
  // And --external-data refuses to overwrite a data file the input reads from.
  const r2 = await runCli('convert', file, path.join(dir, 'o2.onnx'), '--external-data', 'w.bin');
  assert.equal(r2.code, 2);
  assert.match(r2.err[0]!, /refusing to overwrite/);
});

test('the parallel async load and save give the same model and bytes as the sync ones', async () => {
  const { loadModelFileAsync } = await import('../../src/node/model-file.js');
  const { saveModelFile, saveModelFileAsync } = await import('../../src/node/save-model.js');
  const dir = tmpDir();
  // Big enough (> 64 MiB) for the two-way parallel read; many chunks for the parallel writes.
  const proto = decodeModel(new Uint8Array(fs.readFileSync(MLP)));
  const big = Object.assign(Object.create(Object.getPrototypeOf(proto.graph!.initializer[0]!)), proto.graph!.initializer[0]!, { name: 'big', rawData: new Uint8Array(70 << 20).map((_, i) => i * 31) });
  proto.graph!.initializer.push(big);
  const file = path.join(dir, 'big.onnx');
  fs.writeFileSync(file, encodeModel(proto));
  const a = await loadModelFileAsync(file);
  const b = loadModelFile(file);
  assert.deepEqual(Buffer.from(encodeModel(a.model)), Buffer.from(encodeModel(b.model)));
  await saveModelFileAsync(a.model, path.join(dir, 'async.onnx'), { source: a });
  saveModelFile(b.model, path.join(dir, 'sync.onnx'), { source: b });
  assert.ok(fs.readFileSync(path.join(dir, 'async.onnx')).equals(fs.readFileSync(file)));
  assert.ok(fs.readFileSync(path.join(dir, 'sync.onnx')).equals(fs.readFileSync(file)));
  await assert.rejects(loadModelFileAsync(path.join(dir, 'missing.onnx')), /no such file/);
});
