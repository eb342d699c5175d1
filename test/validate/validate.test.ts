// One fixture per validator finding code, the CLI's exit codes, and the JSON shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Long from 'long';
import { onnx, AttributeType, DataType } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { modelFromProto } from '../../src/graph/index.js';
import { validateModel, FINDING_CODES, type FindingCode } from '../../src/validate/index.js';
import { runCli, tmpDir } from '../helpers.js';

type NodeSpec = onnx.NodeProto.$Properties;
interface Fixture {
  opset?: number | null;
  elemType?: number;
  outElemType?: number;
  outShape?: (number | string)[];
  node?: Partial<NodeSpec>;
  extraNodes?: NodeSpec[];
  initializers?: onnx.TensorProto.$Properties[];
}

const tensorType = (elemType: number, dims: (number | string)[]) => ({ tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: Long.fromNumber(d) } : { dimParam: d })) } } });
const alphaAttr = (f: number) => ({ name: 'alpha', type: AttributeType.FLOAT, f });

function fixture(f: Fixture = {}): Uint8Array {
  const elemType = f.elemType ?? DataType.FLOAT;
  return encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8),
    opsetImport: f.opset === null ? [] : [{ domain: '', version: Long.fromNumber(f.opset ?? 17) }],
    graph: {
      name: 'g',
      node: [...(f.extraNodes ?? []), { name: 'trelu', opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: [alphaAttr(0.5)], ...f.node }],
      input: [{ name: 'x', type: tensorType(elemType, ['N', 4]) }],
      output: [{ name: 'y', type: tensorType(f.outElemType ?? elemType, f.outShape ?? ['N', 4]) }],
      initializer: f.initializers ?? [],
    },
  }) as never);
}

function codes(bytes: Uint8Array, eps: string[] = []): FindingCode[] {
  return validateModel(modelFromProto(decodeModel(bytes)), { eps }).findings.map((f) => f.code);
}

const cases: [FindingCode, Fixture, string[]?][] = [
  ['opset-missing', { opset: null }],
  ['input-count', { node: { input: ['x', 'x'] } }],
  ['output-count', { node: { output: ['y', 'z'] } }],
  ['alpha-type', { node: { attribute: [{ name: 'alpha', type: AttributeType.INT, i: Long.ONE }] } }],
  ['alpha-duplicate', { node: { attribute: [alphaAttr(1), alphaAttr(2)] } }],
  ['alpha-non-finite', { node: { attribute: [alphaAttr(NaN)] } }],
  ['unknown-attribute', { node: { attribute: [alphaAttr(1), { name: 'beta', type: AttributeType.FLOAT, f: 1 }] } }],
  ['input-type', { elemType: DataType.BFLOAT16, opset: 21 }],
  ['input-type', { elemType: DataType.INT32 }],
  ['output-type-mismatch', { outElemType: DataType.DOUBLE }],
  ['output-shape-mismatch', { outShape: ['N', 5] }],
  ['input-undefined', { node: { input: ['nobody'] } }],
  ['graph-cycle', { node: { input: ['z'] }, extraNodes: [{ opType: 'Relu', input: ['y'], output: ['z'] }] }],
  ['ep-no-kernel', { elemType: DataType.DOUBLE }, ['cpu']],
  ['ep-cast-fallback', { elemType: DataType.FLOAT16 }, ['cpu']],
  ['ep-no-kernel', { elemType: DataType.BFLOAT16, opset: 22 }, ['webgpu']],
  ['ep-cpu-fallback', { opset: 9 }, ['webgpu']],
  ['ep-no-kernel', { elemType: DataType.DOUBLE }, ['webgpu']],
  ['alpha-default', { node: { attribute: [] } }],
  ['alpha-negative', { node: { attribute: [alphaAttr(-1)] } }],
  ['experimental-version', { opset: 9 }],
  ['foreign-domain', { node: { domain: 'com.example' } }],
  ['shifted-relu', { initializers: [{ name: 'c', dataType: DataType.FLOAT, dims: [], floatData: [1] }], extraNodes: [{ opType: 'Sub', input: ['x', 'c'], output: ['s'] }, { opType: 'Relu', input: ['s'], output: ['r'] }] }],
  ['input-type-unknown', { node: { input: ['u'] }, extraNodes: [{ opType: 'SomeCustomOp', domain: 'x', input: ['x'], output: ['u'] }] }],
  ['ep-unknown', {}, ['webnn']],
  ['gemm-fusion-skipped', { opset: 22, initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [Long.fromNumber(4), Long.fromNumber(4)], rawData: new Uint8Array(64) }], node: { input: ['g'] }, extraNodes: [{ opType: 'Gemm', input: ['x', 'w'], output: ['g'] }] }],
];

