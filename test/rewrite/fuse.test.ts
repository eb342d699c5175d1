// The fuse rules on fixtures built here, their near-misses left untouched,
// subgraphs and functions, and fuse(decompose(m)) == m. Every rewrite that
// happens is also run in ORT before and after: 0 difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, AttributeType, DataType } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { fuse, decompose } from '../../src/rewrite/index.js';
import { compareModels } from '../../src/runtime/verify.js';
import { randomInputs } from '../../src/runtime/random-inputs.js';

type N = onnx.NodeProto.$Properties;
const f32 = (name: string, dims: number[], values: number[]) => ({ name, dataType: DataType.FLOAT, dims: dims.map((d) => Long.fromNumber(d)), floatData: values });
const constF = (out: string, v: number, dataType = DataType.FLOAT): N => ({ opType: 'Constant', output: [out], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: dataType === DataType.FLOAT ? f32('', [], [v]) : { dataType, dims: [], int64Data: [Long.fromNumber(v)] } }] });
const tensorType = (elemType: number, dims: (number | string)[]) => ({ tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: Long.fromNumber(d) } : { dimParam: d })) } } });

function model(nodes: N[], opts: { initializers?: object[]; elemType?: number; opset?: number; extraOutputs?: string[] } = {}): Uint8Array {
  const et = opts.elemType ?? DataType.FLOAT;
  return encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8),
    opsetImport: [{ domain: '', version: Long.fromNumber(opts.opset ?? 17) }],
    graph: {
      name: 'g', node: nodes,
      input: [{ name: 'x', type: tensorType(et, ['N', 4]) }],
      output: [{ name: 'y', type: tensorType(et, ['N', 4]) }, ...(opts.extraOutputs ?? []).map((name) => ({ name, type: tensorType(DataType.BOOL, ['N', 4]) }))],
      initializer: opts.initializers ?? [],
    },
  }) as never);
}

async function fuseAndCheck(bytes: Uint8Array, allowNanChange = false) {
  const m = modelFromProto(decodeModel(bytes));
  const report = fuse(m, { allowNanChange });
  const after = encodeModel(modelToProto(m));
  const ops = m.graph.nodes.map((n) => n.opType);
  if (report.changes.length && !allowNanChange) {
    const feeds = randomInputs(modelFromProto(decodeModel(bytes)), { seed: 3, dims: { N: 5 } });
    const diffs = await compareModels(bytes, after, feeds);
    assert.ok(diffs.every((d) => d.maxAbsDiff === 0), JSON.stringify(diffs));
  }
  return { report, ops, model: m };
}

const whereGreater = (alphaNodes: N[], alpha: string, zeroNodes: N[], zero: string): N[] => [
  ...alphaNodes, ...zeroNodes,
  { opType: 'Greater', input: ['x', alpha], output: ['c'] },
  { name: 'w', opType: 'Where', input: ['c', 'x', zero], output: ['y'] },
];

test('Where(Greater(X, a), X, 0) with Constant nodes', async () => {
  const { report, ops, model } = await fuseAndCheck(model_(whereGreater([constF('a', 0.5)], 'a', [constF('z', 0)], 'z')));
  assert.deepEqual(ops, ['ThresholdedRelu']);
  assert.equal(report.changes[0]!.rule, 'fuse-where-greater');
  assert.equal(model.graph.nodes[0]!.attribute('alpha')!.f, 0.5);
  assert.equal(model.graph.nodes[0]!.name, 'w');
});
function model_(nodes: N[], opts: Parameters<typeof model>[1] = {}) {
  return model(nodes, opts);
}

test('Where(Greater(X, a), X, 0) with initializers, a full tensor of equal values', async () => {
  const { ops } = await fuseAndCheck(model_(whereGreater([], 'a', [], 'z'), { initializers: [f32('a', [1, 4], [2, 2, 2, 2]), f32('z', [], [0])] }));
  assert.deepEqual(ops, ['ThresholdedRelu']);
});

