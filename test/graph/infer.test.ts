// Type and shape inference, checked against the declared outputs of the ONNX
// conformance corpus's single-op models (written by ONNX's own tools): with
// the declarations stripped, whatever we infer must agree with them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, inferTypes, inferNodes, broadcastShapes, Builder } from '../../src/graph/index.js';
import { CORPUS, REPO_ROOT } from '../helpers.js';

test('inferred types and shapes agree with the corpus\'s declared outputs', () => {
  const dir = path.join(CORPUS, 'node');
  let typesChecked = 0;
  let shapesChecked = 0;
  const wrong: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name, 'model.onnx');
    if (!fs.existsSync(file)) continue;
    const model = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(file))));
    const declared = new Map(model.graph.outputs.map((v) => [v, { elemType: v.elemType, shape: v.shape }]));
    for (const v of model.graph.outputs) {
      v.info = undefined; // forget the declaration; infer from the inputs
      model.graph.outputInfos.delete(v);
    }
    const info = inferTypes(model);
    for (const [v, d] of declared) {
      const got = info.get(v);
      if (got?.elemType !== undefined && d.elemType !== undefined) {
        typesChecked++;
        if (got.elemType !== d.elemType) wrong.push(`${name}: ${v.name} type ${got.elemType} != ${d.elemType}`);
      }
      if (got?.shape && d.shape && got.shape.every((x) => typeof x === 'number') && d.shape.every((x) => typeof x === 'number')) {
        shapesChecked++;
        if (JSON.stringify(got.shape) !== JSON.stringify(d.shape)) wrong.push(`${name}: ${v.name} shape [${got.shape}] != [${d.shape}]`);
      }
    }
  }
  console.log(`# inference: ${typesChecked} output types and ${shapesChecked} output shapes checked against the corpus`);
  assert.ok(typesChecked > 300 && shapesChecked > 200, `${typesChecked} types, ${shapesChecked} shapes`);
  assert.deepEqual(wrong, []);
});

test('inference through the sample models reaches every value', () => {
  for (const file of ['mlp.onnx', 'cnn.onnx']) {
    const model = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(path.join(REPO_ROOT, 'models', file)))));
    const info = inferTypes(model);
    for (const n of model.graph) for (const v of n.outputs) {
      assert.equal(info.get(v)?.elemType, 1, `${file}: ${v.name}`);
      assert.ok(info.get(v)?.shape, `${file}: ${v.name} has a shape`);
    }
    const relu = model.graph.nodes.find((n) => n.opType === 'Relu')!;
    assert.deepEqual(info.get(relu.outputs[0]!)?.shape, file === 'mlp.onnx' ? ['N', 128] : ['N', 8, 28, 28]);
  }
});

test('inferNodes types added nodes as a full re-inference would', () => {
  const model = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(path.join(REPO_ROOT, 'models', 'cnn.onnx')))));
  const info = inferTypes(model);
  const relu = model.graph.nodes.find((n) => n.opType === 'Relu')!;
  const b = new Builder(model, model.graph, { after: relu });
  const pooled = b.op('MaxPool', [relu.outputs[0]], { attributes: [{ name: 'kernel_shape', type: 7, ints: [2, 2] } as never, { name: 'strides', type: 7, ints: [2, 2] } as never] });
  b.op('Transpose', [b.op('Mul', [pooled, pooled])], { attributes: [{ name: 'perm', type: 7, ints: [0, 2, 3, 1] } as never] });
  inferNodes(b.created, info);
  const fresh = inferTypes(model);
  for (const n of b.created) for (const v of n.outputs) assert.deepEqual(info.get(v), fresh.get(v), v.name);
  assert.deepEqual(info.get(b.created.at(-1)!.outputs[0]!)?.shape, ['N', 14, 14, 8]);
});

test('broadcasting', () => {
  assert.deepEqual(broadcastShapes([2, 1, 4], [3, 1]), [2, 3, 4]);
  assert.deepEqual(broadcastShapes(['N', 4], [4]), ['N', 4]);
  assert.deepEqual(broadcastShapes(['N', 1], ['M', 3]), [undefined, 3]);
  assert.equal(broadcastShapes(undefined, [1]), undefined);
});
