// ThresholdedRelu semantics: the ONNX conformance tests, exactly, and
// properties over random tensors for every dtype.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { onnx } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { thresholdedReluOp as thresholdedRelu, thresholdedReluReference, thresholdedReluGradReference, roundAlpha, float16ToNumber, numberToFloat16, bfloat16ToNumber, numberToBfloat16, float16Table } from '../../src/ops/index.js';
import { CORPUS } from '../helpers.js';

function readPb(file: string) {
  return onnx.TensorProto.decode(new Uint8Array(fs.readFileSync(file))) as onnx.TensorProto;
}

for (const name of ['test_thresholdedrelu', 'test_thresholdedrelu_default', 'test_thresholdedrelu_example']) {
  test(`conformance: ${name} matches the reference kernel exactly`, () => {
    const dir = path.join(CORPUS, 'node', name);
    const model = decodeModel(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))));
    const node = model.graph!.node[0]!;
    assert.equal(node.opType, 'ThresholdedRelu');
    const { alpha } = thresholdedRelu.parseAttributes(node.attribute);
    const sets = fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set'));
    assert.ok(sets.length >= 1);
    for (const set of sets) {
      const x = tensorToFloat32(readPb(path.join(dir, set, 'input_0.pb')));
      const expected = tensorToFloat32(readPb(path.join(dir, set, 'output_0.pb')));
      const y = thresholdedReluReference(x, alpha, 'float32');
      assert.deepEqual([...y].map((v) => Object.is(v, -0) ? 0 : v), [...expected].map((v) => Object.is(v, -0) ? 0 : v));
      assert.deepEqual(Buffer.from(y.buffer), Buffer.from(expected.buffer), 'bit for bit');
    }
  });
}

test('the edge cases of the definition, float32', () => {
  const x = Float32Array.from([2, 1, 0.5, NaN, -Infinity, Infinity, -0, 0, -3, 1.0000001]);
  assert.deepEqual([...thresholdedReluReference(x, 1, 'float32')], [2, 0, 0, 0, 0, Infinity, 0, 0, 0, Math.fround(1.0000001)]);
  // negative alpha keeps values between alpha and 0
  assert.deepEqual([...thresholdedReluReference(Float32Array.from([-0.5, -2, -1]), -1, 'float32')], [-0.5, 0, 0]);
  // gradient from X: for alpha < x <= 0, Y = x is not > 0, but the gradient flows (Caffe2's bug)
  assert.deepEqual([...thresholdedReluGradReference(Float32Array.from([-0.5, -2, -1, 3]), Float32Array.from([7, 7, 7, 7]), -1, 'float32')], [7, 0, 0, 7]);
  // default alpha is 1.0
  assert.deepEqual(thresholdedRelu.parseAttributes([]), { alpha: 1, alphaIsDefault: true });
});

test('alpha is rounded to the input type before comparing', () => {
  assert.equal(roundAlpha(1.0006, 'float16'), 1.0009765625);
  const x = Uint16Array.from([numberToFloat16(1.0009765625), numberToFloat16(1.0)]);
  // 1.000977 > round(1.0006) is false, so it maps to 0 in float16 ...
  assert.deepEqual([...thresholdedReluReference(x, 1.0006, 'float16')], [0, 0]);
  // ... but 1.000977 > 1.0006 in float32.
  assert.equal(thresholdedReluReference(Float32Array.from([1.0009765625]), 1.0006, 'float32')[0], 1.0009765625);
  assert.equal(roundAlpha(1.0006, 'bfloat16'), 1);
  assert.equal(roundAlpha(0.1, 'float64'), Math.fround(0.1));
});

test('float16 decoding is exact for all 65,536 patterns', () => {
  const table = float16Table();
  for (let b = 0; b < 65536; b++) {
    const s = b >> 15 ? -1 : 1;
    const e = (b >> 10) & 31;
    const m = b & 1023;
    const expected = e === 31 ? (m ? NaN : s * Infinity) : e === 0 ? s * m / 16777216 : s * (1024 + m) / 1024 * Math.pow(2, e - 15);
    assert.ok(Object.is(float16ToNumber(b), expected) || (Number.isNaN(expected) && Number.isNaN(float16ToNumber(b))), `bits ${b}`);
    assert.ok(Object.is(table[b], Math.fround(expected)) || Number.isNaN(expected));
    if (!Number.isNaN(expected)) assert.equal(numberToFloat16(expected), b, `round trip ${b}`);
  }
});

/** Nearest-even check: the chosen value is at least as close as both neighbours, and even on ties. */
function assertNearestEven(v: number, bits: number, decode: (b: number) => number, step: (b: number, d: 1 | -1) => number | undefined) {
  const got = decode(bits);
  if (!Number.isFinite(got)) return; // overflow to inf is checked elsewhere
  const err = Math.abs(v - got);
  for (const d of [1, -1] as const) {
    const nb = step(bits, d);
    if (nb === undefined) continue;
    const other = decode(nb);
    if (!Number.isFinite(other)) continue;
    const e2 = Math.abs(v - other);
    assert.ok(err < e2 || (err === e2 && (bits & 1) === 0), `${v}: chose ${got}, neighbour ${other}`);
  }
}

