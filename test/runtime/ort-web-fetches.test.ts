// onnxruntime-web with a pre-allocated output (the kernel API's wasm path): the result is copied into the
// caller's array and onnxruntime-web's own copy is detached at once where ArrayBuffer.prototype.transfer
// exists (browsers, Node 22+; Node 20 behind --harmony-rab-gsab-transfer, so this runs in a child with it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const flags = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer'];
const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
const inChild = (body: string) => JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', body], { encoding: 'utf8' }).trim().split('\n').pop()!) as Record<string, unknown>;

test('releaseCopy: detaches only a fresh copy, never the caller\'s buffer or a WebAssembly memory', () => {
  const r = inChild(`
    const { releaseCopy } = await import(${mod('../../src/runtime/backends/ort-session.js')});
    const copy = new Float32Array(16), kept = new Float32Array(16), view = kept.subarray(4);
    const wasm = new Float32Array(new WebAssembly.Memory({ initial: 1 }).buffer, 0, 16);
    releaseCopy(copy, kept); releaseCopy(view, kept); releaseCopy(wasm, kept);
    console.log(JSON.stringify({ copy: copy.buffer.byteLength, kept: kept.buffer.byteLength, wasm: wasm.buffer.byteLength }));
  `);
  assert.deepEqual(r, { copy: 0, kept: 64, wasm: 65536 });
});

test('the kernel API on onnxruntime-web\'s wasm, chunked, copies detached: bit-identical to the reference, out intact', () => {
  const r = inChild(`
    const { createKernels } = await import(${mod('../../src/runtime/index.js')});
    const { thresholdedReluReference, thresholdedReluGradReference } = await import(${mod('../../src/ops/index.js')});
    const fc = (await import('fast-check')).default;
    const bits = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const k = createKernels(undefined, { ortChunk: 64 });
    const value = fc.oneof(fc.float(), fc.constantFrom(NaN, -NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 2 ** -149));
    let runs = 0;
    await fc.assert(fc.asyncProperty(fc.array(value, { minLength: 65, maxLength: 400 }), fc.constantFrom(0.5, -0.25, 0), async (vals, alpha) => {
      const x = Float32Array.from(vals);
      const dy = Float32Array.from(vals, (v, i) => (i % 3 === 0 ? -v : (i % 5) - 2));
      const backing = new Float32Array(x.length + 2).fill(7);
      const out = backing.subarray(1, 1 + x.length);
      await k.thresholdedRelu(x, { alpha, ep: 'wasm', out });
      if (!bits(out).equals(bits(thresholdedReluReference(x, alpha, 'float32')))) throw new Error('forward differs');
      await k.thresholdedReluGrad(x, dy, { alpha, ep: 'wasm', out });
      if (!bits(out).equals(bits(thresholdedReluGradReference(x, dy, alpha, 'float32')))) throw new Error('gradient differs');
      if (backing[0] !== 7 || backing[x.length + 1] !== 7 || backing.buffer.byteLength !== (x.length + 2) * 4) throw new Error('out damaged');
      runs++;
    }), { numRuns: 25, seed: 16 });
    await k.release();
    console.log(JSON.stringify({ transfer: typeof ArrayBuffer.prototype.transfer === 'function', runs }));
  `);
  assert.deepEqual(r, { transfer: true, runs: 25 });
});
