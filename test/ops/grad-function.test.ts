// ThresholdedReluGrad as a model-local function: ONNX Runtime inlines it and
// its results equal the reference gradient, bit for bit, except that ORT's
// Where turns a passed-through -0 into +0 (tested below).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import ort from 'onnxruntime-node';
import { onnx, DataType, type ValueInfoProto } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { Graph, Model, Node, Value, modelToProto, attr } from '../../src/graph/index.js';
import { ensureThresholdedReluGradFunction, thresholdedReluGradReference, numberToFloat16, TRELU_DOMAIN, GRAD_OP_TYPE } from '../../src/ops/index.js';

function gradModel(elemType: number, alpha: number, opset = 17): Uint8Array {
  const info = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }] } } } }) as ValueInfoProto;
  const graph = new Graph({ name: 'grad' });
  const model = new Model({ graph, opsetImports: new Map([['', opset]]), irVersion: 8 });
  const x = new Value('X', { info: info('X') });
  const dy = new Value('dY', { info: info('dY') });
  graph.addInput(x);
  graph.addInput(dy);
  const dx = new Value('dX', { info: info('dX') });
  graph.append(new Node({ domain: TRELU_DOMAIN, opType: GRAD_OP_TYPE, name: 'g', inputs: [x, dy], outputs: [dx], attributes: [attr.float('alpha', alpha)] }));
  graph.outputs.push(dx);
  assert.equal(ensureThresholdedReluGradFunction(model), true);
  assert.equal(ensureThresholdedReluGradFunction(model), false, 'adding it twice is a no-op');
  return encodeModel(modelToProto(model));
}

const xs = [-3, -1, -0.5, 0, 0.25, 0.9999, 1, 1.0006, 1.0009765625, 2, 100, NaN, Infinity, -Infinity, -0];

for (const alpha of [1, 0, -1, 1.0006]) {
  test(`float32, alpha=${alpha}: ORT cpu runs the function and matches the reference`, async () => {
    const session = await ort.InferenceSession.create(gradModel(DataType.FLOAT, alpha));
    const x = Float32Array.from(xs);
    const dy = Float32Array.from(xs.map((_, i) => i + 0.5));
    const out = await session.run({ X: new ort.Tensor('float32', x, [x.length]), dY: new ort.Tensor('float32', dy, [dy.length]) });
    const expected = thresholdedReluGradReference(x, dy, alpha, 'float32');
    assert.deepEqual(Buffer.from((out.dX!.data as Float32Array).buffer), Buffer.from(expected.buffer));
  });
}

test('float16: ORT cpu runs the function and matches the reference (alpha rounded to float16)', async () => {
  const alpha = 1.0006;
  const session = await ort.InferenceSession.create(gradModel(DataType.FLOAT16, alpha));
  const x = Uint16Array.from(xs.map(numberToFloat16));
  const dy = Uint16Array.from(xs.map((_, i) => numberToFloat16(i + 0.5)));
  const out = await session.run({ X: new ort.Tensor('float16', x, [x.length]), dY: new ort.Tensor('float16', dy, [dy.length]) });
  const got = out.dX!.data as Uint16Array;
  const expected = thresholdedReluGradReference(x, dy, alpha, 'float16');
  assert.deepEqual([...got], [...expected]);
  // 1.0009765625 == round(1.0006) in float16, so its gradient is 0
  assert.equal(expected[xs.indexOf(1.0009765625)], 0);
});

test('float32, dY = -0 where the gradient passes: ORT returns +0 (its Where turns a selected -0 into +0); the only difference', async () => {
  // ORT's CPU Where selects in two passes and merges them with `x != 0 ? x : y`, so a selected -0
  // becomes the other side's 0. Numerically the same gradient; the sign of zero differs.
  const session = await ort.InferenceSession.create(gradModel(DataType.FLOAT, 0.5));
  const x = Float32Array.of(2, 2, 0.1, 0.1);
  const dy = Float32Array.of(-0, 3, -0, -3);
  const out = await session.run({ X: new ort.Tensor('float32', x, [4]), dY: new ort.Tensor('float32', dy, [4]) });
  const got = [...(out.dX!.data as Float32Array)];
  const expected = [...thresholdedReluGradReference(x, dy, 0.5, 'float32')];
  assert.ok(Object.is(expected[0], -0), 'the reference passes -0 through');
  assert.ok(Object.is(got[0], 0), 'ORT gives +0 (if this fails, ORT now keeps -0: make the test bit-exact)');
  assert.deepEqual(got.slice(1), expected.slice(1));
});

test('the function needs ai.onnx 15 (CastLike)', () => {
  assert.throws(() => gradModel(DataType.FLOAT, 1, 13), /opset 15/);
});

test('the function is written as a FunctionProto in the project domain', () => {
  const bytes = gradModel(DataType.FLOAT, 1);
  const proto = onnx.ModelProto.decode(bytes);
  assert.deepEqual(proto.functions.map((f) => [f.domain, f.name, f.attribute]), [[TRELU_DOMAIN, GRAD_OP_TYPE, ['alpha']]]);
  assert.deepEqual(proto.functions[0]!.node.map((n) => n.opType), ['Constant', 'CastLike', 'Less', 'Constant', 'CastLike', 'Where']);
  assert.ok(proto.opsetImport.some((o) => o.domain === TRELU_DOMAIN && Long.fromValue(o.version).toNumber() === 1));
});
