// The SIMD kernel's arena path (arrays in its own memory, no copies) and its worker pool:
// bit-identical to the reference kernel on edge values, tails, aliasing and unaligned views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { thresholdedReluReference, thresholdedReluGradReference, thresholdedReluSimd, thresholdedReluGradSimd, simdArray, freeSimdArray, inSimdArena } from '../../src/ops/index.js';
import { createSimdPool } from '../../src/node/simd-workers.js';

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: Float32Array, b: Float32Array) => bits(a).equals(bits(b));
const SPECIALS = [NaN, -NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 2 ** -149, -(2 ** -149), 1, -1, 3.4e38];
const value = fc.oneof(fc.float(), fc.constantFrom(...SPECIALS));
const alphaArb = fc.oneof(fc.float({ noNaN: true, min: -4, max: 4 }), fc.constantFrom(0, -0, 0.5, -0.5, 2 ** -149));

function inArena(values: ArrayLike<number>): Float32Array {
  const a = simdArray(values.length);
  a.set(values);
  return a;
}

test('arena arrays: forward and gradient are bit-identical to the reference (property, odd lengths, specials)', () => {
  fc.assert(fc.property(fc.array(value, { maxLength: 700 }), alphaArb, (vals, alpha) => {
    const x = inArena(vals);
    const dy = inArena(vals.map((v, i) => (i % 3 === 0 ? -v : (i % 5) - 2)));
    const out = simdArray(vals.length);
    assert.ok(inSimdArena(x) && inSimdArena(out));
    const plainX = Float32Array.from(vals);
    assert.ok(same(thresholdedReluSimd(x, alpha, out)!, thresholdedReluReference(plainX, alpha, 'float32')));
    assert.ok(same(thresholdedReluGradSimd(x, dy, alpha, out)!, thresholdedReluGradReference(plainX, dy.slice(), alpha, 'float32')));
    for (const a of [x, dy, out]) freeSimdArray(a);
  }), { numRuns: 80, seed: 16 });
});

test('arena arrays: x == alpha gives +0, NaN gives +0, -0 keeps its sign only when it passes', () => {
  const x = inArena([0.5, NaN, -0, -0, 0.75, ...Array(40).fill(0.5)]);
  const y = simdArray(x.length);
  thresholdedReluSimd(x, 0.5, y);
  assert.ok(Object.is(y[0], 0) && Object.is(y[1], 0) && Object.is(y[2], 0) && y[4] === 0.75);
  thresholdedReluSimd(x, -1, y);
  assert.ok(Object.is(y[2], -0), '-0 > -1: kept as -0');
  assert.ok(Number.isNaN(x[1]!) && Object.is(y[1], 0), 'NaN: +0');
  for (const a of [x, y]) freeSimdArray(a);
});

test('arena arrays: in place (out === x, out === dy) and unaligned subarrays match the reference', () => {
  const vals = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);
  const ref = thresholdedReluReference(Float32Array.from(vals), 0.25, 'float32');
  const x = inArena(vals);
  assert.ok(same(thresholdedReluSimd(x, 0.25, x)!, ref));
  const x2 = inArena(vals);
  const dy = inArena(vals.map((v) => v * 2));
  const gref = thresholdedReluGradReference(Float32Array.from(vals), dy.slice(), 0.25, 'float32');
  assert.ok(same(thresholdedReluGradSimd(x2, dy, 0.25, dy)!, gref));
  // a view starting 1 float in: not 16-byte aligned, so it takes the copy window
  const big = inArena([7, ...vals]);
  const sub = big.subarray(1);
  assert.ok(same(thresholdedReluSimd(sub, 0.25)!, ref));
  for (const a of [x, x2, dy, big]) freeSimdArray(a);
});

test('freed arena bytes are reused, growing keeps earlier views valid, and bad frees are refused', () => {
  const a = simdArray(100);
  a.fill(3);
  const big = simdArray(1 << 22); // grows the memory by 16 MiB
  assert.equal(a[99], 3, 'a view made before the memory grew still reads its data');
  assert.ok(inSimdArena(a) && inSimdArena(big));
  const off = big.byteOffset;
  freeSimdArray(big);
  const again = simdArray(1 << 22);
  assert.equal(again.byteOffset, off, 'the freed block is handed out again');
  assert.ok(again.every((v) => v === 0), 'and zero-filled');
  assert.throws(() => freeSimdArray(a.subarray(1)), RangeError);
  freeSimdArray(again);
  freeSimdArray(a);
  assert.throws(() => freeSimdArray(a), RangeError);
  freeSimdArray(new Float32Array(4)); // an ordinary array: nothing to free
});

