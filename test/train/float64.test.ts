// toFloat64: the double copy of a forward model that --check's finite differences run in ORT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, DataType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { toFloat64 } from '../../src/train/index.js';
import { createBackends } from '../../src/runtime/index.js';

test('toFloat64 gives ConstantOfShape without a value (float32 zeros by default) double zeros, so the copy loads and runs in double', async () => {
  // y = x + ConstantOfShape(Shape(x)): tf2onnx writes its Pad paddings and zero-fills this way.
  const tt = (et: number) => ({ tensorType: { elemType: et, shape: { dim: [{ dimValue: Long.fromNumber(3) }] } } });
  const m = modelFromProto(decodeModel(encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g',
      node: [
        { opType: 'Shape', input: ['x'], output: ['s'] },
        { opType: 'ConstantOfShape', input: ['s'], output: ['z'] },
        { opType: 'Add', input: ['x', 'z'], output: ['y'] },
      ],
      input: [{ name: 'x', type: tt(DataType.FLOAT) }],
      output: [{ name: 'y', type: tt(DataType.FLOAT) }],
    },
  }))));
  toFloat64(m, ['y']);
  const session = await createBackends().get('cpu').createSession(encodeModel(modelToProto(m)), {});
  try {
    const x = Float64Array.of(1.5, -2, 1e-300);
    const out = await session.run({ x: { type: 'float64', data: x, dims: [3] } });
    assert.equal(out.y!.type, 'float64');
    assert.deepEqual([...(out.y!.data as Float64Array)], [...x]);
  } finally {
    await session.release();
  }
});
