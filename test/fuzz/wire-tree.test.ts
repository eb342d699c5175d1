// The fuzzer's wire tree: parse + serialize is the identity on every corpus
// model (so a mutation changes only what it means to), and a changed varint
// inside a nested message gets every enclosing length prefix fixed up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parseMessage, serializeMessage, allFields } from '../../scripts/fuzz/wire-tree.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { corpusModels } from '../helpers.js';

test('parse + serialize gives back the bytes of every conformance model', () => {
  let n = 0;
  for (const file of corpusModels()) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const tree = parseMessage(bytes, 'ModelProto');
    assert.ok(tree, file);
    assert.deepEqual(Buffer.from(serializeMessage(tree)), Buffer.from(bytes), file);
    n++;
  }
  assert.ok(n > 1000);
});

test('a varint grown from one byte to ten inside a node fixes up every enclosing length', () => {
  const file = corpusModels().find((f) => f.endsWith('/node/test_thresholdedrelu/model.onnx'))!;
  const tree = parseMessage(new Uint8Array(fs.readFileSync(file)), 'ModelProto')!;
  // The ir_version varint at the top, and a dim_value deep inside the graph's input type.
  const dims = allFields(tree).filter(({ parent }) => parent.type === 'TensorShapeProto.Dimension');
  assert.ok(dims.length > 0, 'the tree reaches dims (Graph → ValueInfo → Type → Tensor → Shape → Dimension)');
  dims[0]!.parent.fields[dims[0]!.index]!.value = 2n ** 62n;
  const m = decodeModel(serializeMessage(tree));
  assert.equal(String(m.graph!.input[0]!.type!.tensorType!.shape!.dim[0]!.dimValue), String(2n ** 62n));
  assert.equal(m.graph!.node[0]!.opType, 'ThresholdedRelu', 'everything after the grown field still decodes');
});