test('worker pool: 3 threads give the reference bits on a large array and on small ones; non-arena arrays are refused', async () => {
  const pool = createSimdPool({ threads: 3, minElements: 1000 });
  try {
    for (const n of [(1 << 16) + 13, 999, 3001]) {
      const vals = Array.from({ length: n }, (_, i) => (i % 97 === 0 ? SPECIALS[i % SPECIALS.length]! : Math.cos(i * 0.37) * 2));
      const x = inArena(vals);
      const dy = inArena(vals.map((_, i) => (i % 7) - 3));
      const out = simdArray(n);
      const plain = Float32Array.from(vals);
      assert.ok(same(await pool.thresholdedRelu(x, 0.5, out), thresholdedReluReference(plain, 0.5, 'float32')), `forward, n = ${n}`);
      assert.ok(same(await pool.thresholdedReluGrad(x, dy, 0.5, out), thresholdedReluGradReference(plain, dy.slice(), 0.5, 'float32')), `gradient, n = ${n}`);
      for (const a of [x, dy, out]) freeSimdArray(a);
    }
    await assert.rejects(pool.thresholdedRelu(new Float32Array(8), 0.5, simdArray(8)), /not an array from simdArray/);
  } finally {
    await pool.close();
  }
});

test('kernel API: ep simd with simdThreads sends arena arrays to the pool, other arrays to the calling thread', async () => {
  const { createKernels, createBackends } = await import('../../src/runtime/index.js');
  const pool = createSimdPool({ threads: 2, minElements: 64 });
  let calls = 0;
  const counted = {
    thresholdedRelu: (x: Float32Array, a: number, o: Float32Array) => (calls++, pool.thresholdedRelu(x, a, o)),
    thresholdedReluGrad: (x: Float32Array, d: Float32Array, a: number, o: Float32Array) => (calls++, pool.thresholdedReluGrad(x, d, a, o)),
  };
  const k = createKernels(createBackends(), { simdThreads: counted });
  try {
    const vals = Array.from({ length: 5000 }, (_, i) => (i % 50 === 0 ? NaN : Math.sin(i) * 2));
    const x = inArena(vals);
    const dy = inArena(vals.map((_, i) => i % 9));
    const out = simdArray(vals.length);
    const plain = Float32Array.from(vals);
    assert.equal(await k.thresholdedRelu(x, { alpha: 0.5, ep: 'simd', out }), out);
    assert.ok(same(out, thresholdedReluReference(plain, 0.5, 'float32')));
    await k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep: 'simd', out });
    assert.ok(same(out, thresholdedReluGradReference(plain, dy.slice(), 0.5, 'float32')));
    assert.equal(calls, 2, 'both calls went to the pool');
    const y = (await k.thresholdedRelu(plain, { alpha: 0.5, ep: 'simd' })) as Float32Array;
    assert.ok(same(y, thresholdedReluReference(plain, 0.5, 'float32')));
    assert.equal(calls, 2, 'an ordinary array did not');
    for (const a of [x, dy, out]) freeSimdArray(a);
  } finally {
    await k.release();
    await pool.close();
  }
});

test('arena arrays allocated before and after the memory grows work together (tails included)', () => {
  const n = 1000 + 7; // a tail past the last whole block
  const vals = Array.from({ length: n }, (_, i) => Math.cos(i) * 2);
  const x = inArena(vals); // before
  const filler = simdArray(1 << 23); // 32 MiB: the memory grows
  const out = simdArray(n); // after: beyond x's (older, shorter) buffer
  assert.ok(out.byteOffset + out.byteLength > x.buffer.byteLength, 'out lies past the end of the buffer x was made from');
  assert.ok(same(thresholdedReluSimd(x, 0.5, out)!, thresholdedReluReference(Float32Array.from(vals), 0.5, 'float32')));
  for (const a of [x, filler, out]) freeSimdArray(a);
});
