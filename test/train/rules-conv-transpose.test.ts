// ConvTranspose (src/train/rules/conv-transpose.ts): strides, pads, output_padding (also past the
// stride), groups, dilations, 1-D, auto_pad SAME_UPPER / SAME_LOWER and output_shape resolved to
// pads. ORT's CPU EP has no double ConvTranspose, and float32 differences in ORT (h 1e-2) carry
// ~3e-4 absolute noise, over 2e-3 relative on gradient elements near 0.01 (seen: 2.4e-2 on the 1-D
// case): so, as rules.test.ts does for Conv, every element of dX, dW, dB against central
// differences of a float64 reference written here, whose loss equals ORT's forward loss; then wasm
// and webgpu against cpu.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto } from '../../src/graph/index.js';
import { buildGradient } from '../../src/train/index.js';
import { runOnCpu } from '../../src/runtime/index.js';
import { checkAcrossEps, fixtureModel, gradientOf, int, ints, randomArray, size, str, type Fixture } from './rule-fixtures.js';
import { convTranspose, type ConvTransposeOptions } from './conv-transpose-reference.js';

interface Case { x: number[]; w: number[]; y: number[]; attrs: object[]; bias: boolean; ref: Omit<ConvTransposeOptions, 'out'> }
const convT = (c: Case): Fixture => ({
  nodes: [{ name: 'ct', opType: 'ConvTranspose', input: c.bias ? ['x', 'W', 'B'] : ['x', 'W'], output: ['y'], attribute: c.attrs }],
  x: c.x, y: c.y, float32: true, params: [{ name: 'W', dims: c.w }, ...(c.bias ? [{ name: 'B', dims: [c.y[1]!] }] : [])],
});
const ref2 = (strides: number[], pads: number[], dilations = [1, 1], group = 1) => ({ strides, pads, dilations, group });

/** ref: the attributes as the float64 reference takes them (auto_pad and output_shape resolved as ORT 1.30 does, measured on cpu, wasm, webgpu). */
const CASES: Record<string, Case> = {
  'stride 2, pads, output_padding 1, bias': { x: [2, 4, 3, 3], w: [4, 3, 3, 3], y: [2, 3, 6, 6], attrs: [ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), ints('output_padding', [1, 1])], bias: true, ref: ref2([2, 2], [1, 1]) },
  'groups 2, dilation 2, asymmetric pads': { x: [1, 4, 3, 4], w: [4, 1, 2, 2], y: [1, 2, 4, 5], attrs: [int('group', 2), ints('dilations', [2, 2]), ints('pads', [0, 1, 1, 0])], bias: true, ref: ref2([1, 1], [0, 1], [2, 2], 2) },
  'groups 3, stride (2, 1)': { x: [1, 3, 3, 3], w: [3, 2, 2, 3], y: [1, 6, 6, 5], attrs: [int('group', 3), ints('strides', [2, 1])], bias: false, ref: ref2([2, 1], [0, 0], [1, 1], 3) },
  '1-D, stride 2, pads': { x: [2, 3, 5], w: [3, 2, 3], y: [2, 2, 10], attrs: [ints('strides', [2]), ints('pads', [1, 0])], bias: true, ref: { strides: [2], pads: [1], dilations: [1], group: 1 } },
  'auto_pad SAME_UPPER, stride 2 (odd total padding: 1 at the end)': { x: [1, 2, 3, 3], w: [2, 2, 3, 3], y: [1, 2, 6, 6], attrs: [str('auto_pad', 'SAME_UPPER'), ints('strides', [2, 2])], bias: true, ref: ref2([2, 2], [0, 0]) },
  'auto_pad SAME_LOWER, stride 2 (1 at the beginning)': { x: [1, 2, 3, 3], w: [2, 2, 3, 3], y: [1, 2, 6, 6], attrs: [str('auto_pad', 'SAME_LOWER'), ints('strides', [2, 2])], bias: true, ref: ref2([2, 2], [1, 1]) },
  'output_shape [6, 5], stride 2 (pads 1+0 and 1+1)': { x: [1, 2, 3, 3], w: [2, 2, 3, 3], y: [1, 2, 6, 5], attrs: [ints('output_shape', [6, 5]), ints('strides', [2, 2])], bias: true, ref: ref2([2, 2], [1, 1]) },
};

