// Byte-identical re-encoding of every model in the ONNX conformance corpus
// (Debian libonnx-testdata: node, simple, pytorch-converted, pytorch-operator).
// The onnx Python package re-encodes all of them byte for byte; so must we,
// through the plain codec, the IR, and the chunked encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel, encodeModelChunked, encodedSize } from '../../src/onnx/encode.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { modelToProto } from '../../src/graph/to-proto.js';
import { corpusModels } from '../helpers.js';

const files = corpusModels();

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

test(`corpus: ${files.length} models re-encode byte for byte (codec, IR, chunked encoder)`, () => {
  assert.ok(files.length >= 1000, `expected the full corpus (1,072 models), found ${files.length}`);
  const failures: string[] = [];
  for (const file of files) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const proto = decodeModel(bytes, { source: file });
    const direct = encodeModel(proto);
    const viaIr = encodeModel(modelToProto(modelFromProto(proto)));
    const chunks: Uint8Array[] = [];
    // Thresholds of 0 force the schema-driven path for every message and every bytes field.
    encodeModelChunked(proto, (c) => chunks.push(c.slice()), { blobThreshold: 0, staticThreshold: 0, flushThreshold: 64 });
    const chunked = Buffer.concat(chunks);
    for (const [label, out] of [['codec', direct], ['ir', viaIr], ['chunked', chunked]] as const) {
      if (Buffer.compare(Buffer.from(out), Buffer.from(bytes)) !== 0) failures.push(`${label}: ${file} differs at byte ${firstDifference(out, bytes)}`);
    }
    if (encodedSize(proto) !== bytes.length) failures.push(`size: ${file}`);
  }
  console.log(`# corpus round trip: ${files.length - new Set(failures.map((f) => f.split(': ')[1])).size}/${files.length} models byte-identical`);
  assert.deepEqual(failures.slice(0, 10), []);
});
