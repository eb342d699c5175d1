// Shape rules on hand-computed cases (the arithmetic is written out in each
// expectation), and the promises of the design: values carry what inference
// found, declarations win, nothing is written back, huge dims stay numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { onnx, AttributeType, DataType } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { modelToProto } from '../../src/graph/to-proto.js';
import { inferModel } from '../../src/graph/infer/index.js';
import type { Model } from '../../src/graph/model.js';
import type { Value } from '../../src/graph/value.js';
import { REPO_ROOT } from '../helpers.js';

type N = onnx.NodeProto.$Properties;
type D = number | string;
const tensorType = (elemType: number, dims: D[]) => ({ tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: Long.fromNumber(d) } : { dimParam: d })) } } });
const i64 = (name: string, values: number[], dims = [values.length]) => ({ name, dataType: DataType.INT64, dims: dims.map((d) => Long.fromNumber(d)), int64Data: values.map((v) => Long.fromNumber(v)) });
const f32 = (name: string, values: number[], dims = [values.length]) => ({ name, dataType: DataType.FLOAT, dims: dims.map((d) => Long.fromNumber(d)), floatData: values });
const ints = (name: string, v: number[]) => ({ name, type: AttributeType.INTS, ints: v.map((x) => Long.fromNumber(x)) });
const int = (name: string, v: number) => ({ name, type: AttributeType.INT, i: Long.fromNumber(v) });
const str = (name: string, v: string) => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(v) });

function build(inputs: Record<string, D[] | [number, D[]]>, nodes: N[], initializers: object[] = [], opset = 13): Model {
  const input = Object.entries(inputs).map(([name, s]) => {
    const [et, dims] = typeof s[0] === 'number' && Array.isArray(s[1]) ? (s as [number, D[]]) : [DataType.FLOAT, s as D[]];
    return { name, type: tensorType(et, dims) };
  });
  const last = nodes[nodes.length - 1]!.output![0]!;
  const bytes = encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(opset) }],
    graph: { name: 'g', node: nodes, input, output: [{ name: last }], initializer: initializers },
  }) as never);
  const model = modelFromProto(decodeModel(bytes));
  inferModel(model);
  return model;
}

function value(model: Model, name: string): Value {
  for (const n of model.graph) for (const v of n.outputs) if (v.name === name) return v;
  throw new Error(`no value ${name}`);
}
const shapeOf = (m: Model, name: string) => value(m, name).shapeInfo;

test('Conv with auto_pad SAME_UPPER: ceil(7 / 2) = 4; explicit pads: (7 + 2 - 3) / 2 + 1 = 4; dilation 2: (7 - 5) / 1 + 1 = 3', () => {
  const m = build({ x: [1, 3, 7, 7], w: [8, 3, 3, 3] }, [
    { opType: 'Conv', input: ['x', 'w'], output: ['same'], attribute: [str('auto_pad', 'SAME_UPPER'), ints('strides', [2, 2])] },
    { opType: 'Conv', input: ['x', 'w'], output: ['pads'], attribute: [ints('pads', [1, 1, 1, 1]), ints('strides', [2, 2])] },
    { opType: 'Conv', input: ['x', 'w'], output: ['dil'], attribute: [ints('dilations', [2, 2])] },
  ]);
  assert.deepEqual(shapeOf(m, 'same'), [1, 8, 4, 4]);
  assert.deepEqual(shapeOf(m, 'pads'), [1, 8, 4, 4]);
  assert.deepEqual(shapeOf(m, 'dil'), [1, 8, 3, 3]);
  assert.equal(value(m, 'same').dtype, DataType.FLOAT);
});

test('ConvTranspose: 2 * (5 - 1) + 1 (output_padding) + 3 - 2 (pads) = 10, channels = W[1] * group', () => {
  const m = build({ x: [1, 4, 5, 5], w: [4, 2, 3, 3] }, [
    { opType: 'ConvTranspose', input: ['x', 'w'], output: ['y'], attribute: [ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), ints('output_padding', [1, 1])] },
  ]);
  assert.deepEqual(shapeOf(m, 'y'), [1, 2, 10, 10]);
});

test('MaxPool ceil_mode: (6 - 3) / 2 = 1.5 → floor 1 + 1 = 2, ceil 2 + 1 = 3; Indices like Y (int64)', () => {
  const m = build({ x: ['N', 1, 6, 6] }, [
    { opType: 'MaxPool', input: ['x'], output: ['floor', 'idx'], attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2])] },
    { opType: 'MaxPool', input: ['x'], output: ['ceil'], attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), int('ceil_mode', 1)] },
  ]);
  assert.deepEqual(shapeOf(m, 'floor'), ['N', 1, 2, 2]);
  assert.deepEqual(shapeOf(m, 'idx'), ['N', 1, 2, 2]);
  assert.equal(value(m, 'idx').dtype, DataType.INT64);
  assert.deepEqual(shapeOf(m, 'ceil'), ['N', 1, 3, 3]);
});

