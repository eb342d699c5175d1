/**
 * The kernel API in a page (real Chromium, WebGPU on SwiftShader): with
 * keepOnDevice, onnxruntime-web's WebGPU output stays a gpu-buffer tensor,
 * goes back in as the next call's input without leaving the GPU, and reads
 * back bit-identical to the reference kernel chained the same way; float32
 * arrays on the page's wasm EP and the SIMD kernel agree too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { thresholdedReluReference, thresholdedReluGradReference } from '../../src/ops/index.js';
import { openApp, type App } from './browser.js';

let app: App;
before(async () => {
  app = await openApp();
});
after(async () => {
  await app?.close();
});

const N = 5003;
const values = (): number[] => {
  const v = Array.from({ length: N }, (_, i) => Math.sin(i * 0.37) * 3);
  v.splice(0, 8, NaN, -NaN, Infinity, -Infinity, 0.5, 1.5, -0, 0);
  return v;
};
const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

test('webgpu in the page: keepOnDevice chains on the GPU (gpu-buffer in, gpu-buffer out), bit-identical to the reference', async () => {
  const x = values();
  const dy = x.map((v, i) => [-0, NaN, Infinity][i % 7] ?? (i % 5) - 2);
  const r = await app.page.evaluate(async ([xs, dys]) => {
    const lib = await import('/lib/onnx-trelu.web.mjs' as string);
    const k = lib.createKernelsOn(lib.createWebBackends());
    const x = Float32Array.from(xs);
    const y1 = await k.thresholdedRelu(x, { alpha: 0.5, ep: 'webgpu', keepOnDevice: true });
    const y2 = await k.thresholdedRelu(y1, { alpha: 1.5, ep: 'webgpu', keepOnDevice: true });
    const g = await k.thresholdedReluGrad(y2, Float32Array.from(dys), { alpha: -0.25, ep: 'webgpu', keepOnDevice: true });
    const locations = [y1.location, y2.location, g.location];
    const read = async (t: { getData(): Promise<Float32Array> }) => Array.from(new Uint32Array((await t.getData()).buffer));
    const out = { locations, y2: await read(y2), g: await read(g) };
    for (const t of [y1, y2, g]) t.dispose();
    await k.release();
    return out;
  }, [x, dy] as const);
  assert.deepEqual(r.locations, ['gpu-buffer', 'gpu-buffer', 'gpu-buffer']);
  const y1 = thresholdedReluReference(Float32Array.from(x), 0.5, 'float32');
  const y2 = thresholdedReluReference(y1, 1.5, 'float32');
  assert.deepEqual(r.y2, bits(y2), 'two chained forwards');
  const want = thresholdedReluGradReference(y2, Float32Array.from(dy), -0.25, 'float32');
  assert.ok(want.some((v) => Object.is(v, -0)), 'a passed-through -0 is in the data');
  assert.deepEqual(r.g, bits(want), 'gradient on the chained result, -0 included');
});

test('wasm and simd in the page: the kernel API on float32 arrays, bit-identical to the reference', async () => {
  const x = values();
  const dy = x.map((v, i) => [-0, NaN][i % 5] ?? i % 3);
  const r = await app.page.evaluate(async ([xs, dys]) => {
    const lib = await import('/lib/onnx-trelu.web.mjs' as string);
    const k = lib.createKernelsOn(lib.createWebBackends());
    const x = Float32Array.from(xs);
    const dy = Float32Array.from(dys);
    const u = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    const out = {
      wasm: u(await k.thresholdedRelu(x, { alpha: 0.5, ep: 'wasm' })),
      wasmGrad: u(await k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep: 'wasm' })),
      simd: u(await k.thresholdedRelu(x, { alpha: 0.5, ep: 'simd' })),
      simdGrad: u(await k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep: 'simd' })),
    };
    await k.release();
    return out;
  }, [x, dy] as const);
  const fx = Float32Array.from(x);
  const fwd = bits(thresholdedReluReference(fx, 0.5, 'float32'));
  const grad = bits(thresholdedReluGradReference(fx, Float32Array.from(dy), 0.5, 'float32'));
  assert.deepEqual(r.wasm, fwd);
  assert.deepEqual(r.simd, fwd);
  assert.deepEqual(r.wasmGrad, grad);
  assert.deepEqual(r.simdGrad, grad);
});
