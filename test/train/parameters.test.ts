// What `wrt: 'params'` selects (src/train/parameters.ts): the weights, as torch's parameters() has them:
// not BatchNormalization's running statistics nor Clip's bounds (rules declare those positions with
// nonParameterInputs), also where the exporter reads them through an Identity alias; naming one in
// `wrt` still differentiates it; ORT artifacts' default requiresGrad takes the same selection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, DataType, AttributeType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { buildGradient, buildOrtArtifacts, checkGradients, parameterFeeds, GRADIENT_RULES, withRules } from '../../src/train/index.js';
import { batchNormalizationGrad } from '../../src/train/rules/batch-normalization.js';
import { seededRandom } from '../../src/runtime/index.js';

/** x [2,3,4,4] → Conv(W) → BatchNormalization(scale, bias, Identity(mean), var) → Clip(lo, hi) → Mul(Identity(K)) → ReduceSum. */
function model() {
  const r = seededRandom(4);
  const init = (name: string, dims: number[], lo = -1, hi = 1) => ({ name, dataType: DataType.FLOAT, dims: dims.map((d) => Long.fromNumber(d)), rawData: new Uint8Array(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * r()).buffer) });
  const tt = (dims: number[]) => ({ tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: Long.fromNumber(d) })) } } });
  return modelFromProto(decodeModel(encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g',
      node: [
        { opType: 'Conv', input: ['x', 'W'], output: ['c'], attribute: [{ name: 'pads', type: AttributeType.INTS, ints: [1, 1, 1, 1].map((v) => Long.fromNumber(v)) }] },
        { opType: 'Identity', input: ['mean'], output: ['mean_alias'] },
        { opType: 'BatchNormalization', input: ['c', 'scale', 'bias', 'mean_alias', 'var'], output: ['n'] },
        { opType: 'Clip', input: ['n', 'lo', 'hi'], output: ['y'] },
        { opType: 'Identity', input: ['K'], output: ['K_alias'] },
        { opType: 'Mul', input: ['y', 'K_alias'], output: ['yk'] },
        { opType: 'ReduceSum', input: ['yk'], output: ['loss'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: Long.fromNumber(0) }] },
      ],
      input: [{ name: 'x', type: tt([2, 3, 4, 4]) }],
      output: [{ name: 'loss', type: tt([]) }],
      initializer: [init('W', [3, 3, 3, 3]), init('scale', [3]), init('bias', [3]), init('mean', [3]), init('var', [3], 0.5, 2), init('lo', [], -0.3, -0.2), init('hi', [], 0.2, 0.3), init('K', [2, 3, 4, 4])],
    },
  }))));
}
const xFeed = () => {
  const r = seededRandom(8);
  return { x: { type: 'float32' as const, data: Float32Array.from({ length: 96 }, () => r() * 2 - 1), dims: [2, 3, 4, 4] } };
};

test("wrt 'params' leaves out BatchNormalization's running statistics (also through an Identity alias) and Clip's bounds, and keeps aliased weights", () => {
  const report = buildGradient(model(), { loss: 'loss', wrt: 'params' });
  assert.deepEqual(report.gradients.map((g) => g.tensor), ['W', 'scale', 'bias', 'K']);
  assert.ok(report.gradients.every((g) => g.connected));
  assert.deepEqual(Object.keys(report.parameters), ['W', 'scale', 'bias', 'K'], 'only the parameters become inputs; the statistics stay initializers');
});

test('the positions are the rule\'s value: a rule list without them selects the statistics again', () => {
  const { nonParameterInputs: _, ...plain } = batchNormalizationGrad;
  const report = buildGradient(model(), { loss: 'loss', wrt: 'params', rules: withRules(GRADIENT_RULES, plain) });
  assert.deepEqual(report.gradients.map((g) => g.tensor), ['W', 'scale', 'bias', 'mean', 'var', 'K']);
});

test('statistics and bounds named in wrt are differentiated, and match finite differences', async () => {
  const m = model();
  const report = buildGradient(m, { loss: 'loss', wrt: ['mean', 'var', 'lo', 'hi', 'scale'] });
  assert.deepEqual(report.gradients.map((g) => [g.tensor, g.connected]), [['mean', true], ['var', true], ['lo', true], ['hi', true], ['scale', true]]);
  const check = await checkGradients(encodeModel(modelToProto(m)), report, { ...xFeed(), ...parameterFeeds(report) }, { samples: 3, seed: 1 });
  assert.equal(check.tensors.length, 5);
  for (const t of check.tensors) {
    assert.ok(t.checked >= 1, `${t.tensor} checked`);
    assert.ok(t.maxRelError < 2e-3, `${t.tensor}: relative error ${t.maxRelError} (${check.precision})`);
  }
});

test("ORT artifacts' default requiresGrad 'params' is the same selection: the statistics and bounds stay constants of the training model", () => {
  const a = buildOrtArtifacts(model(), { loss: 'loss', optimizer: { type: 'adamw', learningRate: 0.001 } });
  assert.deepEqual(a.report.trainable, ['W', 'scale', 'bias', 'K']);
  assert.deepEqual(a.checkpoint.trainable.map((t) => t.name), ['W', 'scale', 'bias', 'K']);
  const inits = new Set(a.trainingModel.graph!.initializer!.map((t) => t.name));
  const inputs = new Set(a.trainingModel.graph!.input!.map((v) => v.name));
  for (const n of ['mean', 'var', 'lo', 'hi']) assert.ok(inits.has(n) && !inputs.has(n), `${n} stays an initializer`);
});