const stepMagnitude = (mask: number) => (b: number, d: 1 | -1) => {
  const mag = b & mask;
  const next = mag + d;
  if (next < 0 || next > mask) return undefined;
  return (b & ~mask) | next;
};

test('float32 → float16 and → bfloat16 round to nearest, ties to even (property)', () => {
  fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
    const h = numberToFloat16(v);
    if (Math.abs(v) < 65504) assertNearestEven(v, h, float16ToNumber, stepMagnitude(0x7fff));
    const bf = numberToBfloat16(v);
    assertNearestEven(v, bf, bfloat16ToNumber, stepMagnitude(0x7fff));
  }), { numRuns: 20000, seed: 1 });
  assert.equal(numberToFloat16(65520), 0x7c00, 'rounds up to inf past the largest half');
  assert.equal(numberToFloat16(65519), 0x7bff);
  assert.equal(numberToFloat16(2 ** -25), 0, 'tie at half the smallest subnormal goes to even (0)');
  assert.equal(numberToFloat16(2 ** -25 * 1.5), 1);
  assert.ok(Number.isNaN(float16ToNumber(numberToFloat16(NaN))));
  assert.ok(Number.isNaN(bfloat16ToNumber(numberToBfloat16(NaN))));
});

const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2 ** -149, -(2 ** -149), 2 ** -24, 65504];

for (const dtype of ['float32', 'float64', 'float16', 'bfloat16'] as const) {
  test(`forward and gradient agree with the definition on random ${dtype} tensors (property)`, () => {
    const encode = (v: number) => (dtype === 'float16' ? numberToFloat16(v) : dtype === 'bfloat16' ? numberToBfloat16(v) : v);
    const decode = (b: number) => (dtype === 'float16' ? float16ToNumber(b) : dtype === 'bfloat16' ? bfloat16ToNumber(b) : b);
    const make = (vals: number[]) => (dtype === 'float32' ? Float32Array.from(vals) : dtype === 'float64' ? Float64Array.from(vals) : Uint16Array.from(vals.map(encode)));
    const value = fc.oneof(fc.double(), fc.constantFrom(...specials), fc.double({ min: -4, max: 4 }));
    fc.assert(fc.property(fc.array(value, { maxLength: 64 }), fc.oneof(fc.float({ noNaN: true, min: -8, max: 8 }), fc.constantFrom(0, 1, -1, 1.0006)), (vals, alpha) => {
      // x == alpha exactly (after rounding) must give 0
      const withTies = [...vals, roundAlpha(alpha, dtype)];
      const x = make(withTies) as never;
      const dy = make(withTies.map((_, i) => i + 1)) as never;
      const y = thresholdedReluReference(x, alpha, dtype) as ArrayLike<number>;
      const dx = thresholdedReluGradReference(x, dy, alpha, dtype) as ArrayLike<number>;
      const a = roundAlpha(alpha, dtype);
      for (let i = 0; i < withTies.length; i++) {
        const xi = decode((x as ArrayLike<number>)[i]!);
        const pass = xi > a; // false for NaN and for xi == a
        assert.ok(Object.is(y[i], pass ? (x as ArrayLike<number>)[i] : 0), `y[${i}] for x=${xi}, alpha=${a}`);
        assert.ok(Object.is(dx[i], pass ? (dy as ArrayLike<number>)[i] : 0));
      }
      assert.ok(Object.is(decode(y[withTies.length - 1]!), 0), 'x == alpha gives 0');
    }), { numRuns: 300, seed: 7 });
  });
}

test('empty tensors and in-place output', () => {
  assert.equal(thresholdedReluReference(new Float32Array(0), 1, 'float32').length, 0);
  const x = Float32Array.from([0, 2]);
  assert.equal(thresholdedReluReference(x, 1, 'float32', x), x);
  assert.deepEqual([...x], [0, 2]);
  assert.throws(() => thresholdedReluReference(Float32Array.from([1]), 1, 'float32', new Float32Array(2)), RangeError);
});

test('the WebAssembly SIMD kernel is bit-identical to the reference (property, odd lengths, specials)', async () => {
  const { thresholdedReluSimd, thresholdedReluGradSimd, simdAvailable } = await import('../../src/ops/index.js');
  assert.ok(simdAvailable(), 'Node 20 has WebAssembly SIMD');
  const value = fc.oneof(fc.float(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 0.5, 2 ** -149, -1));
  fc.assert(fc.property(fc.array(value, { maxLength: 9000 }), fc.float({ noNaN: true, min: -4, max: 4 }), (vals, alpha) => {
    const x = Float32Array.from(vals);
    const dy = Float32Array.from(vals, (_, i) => (i % 5) - 2);
    const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    assert.ok(same(thresholdedReluSimd(x, alpha)!, thresholdedReluReference(x, alpha, 'float32')));
    assert.ok(same(thresholdedReluGradSimd(x, dy, alpha)!, thresholdedReluGradReference(x, dy, alpha, 'float32')));
  }), { numRuns: 60, seed: 11 });
});