test('a shape computed by Shape → Gather → Unsqueeze → Concat reaches Reshape; -1 cancels the symbolic batch: 3 * 4 * 4 = 48', () => {
  const m = build({ x: ['N', 3, 4, 4] }, [
    { opType: 'Shape', input: ['x'], output: ['s'] },
    { opType: 'Gather', input: ['s', 'zero'], output: ['n'], attribute: [int('axis', 0)] },
    { opType: 'Unsqueeze', input: ['n', 'axes0'], output: ['n1'] },
    { opType: 'Concat', input: ['n1', 'minus1'], output: ['target'], attribute: [int('axis', 0)] },
    { opType: 'Reshape', input: ['x', 'target'], output: ['y'] },
  ], [i64('zero', [0], []), i64('axes0', [0]), i64('minus1', [-1])]);
  assert.deepEqual(value(m, 's').inferred?.value, ['N', 3, 4, 4]);
  assert.deepEqual(value(m, 'target').inferred?.value, ['N', -1]);
  assert.deepEqual(shapeOf(m, 'y'), ['N', 48]);
});

test('Split (13) by a constant split input, and equally without one; Pad (11) by a constant pads input', () => {
  const m = build({ x: [4, 5], z: [4, 6], p: [1, 3, 4, 4] }, [
    { opType: 'Split', input: ['x', 'split'], output: ['a', 'b'], attribute: [int('axis', 1)] },
    { opType: 'Split', input: ['z'], output: ['c', 'd'], attribute: [int('axis', 1)] },
    { opType: 'Pad', input: ['p', 'pads'], output: ['padded'] },
  ], [i64('split', [2, 3]), i64('pads', [0, 0, 1, 2, 0, 0, 1, 0])]);
  assert.deepEqual(shapeOf(m, 'a'), [4, 2]);
  assert.deepEqual(shapeOf(m, 'b'), [4, 3]);
  assert.deepEqual(shapeOf(m, 'c'), [4, 3]);
  assert.deepEqual(shapeOf(m, 'd'), [4, 3]);
  assert.deepEqual(shapeOf(m, 'padded'), [1, 3, 4 + 1 + 1, 4 + 2 + 0]);
});

test('Resize (13) by scales [1, 1, 2, 1.5] and by sizes; Upsample (9) by scales', () => {
  const m = build({ x: [1, 3, 5, 4] }, [
    { opType: 'Resize', input: ['x', '', 'scales'], output: ['by_scales'], attribute: [str('mode', 'nearest')] },
    { opType: 'Resize', input: ['x', '', '', 'sizes'], output: ['by_sizes'] },
  ], [f32('scales', [1, 1, 2, 1.5]), i64('sizes', [1, 3, 7, 9])]);
  assert.deepEqual(shapeOf(m, 'by_scales'), [1, 3, 10, 6]);
  assert.deepEqual(shapeOf(m, 'by_sizes'), [1, 3, 7, 9]);
  const up = build({ x: [1, 3, 5, 4] }, [{ opType: 'Upsample', input: ['x', 'scales'], output: ['y'] }], [f32('scales', [1, 1, 2, 2])], 9);
  assert.deepEqual(shapeOf(up, 'y'), [1, 3, 10, 8]);
});

test("Einsum: attention's 'bhid,bhjd->bhij'; '...' broadcast ([2,1] with [3]: [2,3]); implicit 'ij,jk' is 'ik' (letters used once, sorted); a size-1 letter gives way", () => {
  const m = build({ q: [2, 4, 5, 8], k: [2, 4, 6, 8], a: [2, 1, 5, 7], b: [3, 6, 7], x: [5, 7], y: [7, 9], u: [1, 7], v: [4, 7] }, [
    { opType: 'Einsum', input: ['q', 'k'], output: ['att'], attribute: [str('equation', 'bhid,bhjd->bhij')] },
    { opType: 'Einsum', input: ['a', 'b'], output: ['ell'], attribute: [str('equation', '...id,...jd->...ij')] },
    { opType: 'Einsum', input: ['x', 'y'], output: ['imp'], attribute: [str('equation', 'ij,jk')] },
    { opType: 'Einsum', input: ['u', 'v'], output: ['one'], attribute: [str('equation', 'ij,kj->ik')] },
    { opType: 'Einsum', input: ['u', 'v'], output: ['bc'], attribute: [str('equation', 'ij,ij->ij')] },
  ], [], 12);
  assert.deepEqual(shapeOf(m, 'att'), [2, 4, 5, 6]);
  assert.deepEqual(shapeOf(m, 'ell'), [2, 3, 5, 6]);
  assert.deepEqual(shapeOf(m, 'imp'), [5, 9]);
  assert.deepEqual(shapeOf(m, 'one'), [1, 4]);
  assert.deepEqual(shapeOf(m, 'bc'), [4, 7]);
});

