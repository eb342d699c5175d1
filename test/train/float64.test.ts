// toFloat64: the double copy of a forward model that --check's finite differences run in ORT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, DataType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { toFloat64 } from '../../src/train/index.js';
import { createBackends, seededRandom as seeded } from '../../src/runtime/index.js';

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

test('toFloat64 lowers depthwise Convs (group = channels: MobileNet, BlazeFace, M-LSD) to taps ORT runs in double; the copy computes what ORT\'s float32 Conv does', async () => {
  const C = 3;
  const r = seeded(4);
  const f32 = (name: string, dims: number[]) => ({ name, dataType: DataType.FLOAT, dims: dims.map((d) => Long.fromNumber(d)), rawData: new Uint8Array(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1).buffer) });
  const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v.map((x) => Long.fromNumber(x)) });
  const tt = (dims: number[]) => ({ tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: Long.fromNumber(d) })) } } });
  const proto = onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g',
      node: [{ opType: 'Conv', input: ['x', 'w', 'b'], output: ['y'], attribute: [{ name: 'group', type: 2, i: Long.fromNumber(C) }, ints('strides', [2, 2]), ints('pads', [1, 0, 1, 1]), ints('dilations', [1, 2])] }],
      input: [{ name: 'x', type: tt([2, C, 7, 8]) }],
      output: [{ name: 'y', type: tt([2, C, 4, 3]) }],
      initializer: [f32('w', [C, 1, 3, 3]), f32('b', [C])],
    },
  });
  const bytes = encodeModel(proto);
  const m = modelFromProto(decodeModel(bytes));
  toFloat64(m, ['y']);
  assert.ok(!m.graph.nodes.some((n) => n.opType === 'Conv'), 'lowered');
  const cpu = createBackends().get('cpu');
  const x = Float32Array.from({ length: 2 * C * 7 * 8 }, () => r() * 4 - 2);
  const s32 = await cpu.createSession(bytes, {});
  const s64 = await cpu.createSession(encodeModel(modelToProto(m)), {});
  try {
    const y32 = (await s32.run({ x: { type: 'float32', data: x, dims: [2, C, 7, 8] } })).y!;
    const y64 = (await s64.run({ x: { type: 'float64', data: Float64Array.from(x), dims: [2, C, 7, 8] } })).y!;
    assert.deepEqual(y64.dims, y32.dims);
    let worst = 0;
    (y32.data as Float32Array).forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (y64.data as Float64Array)[i]!))));
    assert.ok(worst < 1e-5, `max |float64 copy − ORT float32| = ${worst}`);
  } finally {
    await s32.release();
    await s64.release();
  }
});
