// checkGradients near kinks: a weight behind many Relu units, one of which switches within ±h of
// the point. The central difference at h is then wrong by a known amount; the check must retry at
// a smaller step (double precision) and compare there, and skip (not pass) a sample whose kink is
// closer than every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, DataType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { buildGradient, checkGradients, parameterFeeds, verdict } from '../../src/train/index.js';

/** loss = Σ_i Relu(w + b_i), w = 1: dL/dw = #{i : 1 + b_i > 0}. Unit 0's kink is at w = 1 - gap. */
function model(gap: number) {
  const b = [-1 + gap, ...Array.from({ length: 9 }, (_, i) => 0.1 * (i + 1))];
  const t = (name: string, values: number[]) => ({ name, dataType: DataType.FLOAT, dims: [Long.fromNumber(values.length)], floatData: values });
  const proto = onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'kinks', initializer: [t('w', [1]), t('b', b)],
      node: [
        { opType: 'Add', input: ['w', 'b'], output: ['z'], name: 'add' },
        { opType: 'Relu', input: ['z'], output: ['r'], name: 'relu' },
        { opType: 'ReduceSum', input: ['r'], output: ['loss'], name: 'sum', attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: Long.fromNumber(0) }] },
      ],
      output: [{ name: 'loss', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [] } } } }],
    },
  });
  const m = modelFromProto(decodeModel(encodeModel(proto as never)));
  const report = buildGradient(m, { loss: 'loss', wrt: ['w'] });
  return { bytes: encodeModel(modelToProto(m)), report, feeds: parameterFeeds(report) };
}

test('a kink 3e-6 from the point (inside ±h = 1e-5): compared at h/10 instead, and the exact gradient passes', async () => {
  const { bytes, report, feeds } = model(3e-6);
  const c = await checkGradients(bytes, report, feeds, { samples: 1 });
  assert.equal(c.precision, 'float64');
  const w = c.tensors.find((t) => t.tensor === 'w')!;
  // At h = 1e-5 the central difference is 9 + (1e-5 + 3e-6) / 2e-5 = 9.65 against the true 10 (3.5%).
  assert.deepEqual([w.checked, w.smallerStep, w.skippedKinks], [1, 1, 0]);
  assert.ok(w.maxRelError < 1e-6, `${w.maxRelError}`);
  assert.ok(verdict(c, 1e-3).ok);
});

test('no kink near the point: compared at h itself', async () => {
  const { bytes, report, feeds } = model(0.5);
  const w = (await checkGradients(bytes, report, feeds, { samples: 1 })).tensors.find((t) => t.tensor === 'w')!;
  assert.deepEqual([w.checked, w.smallerStep, w.skippedKinks], [1, 0, 0]);
  assert.ok(w.maxRelError < 1e-6, `${w.maxRelError}`);
});

test('a kink closer than the smallest step (3e-8 < h/100): skipped, never counted as checked, and the tensor is unchecked', async () => {
  const { bytes, report, feeds } = model(3e-8);
  const c = await checkGradients(bytes, report, feeds, { samples: 1 });
  const w = c.tensors.find((t) => t.tensor === 'w')!;
  assert.deepEqual([w.checked, w.skippedKinks], [0, 1]);
  const v = verdict(c, 1e-3);
  assert.equal(v.ok, false);
  assert.deepEqual(v.unchecked, ['w']);
});