test('Where(Less(a, X), X, 0)', async () => {
  const nodes: N[] = [constF('a', -1), constF('z', 0), { opType: 'Less', input: ['a', 'x'], output: ['c'] }, { opType: 'Where', input: ['c', 'x', 'z'], output: ['y'] }];
  const { ops, model } = await fuseAndCheck(model_(nodes));
  assert.deepEqual(ops, ['ThresholdedRelu']);
  assert.equal(model.graph.nodes[0]!.attribute('alpha')!.f, -1);
});

test('ONNX\'s function body: Where(Less(CastLike(alpha, X), X), X, CastLike(0, X))', async () => {
  const nodes: N[] = [
    { opType: 'Constant', output: ['a0'], attribute: [{ name: 'value_float', type: AttributeType.FLOAT, f: 1.5 }] },
    { opType: 'CastLike', input: ['a0', 'x'], output: ['a'] },
    { opType: 'Constant', output: ['z0'], attribute: [{ name: 'value_float', type: AttributeType.FLOAT, f: 0 }] },
    { opType: 'CastLike', input: ['z0', 'x'], output: ['z'] },
    { opType: 'Less', input: ['a', 'x'], output: ['c'] },
    { opType: 'Where', input: ['c', 'x', 'z'], output: ['y'] },
  ];
  assert.deepEqual((await fuseAndCheck(model_(nodes))).ops, ['ThresholdedRelu']);
});

test('PyTorch exporter forms: int64 scalar constants behind Cast, zeros_like as ConstantOfShape(Shape(x)) and Expand', async () => {
  const castTo = (i: string, o: string): N => ({ opType: 'Cast', input: [i], output: [o], attribute: [{ name: 'to', type: AttributeType.INT, i: Long.fromNumber(DataType.FLOAT) }] });
  const scalarAlpha = [constF('a_i', 2, DataType.INT64), castTo('a_i', 'a')];
  const zerosLike: N[] = [{ opType: 'Shape', input: ['x'], output: ['s'] }, { opType: 'ConstantOfShape', input: ['s'], output: ['z'] }];
  assert.deepEqual((await fuseAndCheck(model_(whereGreater(scalarAlpha, 'a', zerosLike, 'z')))).ops, ['ThresholdedRelu']);
  const expandZero: N[] = [constF('z0', 0), { opType: 'Shape', input: ['x'], output: ['s'] }, { opType: 'Expand', input: ['z0', 's'], output: ['z'] }];
  assert.deepEqual((await fuseAndCheck(model_(whereGreater(scalarAlpha, 'a', expandZero, 'z')))).ops, ['ThresholdedRelu']);
  const castZero: N[] = [constF('z_i', 0, DataType.INT64), castTo('z_i', 'z')];
  assert.deepEqual((await fuseAndCheck(model_(whereGreater([constF('a', 0.25)], 'a', castZero, 'z')))).ops, ['ThresholdedRelu']);
});

test('Where(Not(Greater(X, a)), 0, X)', async () => {
  const nodes: N[] = [constF('a', 0.5), constF('z', 0), { opType: 'Greater', input: ['x', 'a'], output: ['c'] }, { opType: 'Not', input: ['c'], output: ['n'] }, { opType: 'Where', input: ['n', 'z', 'x'], output: ['y'] }];
  assert.deepEqual((await fuseAndCheck(model_(nodes))).ops, ['ThresholdedRelu']);
});

test('NaN-changing forms are only candidates without --allow-nan-change', async () => {
  const mul: N[] = [constF('a', 0.5), { opType: 'Greater', input: ['x', 'a'], output: ['c'] }, { opType: 'Cast', input: ['c'], output: ['m'], attribute: [{ name: 'to', type: AttributeType.INT, i: Long.ONE }] }, { opType: 'Mul', input: ['m', 'x'], output: ['y'] }];
  let r = await fuseAndCheck(model_(mul));
  assert.deepEqual(r.ops, ['Constant', 'Greater', 'Cast', 'Mul']);
  assert.equal(r.report.candidates[0]!.rule, 'fuse-mul-cast-greater');
  assert.match(r.report.candidates[0]!.reason, /NaN/);
  r = await fuseAndCheck(model_(mul), true);
  assert.deepEqual(r.ops, ['ThresholdedRelu']);
  const le: N[] = [constF('a', 0.5), constF('z', 0), { opType: 'LessOrEqual', input: ['x', 'a'], output: ['c'] }, { opType: 'Where', input: ['c', 'z', 'x'], output: ['y'] }];
  r = await fuseAndCheck(model_(le));
  assert.deepEqual(r.report.candidates.map((c) => c.rule), ['fuse-where-less-or-equal']);
  assert.deepEqual((await fuseAndCheck(model_(le), true)).ops, ['ThresholdedRelu']);
});