test('a clean fixture has no findings', () => {
  assert.deepEqual(codes(fixture(), ['cpu', 'wasm', 'webgpu', 'cuda']), []);
});

for (const [code, f, eps] of cases) {
  test(`finding ${code} (${FINDING_CODES[code].severity})`, () => {
    const found = codes(fixture(f), eps);
    assert.ok(found.includes(code), `expected ${code}, got ${JSON.stringify(found)}`);
  });
}

test('every finding code has a fixture', () => {
  const covered = new Set(cases.map(([c]) => c));
  assert.deepEqual(Object.keys(FINDING_CODES).filter((c) => !covered.has(c as FindingCode)), []);
});

test('subgraph and function locations are reported', () => {
  const inner = { name: 'then', node: [{ name: 'inner', opType: 'ThresholdedRelu', input: ['x'], output: ['t'], attribute: [alphaAttr(-2)] }], output: [{ name: 't' }] };
  const bytes = encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }, { domain: 'f', version: Long.ONE }],
    graph: {
      name: 'g',
      node: [
        { opType: 'Greater', input: ['x', 'x'], output: ['c'] },
        { name: 'if', opType: 'If', input: ['c'], output: ['y'], attribute: [{ name: 'then_branch', type: AttributeType.GRAPH, g: inner }, { name: 'else_branch', type: AttributeType.GRAPH, g: inner }] },
      ],
      input: [{ name: 'x', type: tensorType(DataType.FLOAT, [1]) }], output: [{ name: 'y' }],
    },
    functions: [{ name: 'F', domain: 'f', input: ['a'], output: ['b'], node: [{ name: 'fn_node', opType: 'ThresholdedRelu', input: ['a'], output: ['b'] }], opsetImport: [{ domain: '', version: Long.fromNumber(17) }] }],
  }) as never);
  const report = validateModel(modelFromProto(decodeModel(bytes)));
  const where = report.findings.map((f) => `${f.code}@${f.node}@${f.location}`);
  assert.ok(where.includes("alpha-negative@inner@graph/If 'if'.then_branch"), where.join('\n'));
  assert.ok(where.includes('alpha-default@fn_node@function f.F'), where.join('\n'));
  assert.equal(report.nodes, 3);
});

test('CLI: exit 0 for warnings only, 1 for errors, 2 for unreadable input; --json shape', async () => {
  const dir = tmpDir();
  const write = (name: string, bytes: Uint8Array) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };
  const ok = await runCli('validate', write('ok.onnx', fixture({ node: { attribute: [] } })));
  assert.equal(ok.code, 0);
  assert.match(ok.out.join('\n'), /alpha-default/);
  const bad = await runCli('validate', write('bad.onnx', fixture({ elemType: DataType.INT32 })), '--json');
  assert.equal(bad.code, 1);
  const json = JSON.parse(bad.out.join('\n'));
  assert.deepEqual(Object.keys(json), ['file', 'ok', 'findings', 'errors', 'warnings', 'nodes']);
  assert.equal(json.ok, false);
  assert.deepEqual(Object.keys(json.findings[0]).sort(), ['code', 'fix', 'location', 'message', 'node', 'opType', 'severity']);
  const eps = await runCli('validate', write('f64.onnx', fixture({ elemType: DataType.DOUBLE })), '--ep', 'cpu,webgpu', '--ep', 'cuda', '--json');
  assert.equal(eps.code, 1);
  const f = JSON.parse(eps.out.join('\n')).findings;
  assert.deepEqual(f.map((x: { code: string; ep?: string }) => `${x.code}:${x.ep}`), ['ep-no-kernel:cpu', 'ep-no-kernel:webgpu']);
  assert.equal((await runCli('validate', path.join(dir, 'missing.onnx'))).code, 2);
});
