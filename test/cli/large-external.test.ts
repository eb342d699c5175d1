// Opt-in (TRELU_LARGE_TESTS=1; about 5 GB of disk): a model with more than
// 2 GiB of tensor data, in external data, converted to a new external file.
// Skipped (and reported as skipped) otherwise: too slow and too big for CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import Long from 'long';
import { onnx, DataType, DataLocation } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { externalDataInfo } from '../../src/onnx/external-data.js';
import { loadModelFile } from '../../src/node/model-file.js';
import { runCli, tmpDir } from '../helpers.js';

const enabled = process.env.TRELU_LARGE_TESTS === '1';
const TENSOR_BYTES = 800 * 2 ** 20;
const TENSORS = 3;

function sha1OfRange(file: string, offset: number, length: number): string {
  const hash = createHash('sha1');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 << 20);
  for (let done = 0; done < length;) {
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, length - done), offset + done);
    hash.update(buf.subarray(0, n));
    done += n;
  }
  fs.closeSync(fd);
  return hash.digest('hex');
}

test('more than 2 GiB of external data round-trips through convert', { skip: enabled ? false : 'set TRELU_LARGE_TESTS=1 to run (writes ~5 GB)' }, async () => {
  const dir = tmpDir();
  try {
    const data = path.join(dir, 'big.bin');
    const fd = fs.openSync(data, 'w');
    const chunk = Buffer.alloc(16 << 20);
    for (let t = 0; t < TENSORS; t++) {
      for (let off = 0; off < TENSOR_BYTES; off += chunk.length) {
        chunk.fill((t * 31 + off / chunk.length) & 0xff);
        fs.writeSync(fd, chunk);
      }
    }
    fs.closeSync(fd);
    const initializer = Array.from({ length: TENSORS }, (_, t) => onnx.TensorProto.create({
      name: `w${t}`, dims: [Long.fromNumber(TENSOR_BYTES / 4)], dataType: DataType.FLOAT, dataLocation: DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: 'big.bin' }, { key: 'offset', value: String(t * TENSOR_BYTES) }, { key: 'length', value: String(TENSOR_BYTES) }],
    }));
    const model = onnx.ModelProto.create({
      irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
      graph: { name: 'big', initializer, output: initializer.map((t) => ({ name: t.name })) },
    });
    const file = path.join(dir, 'big.onnx');
    fs.writeFileSync(file, encodeModel(model as never));
    const outDir = path.join(dir, 'out');
    fs.mkdirSync(outDir);
    const r = await runCli('convert', file, path.join(outDir, 'big.onnx'), '--external-data', 'weights.bin');
    assert.equal(r.code, 0, r.err.join('\n'));
    const loaded = loadModelFile(path.join(outDir, 'big.onnx'));
    assert.ok(loaded.externalFiles[0]!.size > 2 ** 31);
    for (let t = 0; t < TENSORS; t++) {
      const info = externalDataInfo(loaded.model.graph!.initializer[t]!);
      assert.equal(info.length, TENSOR_BYTES);
      assert.equal(sha1OfRange(path.join(outDir, 'weights.bin'), info.offset, TENSOR_BYTES), sha1OfRange(data, t * TENSOR_BYTES, TENSOR_BYTES));
    }
    // Inline would exceed protobuf's 2 GiB: refused, nothing written.
    const r2 = await runCli('convert', file, path.join(outDir, 'inline.onnx'), '--inline-data');
    assert.equal(r2.code, 2);
    assert.ok(!fs.existsSync(path.join(outDir, 'inline.onnx')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