test('near-misses stay untouched, each with its reason', async () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['intermediate with another consumer', model_(whereGreater([constF('a', 0.5)], 'a', [constF('z', 0)], 'z'), { extraOutputs: ['c'] }), /graph output|another consumer/],
    ['non-constant alpha', model(whereGreater([{ opType: 'ReduceMax', input: ['x'], output: ['a'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: Long.ONE }] }], 'a', [constF('z', 0)], 'z')), /not a constant/],
    ['alpha tensor with unequal values', model_(whereGreater([], 'a', [constF('z', 0)], 'z'), { initializers: [f32('a', [4], [1, 2, 3, 4])] }), /unequal/],
    ['alpha that would broadcast to a larger shape', model_(whereGreater([], 'a', [constF('z', 0)], 'z'), { initializers: [f32('a', [3, 1, 1], [1, 1, 1])] }), /larger shape/],
    ['zero that is not zero', model_(whereGreater([constF('a', 0.5)], 'a', [constF('z', 1)], 'z')), /not \+0/],
    ['negative zero', model_(whereGreater([constF('a', 0.5)], 'a', [constF('z', -0)], 'z')), /not \+0/],
    ['integer types', model([{ opType: 'Constant', output: ['a'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { dataType: DataType.INT32, dims: [], int32Data: [1] } }] }, { opType: 'Constant', output: ['z'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { dataType: DataType.INT32, dims: [], int32Data: [0] } }] }, { opType: 'Greater', input: ['x', 'a'], output: ['c'] }, { opType: 'Where', input: ['c', 'x', 'z'], output: ['y'] }], { elemType: DataType.INT32 }), /not a float type/],
    ['swapped Where branches', model([constF('a', 0.5), constF('z', 0), { opType: 'Greater', input: ['x', 'a'], output: ['c'] }, { opType: 'Where', input: ['c', 'z', 'x'], output: ['y'] }]), /^$/],
    ['alpha not representable as FLOAT (double input)', model([{ opType: 'Constant', output: ['a'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { dataType: DataType.DOUBLE, dims: [], doubleData: [0.1] } }] }, { opType: 'Constant', output: ['z'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { dataType: DataType.DOUBLE, dims: [], doubleData: [0] } }] }, { opType: 'Greater', input: ['x', 'a'], output: ['c'] }, { opType: 'Where', input: ['c', 'x', 'z'], output: ['y'] }], { elemType: DataType.DOUBLE }), /not representable/],
  ];
  for (const [label, bytes, reason] of cases) {
    const m = modelFromProto(decodeModel(bytes));
    const before = m.graph.nodes.map((n) => n.opType);
    const report = fuse(m, { allowNanChange: true });
    assert.deepEqual(report.changes, [], label);
    assert.deepEqual(m.graph.nodes.map((n) => n.opType), before, label);
    // The reasons come from check(); the applyRules report keeps the ones worth listing, so ask the rules directly.
    if (reason.source !== '^$') {
      const { fuseWhereGreater } = await import('../../src/rewrite/index.js');
      const { matchPattern } = await import('../../src/rewrite/pattern.js');
      const { inferModel } = await import('../../src/graph/infer/index.js');
      inferModel(m);
      const where = m.graph.nodes.find((n) => n.opType === 'Where')!;
      const match = matchPattern(fuseWhereGreater.patterns[0]!, where)!;
      const result = fuseWhereGreater.check(match, { model: m, graph: m.graph, opset: 17, options: { allowNanChange: true } });
      assert.equal(result.ok, false, label);
      assert.match((result as { reason: string }).reason, reason, label);
    }
  }
});