for (const [label, c] of Object.entries(CASES)) {
  test(`ConvTranspose gradient: ${label} (every element against float64 central differences of a reference that ORT's forward matches)`, async () => {
    const f = convT(c);
    // Every element of dX, dW, dB against central differences of a float64 reference (h 1e-6: the loss is bilinear).
    const { bytes, feeds } = gradientOf(f);
    const out = await runOnCpu(bytes, feeds);
    const R = Float64Array.from(randomArray(size(c.y), 99));
    const opts = { ...c.ref, out: c.y.slice(2) };
    const vals: Record<string, Float64Array> = { x: Float64Array.from(feeds.x!.data as Float32Array), W: Float64Array.from(feeds.W!.data as Float32Array) };
    if (c.bias) vals.B = Float64Array.from(feeds.B!.data as Float32Array);
    const lossOf = (v: Record<string, Float64Array>) => convTranspose(v.x!, c.x, v.W!, c.w, v.B, opts).reduce((s, y, i) => s + y * R[i]!, 0);
    const h = 1e-6;
    for (const name of Object.keys(vals)) {
      const grad = out[`${name}_grad`]!.data as Float32Array;
      assert.equal(grad.length, vals[name]!.length);
      for (let i = 0; i < grad.length; i++) {
        const at = (delta: number) => { const v = Float64Array.from(vals[name]!); v[i]! += delta; return lossOf({ ...vals, [name]: v }); };
        const fd = (at(h) - at(-h)) / (2 * h);
        assert.ok(Math.abs(fd - grad[i]!) <= 1e-4 * Math.max(1, Math.abs(fd)), `${label} d${name}[${i}]: fd ${fd}, graph ${grad[i]}`);
      }
    }
    // The reference computes what ORT computes: the loss of the gradient model (ORT's forward) equals the reference's.
    const l64 = lossOf(vals);
    const l32 = Number((out.loss!.data as Float32Array)[0]);
    assert.ok(Math.abs(l32 - l64) <= 1e-5 * Math.max(1, Math.abs(l64)), `${label}: ORT's loss ${l32}, the reference's ${l64}`);
  });
}

test('ConvTranspose gradients on wasm and webgpu equal cpu\'s', async () => {
  for (const [label, c] of Object.entries(CASES)) await checkAcrossEps(label, convT(c));
});

test('ConvTranspose: 3-D, and an output_shape that pads cannot give, are refused naming the node', () => {
  const refuse = (f: Fixture, why: RegExp) => assert.throws(() => buildGradient(modelFromProto(decodeModel(fixtureModel(f))), { loss: 'loss', wrt: ['x', 'W'] }), (e: Error) => {
    assert.match(e.message, /no gradient for ConvTranspose node 'ct'/);
    assert.match(e.message, why);
    return true;
  });
  refuse(convT({ x: [1, 2, 2, 2, 2], w: [2, 2, 2, 2, 2], y: [1, 2, 3, 3, 3], attrs: [], bias: false, ref: ref2([1], [0]) }), /only 1-D and 2-D/);
  refuse(convT({ x: [1, 2, 3, 3], w: [2, 2, 3, 3], y: [1, 2, 9, 9], attrs: [ints('output_shape', [9, 9]), ints('strides', [2, 2])], bias: false, ref: ref2([2, 2], [0, 0]) }), /output size \[9,9\] is larger/);
  refuse(convT({ x: [1, 2, 3, 3], w: [2, 2, 2, 2], y: [1, 2, 6, 5], attrs: [ints('dilations', [2, 2]), ints('output_padding', [1, 0])], bias: false, ref: ref2([1, 1], [0, 0]) }), /output_padding \[1,0\] is not below the strides \[1,1\]/);
});
