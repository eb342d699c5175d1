// The gradient rule interface as a stranger builds on it (src/train/rule.ts): a custom rule passed to
// buildGradient with withRules, what its context holds and does not (no forward node, only the saved
// values it declared), and the two ways a rule that reads more than it declares is stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, DataType, AttributeType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { TreluError } from '../../src/errors.js';
import { buildGradient, checkGradients, parameterFeeds, GRADIENT_RULES, withRules, type GradContext, type GradRule, type ForwardNodeInfo } from '../../src/train/index.js';
import { seededRandom } from '../../src/runtime/index.js';

type N = onnx.NodeProto.$Properties;

/** loss = ReduceSum(nodes(x) * R), x [3, 4], R fixed random; the nodes compute 'y' from 'x' (and 'B' [3, 4] where named). */
function model(nodes: N[], withB = false) {
  const r = seededRandom(5);
  const f32 = (name: string) => ({ name, dataType: DataType.FLOAT, dims: [3, 4].map((d) => Long.fromNumber(d)), rawData: new Uint8Array(Float32Array.from({ length: 12 }, () => r() * 2 - 1).buffer) });
  const tt = { tensorType: { elemType: DataType.FLOAT, shape: { dim: [3, 4].map((d) => ({ dimValue: Long.fromNumber(d) })) } } };
  const bytes = encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      name: 'g',
      node: [...nodes, { opType: 'Mul', input: ['y', 'R'], output: ['yr'] }, { opType: 'ReduceSum', input: ['yr'], output: ['loss'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: Long.fromNumber(0) }] }],
      input: [{ name: 'x', type: tt }],
      output: [{ name: 'loss', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [] } } } }],
      initializer: [f32('R'), ...(withB ? [f32('B')] : [])],
    },
  }));
  return modelFromProto(decodeModel(bytes));
}
const xFeed = () => {
  const r = seededRandom(9);
  return { x: { type: 'float32' as const, data: Float32Array.from({ length: 12 }, () => r() * 4 - 2), dims: [3, 4] } };
};

// The README's example: a rule for an op that has none built in.
const cosGrad: GradRule = {
  opType: 'Cos',
  saves: { inputs: [0] },
  backward({ b, dY, saved }) {
    const sin = b.op('Sin', [saved.input(0)], { name: 'cos_sin' });
    return [b.op('Neg', [b.op('Mul', [dY[0], sin], { name: 'cos_grad' })], { name: 'cos_grad' })];
  },
};

test('a custom rule passed with withRules differentiates an op that has no rule, and matches finite differences', async () => {
  assert.throws(() => buildGradient(model([{ name: 'c', opType: 'Cos', input: ['x'], output: ['y'] }]), { loss: 'loss', wrt: ['x'] }), /no gradient rule for Cos/);
  const m = model([{ name: 'c', opType: 'Cos', input: ['x'], output: ['y'] }]);
  const report = buildGradient(m, { loss: 'loss', wrt: ['x'], rules: withRules(GRADIENT_RULES, cosGrad) });
  const check = await checkGradients(encodeModel(modelToProto(m)), report, { ...xFeed(), ...parameterFeeds(report) }, { samples: 6, seed: 2 });
  const [t] = check.tensors;
  assert.ok(t && t.checked >= 1, 'x has checked samples');
  assert.ok(t.maxRelError < 2e-3, `relative error ${t.maxRelError} (${check.precision})`);
});

test('a rule sees the node through ForwardNodeInfo: attributes, counts, presence, static types and constants, and no node', () => {
  const seen: { saves?: ForwardNodeInfo; ctx?: GradContext } = {};
  const probe: GradRule = {
    opType: 'LeakyRelu',
    saves: (node) => {
      seen.saves = node;
      return node.attrs.float('alpha', 0.01) >= 0 ? { inputs: [0] } : {};
    },
    backward(ctx) {
      seen.ctx = ctx;
      return GRADIENT_RULES.find((r) => r.opType === 'LeakyRelu')!.backward(ctx);
    },
  };
  const m = model([{ name: 'lr', opType: 'LeakyRelu', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: AttributeType.FLOAT, f: 0.25 }] }]);
  buildGradient(m, { loss: 'loss', wrt: ['x'], rules: withRules(GRADIENT_RULES, probe) });
  const ctx = seen.ctx!;
  assert.ok(ctx && seen.saves);
  assert.equal('node' in ctx, false, 'the context holds no forward node');
  assert.equal('node' in seen.saves!, false);
  assert.deepEqual([Object.getOwnPropertySymbols(ctx), Object.getOwnPropertySymbols(seen.saves!)], [[], []], 'nor behind a symbol');
  assert.deepEqual([ctx.opType, ctx.domain, ctx.name, ctx.inputCount, ctx.outputCount, ctx.opset], ['LeakyRelu', '', 'lr', 1, 1, 17]);
  assert.equal(ctx.attrs.float('alpha', 0.01), 0.25);
  assert.deepEqual([ctx.hasInput(0), ctx.hasInput(1), ctx.hasOutput(0), ctx.hasOutput(1)], [true, false, true, false]);
  assert.deepEqual(ctx.inputInfo(0), { name: 'x', dtype: DataType.FLOAT, shape: [3, 4], rank: 2 });
  assert.deepEqual(ctx.outputInfo(0), { name: 'y', dtype: DataType.FLOAT, shape: [3, 4], rank: 2 });
  assert.deepEqual(ctx.inputInfo(3), { name: undefined, dtype: undefined, shape: undefined, rank: undefined });
  assert.equal(ctx.constantInput(0), undefined, 'x is a graph input, not a constant');
  assert.equal(ctx.saved.input(0).name, 'x');
  assert.throws(() => ctx.saved.output(0), (e: unknown) => e instanceof TreluError && e.code === 'E_INTERNAL' && /LeakyRelu reads output 0 of node 'lr'/.test(e.message));
});