test('inside If branches and model-local functions too', async () => {
  const body = (name: string) => ({ name, node: whereGreater([constF(`${name}_a`, 0.5)], `${name}_a`, [constF(`${name}_z`, 0)], `${name}_z`).map((n) => ({ ...n, output: n.output!.map((o) => (o === 'y' ? `${name}_y` : o === 'c' ? `${name}_c` : o)), input: n.input?.map((i) => (i === 'c' ? `${name}_c` : i)) })), output: [{ name: `${name}_y` }] });
  const bytes = encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }, { domain: 'local', version: Long.ONE }],
    graph: {
      name: 'g',
      node: [
        { opType: 'ReduceSum', input: ['x'], output: ['s'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: Long.ZERO }] },
        { opType: 'Greater', input: ['s', 'zero'], output: ['cond'] },
        { opType: 'If', input: ['cond'], output: ['y0'], attribute: [{ name: 'then_branch', type: AttributeType.GRAPH, g: body('then') }, { name: 'else_branch', type: AttributeType.GRAPH, g: body('else') }] },
        { opType: 'F', domain: 'local', input: ['y0'], output: ['y'] },
      ],
      initializer: [f32('zero', [], [0])],
      input: [{ name: 'x', type: tensorType(DataType.FLOAT, ['N', 4]) }],
      output: [{ name: 'y', type: tensorType(DataType.FLOAT, ['N', 4]) }],
    },
    functions: [{ name: 'F', domain: 'local', input: ['x'], output: ['y'], opsetImport: [{ domain: '', version: Long.fromNumber(17) }], node: whereGreater([constF('a', 0.25)], 'a', [constF('z', 0)], 'z') }],
  }) as never);
  const { report, model: m } = await fuseAndCheck(bytes);
  assert.deepEqual(report.changes.map((c) => c.location).sort(), ["function local.F", "graph/If '?'.else_branch".replace('?', 'y0'), "graph/If 'y0'.then_branch"].sort());
  assert.deepEqual(m.functions[0]!.body.nodes.map((n) => n.opType), ['ThresholdedRelu']);
});

test('fuse(decompose(m)) gives back m, byte for byte, at opset 17 and opset 13', async () => {
  for (const opset of [17, 13]) {
    const original = encodeModel(onnx.ModelProto.create({
      irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(opset) }],
      graph: {
        name: 'g', node: [
          { name: 't1', opType: 'ThresholdedRelu', input: ['x'], output: ['h'], attribute: [{ name: 'alpha', type: AttributeType.FLOAT, f: 0.75 }] },
          { name: 't2', opType: 'ThresholdedRelu', input: ['h'], output: ['y'], attribute: [{ name: 'alpha', type: AttributeType.FLOAT, f: -0.5 }] },
        ],
        input: [{ name: 'x', type: tensorType(DataType.FLOAT, ['N', 4]) }], output: [{ name: 'y', type: tensorType(DataType.FLOAT, ['N', 4]) }],
      },
    }) as never);
    const m = modelFromProto(decodeModel(original));
    assert.equal(decompose(m).changes.length, 2);
    assert.ok(m.graph.nodes.every((n) => n.opType !== 'ThresholdedRelu'));
    const decomposed = encodeModel(modelToProto(m));
    const feeds = randomInputs(modelFromProto(decodeModel(original)), { seed: 1, dims: { N: 7 } });
    assert.ok((await compareModels(original, decomposed, feeds)).every((d) => d.maxAbsDiff === 0));
    assert.equal(fuse(m).changes.length, 2);
    assert.deepEqual(Buffer.from(encodeModel(modelToProto(m))), Buffer.from(original), `opset ${opset}`);
  }
});

test('dry run changes nothing', () => {
  const bytes = model_(whereGreater([constF('a', 0.5)], 'a', [constF('z', 0)], 'z'));
  const m = modelFromProto(decodeModel(bytes));
  assert.equal(fuse(m, { dryRun: true }).changes.length, 1);
  assert.deepEqual(Buffer.from(encodeModel(modelToProto(m))), Buffer.from(bytes));
});
