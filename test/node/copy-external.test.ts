// Saving a model with external data into another directory copies each data file whole,
// in the kernel (copy-file.ts): the bytes arrive unchanged, the copy is fsynced and
// renamed like every other write, and a data file that changed size since the load is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelFile, readExternalBytes } from '../../src/node/model-file.js';
import { saveModelFile, saveModelFileAsync } from '../../src/node/save-model.js';
import { isExternal } from '../../src/onnx/external-data.js';
import type { TensorProto } from '../../src/onnx/proto.js';
import { REPO_ROOT, tmpDir } from '../helpers.js';

const MLP = path.join(REPO_ROOT, 'models', 'mlp.onnx');

function withExternalData(dir: string): string {
  const file = path.join(dir, 'm.onnx');
  saveModelFile(loadModelFile(MLP).model, file, { externalData: { location: 'm.onnx.data', sizeThreshold: 100 } });
  return file;
}

for (const [name, save] of [['sync', saveModelFile], ['async', saveModelFileAsync]] as const) {
  test(`${name} save into another directory: the data file is copied byte for byte and the copy loads`, async () => {
    const src = withExternalData(tmpDir());
    const loaded = loadModelFile(src);
    const outDir = tmpDir();
    const out = path.join(outDir, 'copy.onnx');
    const report = await save(loaded.model, out, { source: loaded });
    const data = path.join(outDir, 'm.onnx.data');
    assert.deepEqual(report.externalFiles.map((f) => [f.path, f.bytes]), [[data, fs.statSync(path.join(path.dirname(src), 'm.onnx.data')).size]]);
    assert.ok(fs.readFileSync(data).equals(fs.readFileSync(path.join(path.dirname(src), 'm.onnx.data'))));
    assert.deepEqual(fs.readdirSync(outDir).sort(), ['copy.onnx', 'm.onnx.data'], 'no temp files left');
    const again = loadModelFile(out);
    const ext = again.model.graph!.initializer.filter((t) => isExternal(t as TensorProto));
    assert.ok(ext.length >= 3);
    for (const t of ext) {
      const orig = loaded.model.graph!.initializer.find((o) => o.name === t.name)!;
      assert.ok(Buffer.from(readExternalBytes(again, t as TensorProto)).equals(Buffer.from(readExternalBytes(loaded, orig as TensorProto))));
    }
  });
}

test('a data file that grew since the model was loaded is refused and nothing is left behind', () => {
  const src = withExternalData(tmpDir());
  const loaded = loadModelFile(src);
  fs.appendFileSync(path.join(path.dirname(src), 'm.onnx.data'), Buffer.alloc(10));
  const outDir = tmpDir();
  assert.throws(() => saveModelFile(loaded.model, path.join(outDir, 'copy.onnx'), { source: loaded }), (e: Error & { code?: string }) => e.code === 'E_EXTERNAL_DATA' && /changed|bytes now/.test(e.message));
  assert.deepEqual(fs.readdirSync(outDir), []);
});
