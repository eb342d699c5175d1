// Resource limits: declared dims and attributes never size an allocation
// without a check, and nesting has a limit we set and name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Long from 'long';
import $protobuf from 'protobufjs/minimal.js';
import { onnx, DataType, type ModelProto } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel, MAX_SUBGRAPH_DEPTH } from '../../src/onnx/decode.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { buildFeeds } from '../../src/runtime/feeds.js';
import { checkedElementCount } from '../../src/graph/limits.js';
import { TreluError } from '../../src/errors.js';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';

function inputModel(dims: number[], elemType = DataType.FLOAT): ModelProto {
  const type = { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: Long.fromNumber(d) })) } } };
  return onnx.ModelProto.create({
    irVersion: Long.fromNumber(8),
    opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: { name: 'g', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [{ name: 'x', type }], output: [{ name: 'y', type }] },
  });
}

const isLimit = (pattern: RegExp) => (e: unknown) => e instanceof TreluError && e.code === 'E_LIMIT' && pattern.test(e.message);

test('random inputs: negative, 2^40 and over-limit dims are E_LIMIT before any allocation', () => {
  assert.throws(() => buildFeeds(modelFromProto(inputModel([-3]))), isLimit(/random input 'x': dim -3 of \[-3\] is not a non-negative integer/));
  assert.throws(() => buildFeeds(modelFromProto(inputModel([2 ** 40]))), isLimit(/random input 'x': \[1099511627776\] is 1\.10e\+12 elements, over the limit of 2\.68e\+8/));
  assert.throws(() => buildFeeds(modelFromProto(inputModel([2 ** 31, 2 ** 31]))), isLimit(/over the limit/));
  assert.throws(() => buildFeeds(modelFromProto(inputModel([1024])), { maxElements: 1000 }), isLimit(/\[1024\] is 1024 elements, over the limit of 1000/));
  const ok = buildFeeds(modelFromProto(inputModel([1024])), { maxElements: 1024 });
  assert.equal(ok.x!.data.length, 1024);
  assert.equal(checkedElementCount([0, 2 ** 40], 't'), 0, 'a zero dim makes an empty tensor whatever the others are');
});

test('trelu run: a 2^40 input is one line and exit 2, with a hint naming --max-elements', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'huge.onnx');
  fs.writeFileSync(file, encodeModel(inputModel([2 ** 40])));
  const r = await runCli('run', file, '--repeat', '0');
  assert.equal(r.code, 2, r.err.join('\n'));
  assert.match(r.err[0]!, /random input 'x': \[1099511627776\] is .* over the limit/);
  assert.match(r.err[1]!, /--max-elements/);
  const small = await runCli('run', file, '--repeat', '0', '--max-elements', 'x');
  assert.equal(small.code, 2);
});

/** `depth` Ifs, each then-branch holding the next. */
function nestedIfs(depth: number): Uint8Array {
  const boolType = { tensorType: { elemType: DataType.BOOL, shape: { dim: [] } } };
  let body: onnx.IGraphProto = { name: `g${depth}`, node: [{ opType: 'Identity', input: ['c'], output: [`o${depth}`] }], output: [{ name: `o${depth}`, type: boolType }] };
  for (let i = depth - 1; i >= 0; i--) {
    const node = { opType: 'If', input: ['c'], output: [`o${i}`], attribute: [
      { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: body },
      { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: { name: 'e', node: [{ opType: 'Identity', input: ['c'], output: [`e${i}`] }], output: [{ name: `e${i}`, type: boolType }] } },
    ] };
    body = { name: `g${i}`, node: [node], output: [{ name: `o${i}`, type: boolType }] };
  }
  body.input = [{ name: 'c', type: boolType }];
  // protobufjs refuses to encode past its recursion limit too: lift it for building the hostile model only.
  const limit = $protobuf.util.recursionLimit;
  $protobuf.util.recursionLimit = 10_000;
  try {
    return encodeModel(onnx.ModelProto.create({ irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }], graph: body }));
  } finally {
    $protobuf.util.recursionLimit = limit;
  }
}

test(`nesting: ${MAX_SUBGRAPH_DEPTH} If levels decode; deeper is E_LIMIT naming the depth, also past protobuf's own limit`, () => {
  assert.ok(decodeModel(nestedIfs(MAX_SUBGRAPH_DEPTH)).graph);
  assert.throws(() => decodeModel(nestedIfs(MAX_SUBGRAPH_DEPTH + 1)), isLimit(new RegExp(`subgraphs nested deeper than ${MAX_SUBGRAPH_DEPTH} levels`)));
  assert.throws(() => decodeModel(nestedIfs(40)), isLimit(/nested deeper than protobuf's limit of 100 levels/));
});

/**
 * The 61-byte model of the issue (45 there): ConstantOfShape fed by an input
 * declared [2147483648]. Inference must keep the shape symbolic, not build an
 * array of 2^31 entries. Each command runs in a child with 2 GB of address
 * space; an abort (exit 134) or a kill is a failure.
 */
test('ConstantOfShape fed by a [2^31] input: validate, fuse, replace, grad finish within 2 GB', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'cos.onnx');
  const model = onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: {
      node: [{ opType: 'ConstantOfShape', input: ['s'], output: ['y'] }],
      input: [{ name: 's', type: { tensorType: { elemType: DataType.INT64, shape: { dim: [{ dimValue: Long.fromNumber(2 ** 31) }] } } } }],
      output: [{ name: 'y' }],
    },
  });
  fs.writeFileSync(file, encodeModel(model));
  const trelu = path.join(REPO_ROOT, 'bin', 'trelu.js');
  for (const args of [['validate', file], ['validate', file, '--full'], ['fuse', file, path.join(dir, 'f.onnx')], ['replace', file, path.join(dir, 'r.onnx')], ['grad', file, path.join(dir, 'g.onnx'), '--loss-fn', 'mse', '--on', 'y', '--wrt', 's']]) {
    const r = spawnSync('bash', ['-c', `ulimit -v 2000000; exec "${process.execPath}" "$@"`, 'bash', trelu, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.ok(r.status !== null && [0, 1, 2].includes(r.status), `${args[0]}: exit ${r.status} signal ${r.signal}\n${(r.stderr ?? '').slice(-400)}`);
    assert.ok(!/internal error|FATAL/.test(r.stderr), `${args[0]}: ${r.stderr.slice(-400)}`);
  }
});