test('Expand and Where broadcast; Tile multiplies; Range(0, 10, 3) has ceil(10 / 3) = 4 elements; Slice with step -1 over 10 gives 10', () => {
  const m = build({ x: [3, 1], c: [(DataType.BOOL as number), [1, 4]] as never, t: [2, 'K'], v: [10] }, [
    { opType: 'Expand', input: ['x', 'to'], output: ['e'] },
    { opType: 'Where', input: ['c', 'x', 'e'], output: ['w'] },
    { opType: 'Tile', input: ['t', 'reps'], output: ['tiled'] },
    { opType: 'Range', input: ['start', 'limit', 'delta'], output: ['r'] },
    { opType: 'Slice', input: ['v', 'st', 'en', 'ax', 'sp'], output: ['rev'] },
  ], [i64('to', [2, 1, 4]), i64('reps', [3, 1]), i64('start', [0], []), i64('limit', [10], []), i64('delta', [3], []), i64('st', [-1]), i64('en', [-1000]), i64('ax', [0]), i64('sp', [-1])]);
  assert.deepEqual(shapeOf(m, 'e'), [2, 3, 4]);
  assert.deepEqual(shapeOf(m, 'w'), [2, 3, 4]);
  assert.deepEqual(shapeOf(m, 'tiled'), [6, 'K']);
  assert.deepEqual(shapeOf(m, 'r'), [4]);
  assert.equal(value(m, 'r').dtype, DataType.INT64);
  assert.deepEqual(shapeOf(m, 'rev'), [10]);
});

test('a ConstantOfShape fed a [2147483648] shape tensor gets an unknown rank, and allocates nothing of that size', () => {
  const m = build({ s: [DataType.INT64, [2147483648]] as never, x: [2147483648, 'N'] }, [
    { opType: 'ConstantOfShape', input: ['s'], output: ['huge_rank'] },
    { opType: 'Shape', input: ['x'], output: ['xs'] },
    { opType: 'ConstantOfShape', input: ['xs'], output: ['huge_dims'] },
    { opType: 'Size', input: ['x'], output: ['n'] },
  ]);
  assert.equal(shapeOf(m, 'huge_rank'), undefined);
  assert.deepEqual(shapeOf(m, 'huge_dims'), [2147483648, 'N']);
  assert.deepEqual(shapeOf(m, 'n'), []);
  assert.equal(value(m, 'n').inferred?.value, undefined); // N is symbolic
});

test('element types from the schemas: Shape int64, ArgMax int64, Cast `to`, TopK (values, int64 indices), comparison bool, QuantizeLinear uint8 by default', () => {
  const m = build({ x: [2, 5] }, [
    { opType: 'ArgMax', input: ['x'], output: ['am'], attribute: [int('axis', 1), int('keepdims', 0)] },
    { opType: 'Cast', input: ['x'], output: ['half'], attribute: [int('to', DataType.FLOAT16)] },
    { opType: 'TopK', input: ['x', 'k'], output: ['vals', 'idx'] },
    { opType: 'Less', input: ['x', 'x'], output: ['lt'] },
    { opType: 'QuantizeLinear', input: ['x', 'scale'], output: ['q'] },
  ], [i64('k', [3]), f32('scale', [0.1], [])]);
  assert.deepEqual([value(m, 'am').dtype, value(m, 'am').shapeInfo], [DataType.INT64, [2]]);
  assert.equal(value(m, 'half').dtype, DataType.FLOAT16);
  assert.deepEqual([value(m, 'vals').dtype, value(m, 'vals').shapeInfo], [DataType.FLOAT, [2, 3]]);
  assert.deepEqual([value(m, 'idx').dtype, value(m, 'idx').shapeInfo], [DataType.INT64, [2, 3]]);
  assert.equal(value(m, 'lt').dtype, DataType.BOOL);
  assert.equal(value(m, 'q').dtype, DataType.UINT8);
});

test('declarations win over inference, and inference writes nothing back: the round trip stays byte-exact', () => {
  for (const file of ['mlp.onnx', 'cnn.onnx']) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(REPO_ROOT, 'models', file)));
    const model = modelFromProto(decodeModel(bytes));
    inferModel(model);
    for (const n of model.graph) for (const v of n.outputs) assert.ok(v.dtype !== undefined && v.shapeInfo, `${file}: ${v.name}`);
    assert.ok(Buffer.from(encodeModel(modelToProto(model))).equals(Buffer.from(bytes)), `${file}: bytes changed`);
  }
  const m = build({ x: ['N', 4] }, [{ opType: 'Relu', input: ['x'], output: ['y'] }]);
  const y = value(m, 'y');
  y.info = onnx.ValueInfoProto.create({ name: 'y', type: tensorType(DataType.FLOAT, [7, 4]) }) as never;
  assert.deepEqual(y.shapeInfo, [7, 4]);
  assert.deepEqual(y.inferred?.shape, ['N', 4]);
});
