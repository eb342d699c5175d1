/**
 * The onnxruntime-web backends outside a browser: 'wasm' runs (the same
 * WebAssembly build pages get), 'webgpu' fails with a typed error and a hint
 * (Node has no navigator.gpu), and concurrent first sessions do not trip
 * onnxruntime-web's "multiple calls to initWasm()".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWebBackends, thresholdedReluModel, verifyRewrite } from '../../src/web/index.js';
import { isTreluError } from '../../src/errors.js';

const x = { type: 'float32', data: Float32Array.of(-1, 0.25, 0.5, 0.75, NaN, Infinity), dims: [6] };

test('wasm: concurrent sessions start, and ThresholdedRelu and its gradient are exact', async () => {
  const wasm = createWebBackends().get('wasm');
  const [f, g] = await Promise.all([wasm.createSession(thresholdedReluModel('forward', 0.5)), wasm.createSession(thresholdedReluModel('grad', 0.5))]);
  const y = await f.run({ x });
  // By hand: x > 0.5 keeps x, else 0; NaN > 0.5 is false.
  assert.deepEqual(Array.from(y.y!.data as Float32Array), [0, 0, 0, 0.75, 0, Infinity]);
  const dx = await g.run({ x, dy: { type: 'float32', data: Float32Array.of(2, 3, 4, 5, 6, 7), dims: [6] } });
  assert.deepEqual(Array.from(dx.y!.data as Float32Array), [0, 0, 0, 5, 0, 7]);
  await f.release();
  await g.release();
});

test('verifyRewrite: a different alpha is caught as a mismatch, the same model passes', async () => {
  const wasm = createWebBackends().get('wasm');
  const feeds = { x };
  const same = await verifyRewrite(wasm, thresholdedReluModel('forward', 0.5), thresholdedReluModel('forward', 0.5), feeds, { mode: 'equal' });
  assert.equal(same.ok, true);
  const other = await verifyRewrite(wasm, thresholdedReluModel('forward', 0.5), thresholdedReluModel('forward', 0.3), feeds, { mode: 'equal' });
  assert.equal(other.ok, false);
  assert.equal(other.checks[0]!.mismatches, 1, 'only 0.5 itself differs (0 vs 0.5)');
  assert.equal(other.checks[0]!.maxAbsDiff, 0.5);
});

test('webgpu outside a browser: E_UNSUPPORTED with a hint, remembered', async () => {
  const webgpu = createWebBackends().get('webgpu');
  for (let i = 0; i < 2; i++) {
    await assert.rejects(webgpu.init(), (e: unknown) => isTreluError(e) && e.code === 'E_UNSUPPORTED' && /WebGPU/.test(e.message) && !!e.hint);
  }
});
