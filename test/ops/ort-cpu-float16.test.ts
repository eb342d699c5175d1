// What the validator's `ep-cast-fallback` warning is about, observed in ORT
// itself: the CPU EP has no float16 ThresholdedRelu kernel, runs it through
// casts to float32, and compares with alpha in float32, so it disagrees with
// the spec (alpha rounded to float16) for x between alpha and float16(alpha).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import ort from 'onnxruntime-node';
import { onnx, DataType } from '../../src/onnx/proto.js';
import { thresholdedReluReference, numberToFloat16 } from '../../src/ops/index.js';

test('ORT cpu float16 ThresholdedRelu compares in float32 (differs from the spec at x = float16(alpha))', async () => {
  const alpha = 1.0006;
  const dim = { dim: [{ dimValue: Long.fromNumber(2) }] };
  const bytes = onnx.ModelProto.encode({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g', node: [{ opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: 1, f: alpha }] }],
      input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT16, shape: dim } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT16, shape: dim } } }],
    },
  }).finish();
  const session = await ort.InferenceSession.create(bytes);
  const x = Uint16Array.from([numberToFloat16(1.0009765625), numberToFloat16(2)]);
  const out = await session.run({ x: new ort.Tensor('float16', x, [2]) });
  const spec = thresholdedReluReference(x, alpha, 'float16');
  assert.deepEqual([...spec], [0, x[1]]);
  assert.deepEqual([...(out.y!.data as Uint16Array)], [x[0], x[1]], 'ORT cpu passes x = 1.000977 because 1.000977 > 1.0006 in float32');
});
