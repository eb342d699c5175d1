// Einsum as a forward op (src/train/rules/einsum.ts): the attention forms, '...', the implicit
// output, an index summed over one operand only, broadcast operands, one-operand equations;
// float64 central differences in ORT (its CPU Einsum has double kernels), then wasm and webgpu
// against cpu. Refusals name the node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto } from '../../src/graph/index.js';
import { buildGradient } from '../../src/train/index.js';
import { checkAcrossEps, checkWithOrt, fixtureModel, str, type Fixture } from './rule-fixtures.js';

const einsum = (equation: string, x: number[], w: number[] | undefined, y: number[]): Fixture => ({
  nodes: [{ name: 'es', opType: 'Einsum', input: w ? ['x', 'W'] : ['x'], output: ['y'], attribute: [str('equation', equation)] }],
  x, y, params: w ? [{ name: 'W', dims: w }] : [],
});

const FIXTURES: Record<string, Fixture> = {
  'attention scores bhid,bhjd->bhij': einsum('bhid,bhjd->bhij', [2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 3, 5]),
  'attention values bhij,bhjd->bhid': einsum('bhij,bhjd->bhid', [2, 2, 3, 5], [2, 2, 5, 4], [2, 2, 3, 4]),
  'batched matmul bij,bjk->bik': einsum('bij,bjk->bik', [2, 3, 4], [2, 4, 5], [2, 3, 5]),
  'ellipsis, broadcast batch ...id,...jd->...ij': einsum('...id,...jd->...ij', [2, 3, 4], [1, 5, 4], [2, 3, 5]),
  'ellipsis on one side ...ij,jk->...ik': einsum('...ij,jk->...ik', [2, 2, 3, 4], [4, 5], [2, 2, 3, 5]),
  'implicit output ij,jk': einsum('ij,jk', [3, 4], [4, 5], [3, 5]),
  'implicit output, b summed: bij,bjk (-> ik)': einsum('bij,bjk', [2, 3, 4], [2, 4, 5], [3, 5]),
  'implicit output with ellipsis ...ij,...jk': einsum('...ij,...jk', [2, 3, 4], [2, 4, 5], [2, 3, 5]),
  'index only in A (i: summed, broadcast back) ij,j->j': einsum('ij,j->j', [3, 4], [4], [4]),
  'size-1 index broadcast bij,bjk->bik (B batch 1)': einsum('bij,bjk->bik', [2, 3, 4], [1, 4, 5], [2, 3, 5]),
  'one operand: transpose ij->ji': einsum('ij->ji', [3, 4], undefined, [4, 3]),
  'one operand: sum over i bij->bj': einsum('bij->bj', [2, 3, 4], undefined, [2, 4]),
  'one operand: full sum ij->': einsum('ij->', [3, 4], undefined, []),
  'symbolic batch bhid,bhjd->bhij (x declared [B, 2, 3, 4])': { ...einsum('bhid,bhjd->bhij', [2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 3, 5]), xDims: ['B', 2, 3, 4] },
  'spaces and an outer product i, j -> ij': einsum('i, j -> ij', [3], [4], [3, 4]),
};

for (const [label, f] of Object.entries(FIXTURES)) {
  test(`Einsum gradient: ${label} (float64 central differences in ORT)`, () => checkWithOrt(label, f));
}

// ORT 1.30's WebGPU Einsum fails on the FORWARD node of two forms ('...' broadcast between operands:
// "Ellipsis dimensions mismatch"; '...' on one operand only: a hash-map lookup error): those run on wasm.
const ON_WASM_ONLY = new Set(['ellipsis, broadcast batch ...id,...jd->...ij', 'ellipsis on one side ...ij,jk->...ik']);

test('Einsum gradients on wasm and webgpu equal cpu\'s (the two forms WebGPU cannot run forward: wasm only)', async () => {
  for (const [label, f] of Object.entries(FIXTURES)) await checkAcrossEps(label, f, ON_WASM_ONLY.has(label) ? ['wasm'] : ['wasm', 'webgpu']);
});

test('Einsum: a repeated index in one operand (diagonal, trace), three operands and a mixed-case implicit output are refused, naming the node', () => {
  const refuse = (f: Fixture, why: RegExp) => assert.throws(() => buildGradient(modelFromProto(decodeModel(fixtureModel(f))), { loss: 'loss', wrt: ['x'] }), (e: Error) => {
    assert.match(e.message, /no gradient for Einsum node 'es'/);
    assert.match(e.message, why);
    return true;
  });
  refuse(einsum('ii->i', [3, 3], undefined, [3]), /index 'i' appears twice in 'ii'/);
  refuse(einsum('ii', [3, 3], undefined, []), /index 'i' appears twice/);
  refuse({ ...einsum('ij,jk,kl->il', [2, 3], [3, 4], [2, 5]), nodes: [{ name: 'es', opType: 'Einsum', input: ['x', 'W', 'V'], output: ['y'], attribute: [str('equation', 'ij,jk,kl->il')] }], params: [{ name: 'W', dims: [3, 4] }, { name: 'V', dims: [4, 5] }] }, /more than two operands/);
  refuse(einsum('Ij,jk', [2, 3], [3, 4], [2, 4]), /mixing upper- and lower-case/);
});
