// The kernel API's chunked ORT path (large arrays go through ORT in 1 MiB pieces, each
// output written into its slice of the result): bit-identical to the reference kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackends, createKernels } from '../../src/runtime/index.js';
import { thresholdedReluReference, thresholdedReluGradReference } from '../../src/ops/index.js';

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const backends = createBackends();
const N = (1 << 18) * 2 + 37; // two whole chunks and a ragged one

const x = Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.61) * 2);
for (const [i, v] of [[0, NaN], [1, 0.5], [2, -0], [N - 1, NaN], [N - 2, 0.5], [(1 << 18) - 1, 3], [1 << 18, 4]] as const) x[i] = v;
const dy = Float32Array.from({ length: N }, (_, i) => (i % 11) - 5);

for (const ep of ['cpu', 'wasm'] as const) {
  test(`${ep}: arrays larger than a chunk: forward, gradient, pre-allocated out and a tensor keeping its dims`, async () => {
    const k = createKernels(backends);
    try {
      const y = (await k.thresholdedRelu(x, { alpha: 0.5, ep })) as Float32Array;
      assert.equal(y.length, N);
      assert.ok(bits(y).equals(bits(thresholdedReluReference(x, 0.5, 'float32'))), 'forward');
      const out = new Float32Array(N).fill(9);
      assert.equal(await k.thresholdedReluGrad(x, dy, { alpha: -0.25, ep, out }), out);
      assert.ok(bits(out).equals(bits(thresholdedReluGradReference(x, dy, -0.25, 'float32'))), 'gradient into out');
      const t = (await k.thresholdedRelu({ type: 'float32', data: x, dims: [N, 1] }, { alpha: 0.5, ep })) as { data: Float32Array; dims: readonly number[] };
      assert.deepEqual(t.dims, [N, 1]);
      assert.ok(bits(t.data).equals(bits(y)), 'tensor input');
      await assert.rejects(k.thresholdedReluGrad(x, dy.subarray(1), { alpha: 0.5, ep }), /dY has/);
    } finally {
      await k.release();
    }
  });
}

test('ortChunk must be a positive integer', () => {
  for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => createKernels(backends, { ortChunk: bad }), /ortChunk must be a positive integer/);
});