test('constantInput reads a constant input at build time; ensureOutput adds an omitted optional output to the forward node', () => {
  const seen: { axes?: number[]; logProb?: string; outputs?: number } = {};
  const sce = GRADIENT_RULES.find((r) => r.opType === 'SoftmaxCrossEntropyLoss')!;
  const reduceSum = GRADIENT_RULES.find((r) => r.opType === 'ReduceSum')!;
  const probe: GradRule = { ...reduceSum, backward: (ctx) => { seen.axes = ctx.constantInput(1); return reduceSum.backward(ctx); } };
  const m = model([{ opType: 'Constant', output: ['axes'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { dataType: DataType.INT64, dims: [Long.fromNumber(1)], rawData: new Uint8Array(BigInt64Array.of(1n).buffer) } }] },
    { opType: 'ReduceSum', input: ['x', 'axes'], output: ['s'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: Long.fromNumber(1) }] },
    { opType: 'Add', input: ['x', 's'], output: ['y'] }]);
  buildGradient(m, { loss: 'loss', wrt: ['x'], rules: withRules(GRADIENT_RULES, probe) });
  assert.deepEqual(seen.axes, [1]);
  const withLoss = model([{ opType: 'Identity', input: ['x'], output: ['y'] }]);
  const probeSce: GradRule = { ...sce, backward: (ctx) => { const out = sce.backward(ctx); seen.logProb = ctx.saved.output(1).name; seen.outputs = ctx.outputCount; return out; } };
  buildGradient(withLoss, { lossFn: 'cross-entropy', on: 'y', wrt: ['x'], rules: withRules(GRADIENT_RULES, probeSce) });
  const node = withLoss.graph.nodes.find((n) => n.opType === 'SoftmaxCrossEntropyLoss')!;
  assert.equal(node.outputs.length, 2, 'log_prob was added to the forward node');
  assert.equal(seen.logProb, node.outputs[1]!.name);
  assert.equal(seen.outputs, 2, 'outputCount follows the node');
  assert.match(seen.logProb!, /_log_prob$/);
});

test('a rule that asks for a value its saves do not declare fails with E_INTERNAL naming the rule and the position', () => {
  const mul = GRADIENT_RULES.find((r) => r.opType === 'Mul')!;
  const sneaky: GradRule = { ...mul, saves: { inputs: [0] } };
  const m = model([{ name: 'm', opType: 'Mul', input: ['x', 'B'], output: ['y'] }], true);
  assert.throws(() => buildGradient(m, { loss: 'loss', wrt: ['x', 'B'], rules: withRules(GRADIENT_RULES, sneaky) }),
    // 'yr': the loss's Mul, the first Mul on the way back
    (e: unknown) => e instanceof TreluError && e.code === 'E_INTERNAL' && /the gradient rule for Mul reads input 1 of node 'yr' \(Mul\), which its saves do not declare/.test(e.message));
});

test('a rule that reaches a forward value around `saved` (through the builder\'s graph) is caught by the check of the nodes it built', () => {
  const smuggler: GradRule = {
    opType: 'Mul',
    saves: {},
    backward({ b, dY }) {
      const other = b.graph.initializers.find((v) => v.name === 'B')!; // not declared, not reachable through saved
      return [b.op('Mul', [dY[0], other], { name: 'mul_da' }), undefined];
    },
  };
  const m = model([{ name: 'm', opType: 'Mul', input: ['x', 'B'], output: ['y'] }], true);
  assert.throws(() => buildGradient(m, { loss: 'loss', wrt: ['x'], rules: withRules(GRADIENT_RULES, smuggler) }),
    (e: unknown) => e instanceof TreluError && e.code === 'E_INTERNAL' && /the gradient rule for Mul reads 'B' from the forward pass \(in its Mul node 'mul_da\w*'\), which its saves do not declare/.test(e.message));
});

test('every built-in rule declares its saves, and builds only from them on every fixture (rules.test.ts runs them all with the check on)', () => {
  for (const r of GRADIENT_RULES) assert.ok(typeof r.saves === 'function' || (typeof r.saves === 'object' && r.saves !== null), `${r.opType} declares what it saves`);
  assert.equal(new Set(GRADIENT_RULES.map((r) => r.opType)).size, GRADIENT_RULES.length, 'one rule per op');
});

test('a gradient whose type or shape is not its tensor\'s is refused (E_INTERNAL naming the rule), as tfjs checks them', () => {
  const wrong = (why: 'shape' | 'dtype'): GradRule => ({
    opType: 'Identity',
    saves: {},
    backward: ({ b, dY }) => [why === 'shape'
      ? b.op('ReduceSum', [dY[0]], { name: 'bad_grad', attributes: { keepdims: 0 } })
      : b.op('Cast', [dY[0]], { name: 'bad_grad', attributes: { to: DataType.DOUBLE } })],
  });
  for (const [why, message] of [['shape', /returned a gradient for input 0 of node 'i' shaped \[\], where the input is \[3,4\]/], ['dtype', /returned a gradient for input 0 of node 'i' of element type 11, where the input is 1/]] as const) {
    const m = model([{ name: 'i', opType: 'Identity', input: ['x'], output: ['y'] }]);
    assert.throws(() => buildGradient(m, { loss: 'loss', wrt: ['x'], rules: withRules(GRADIENT_RULES, wrong(why)) }),
      (e: unknown) => e instanceof TreluError && e.code === 'E_INTERNAL' && message.test(e.message), why);
  }
});
