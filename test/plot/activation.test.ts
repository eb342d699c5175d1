/**
 * The activation plot's sampling: alpha and the next float32 above it are
 * sampled (both sides of the jump), jumps become gaps and nothing else does,
 * and the look-alikes are the functions their names say (checked by hand).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samplePoints, withJumps, lookAlikes, sampleKernel, referenceKernel } from '../../src/plot/activation.js';

test('samplePoints: sorted float32s over the range, with alpha and the float32 just above it', () => {
  const x = samplePoints(-3, 3, 7, [0.1, 5]);
  assert.ok(x.every((v, i) => i === 0 || v > x[i - 1]!), 'strictly increasing');
  assert.equal(x[0], -3);
  assert.equal(x[x.length - 1], 3);
  const a = Math.fround(0.1);
  const i = x.indexOf(a);
  assert.ok(i >= 0, 'alpha is sampled');
  // The next float32 up: one ulp above (0.1 is in [2^-4, 2^-3), where an ulp is 2^-27).
  assert.equal(x[i + 1], a + 2 ** -27);
  assert.equal(x.length, 9, 'the 7 grid points, alpha and its neighbour; 5 is outside the range');
  // alpha = 0: the smallest subnormal sits above it.
  const z = samplePoints(-1, 1, 3, [0]);
  assert.deepEqual(Array.from(z), [-1, 0, 2 ** -149, 1]);
});

test('withJumps: a gap exactly at the discontinuity of ThresholdedRelu, none in a continuous function', async () => {
  const x = samplePoints(-3, 3, 61, [1]);
  const s = await sampleKernel(referenceKernel, x, 1);
  const f = withJumps(s.x, s.f);
  const gaps = f.map((p, k) => (Number.isNaN(p[0]) ? k : -1)).filter((k) => k >= 0);
  assert.equal(gaps.length, 1);
  const [before, after] = [f[gaps[0]! - 1]!, f[gaps[0]! + 1]!];
  assert.deepEqual(before, [1, 0], 'f(alpha) = 0');
  assert.equal(after[1], after[0], 'just above alpha, f(x) = x');
  assert.ok(after[0] > 1 && after[0] - 1 < 1e-6);
  // f' jumps at alpha too.
  assert.equal(withJumps(s.x, s.df).filter((p) => Number.isNaN(p[0])).length, 1);
  // max(0, x - 1) and max(x, 1) are continuous: no gap.
  for (const l of lookAlikes(x, 1)) assert.equal(withJumps(x, l.f).filter((p) => Number.isNaN(p[0])).length, 0, l.name);
});

test('lookAlikes: max(0, x - alpha) and max(x, alpha), and their derivatives, by hand', () => {
  const x = Float32Array.of(-2, 0.5, 1, 1.5, 3);
  const [shifted, clamp] = lookAlikes(x, 1);
  assert.equal(shifted!.name, 'max(0, x − 1)');
  assert.deepEqual(Array.from(shifted!.f), [0, 0, 0, 0.5, 2]);
  assert.deepEqual(Array.from(clamp!.f), [1, 1, 1, 1.5, 3]);
  assert.deepEqual(Array.from(shifted!.df), [0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from(clamp!.df), [0, 0, 0, 1, 1]);
  assert.equal(lookAlikes(x, -0.5)[0]!.name, 'max(0, x + 0.5)');
});
