// onnxruntime-node with pre-allocated outputs: ORT fills the caller's tensor in place, run() hands that
// tensor back (not the binding's copy of it), and where ArrayBuffer.prototype.transfer exists the copy is
// detached at once so malloc gets its memory back before the next call. Node 20 has transfer only behind
// --harmony-rab-gsab-transfer (Node 22 by default), so both sides are checked in child processes (one with
// the flag where this Node needs it, one with transfer deleted before the module loads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { OrtNodeBackend, keepPreallocated } from '../../src/runtime/backends/ort-node.js';
import { thresholdedReluKernelModel } from '../../src/ops/thresholded-relu/kernel-model.js';
import { thresholdedReluReference } from '../../src/ops/index.js';

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('cpu: a pre-allocated output is filled in place and is what run() returns', async () => {
  const s = await new OrtNodeBackend('cpu').createSession(thresholdedReluKernelModel('forward', 'float32', 0.5));
  try {
    const n = 1000;
    const x = Float32Array.from({ length: n }, (_, i) => (i % 9) / 4 - 1);
    x[0] = NaN;
    x[1] = 0.5;
    const backing = new Float32Array(n + 8).fill(7);
    const y = { type: 'float32', data: backing.subarray(4, 4 + n), dims: [n] } as const;
    const r = await s.run({ x: { type: 'float32', data: x, dims: [n] } }, { y });
    assert.equal(r.y, y, 'the caller\'s tensor comes back');
    assert.ok(bits(y.data).equals(bits(thresholdedReluReference(x, 0.5, 'float32'))), 'filled in place, bit for bit');
    assert.deepEqual([...backing.subarray(0, 4), ...backing.subarray(4 + n)], Array(8).fill(7), 'nothing written outside the view');
    assert.equal(backing.buffer.byteLength, (n + 8) * 4, 'the caller\'s buffer is never detached');
  } finally {
    await s.release();
  }
});

// keepPreallocated on a stand-in result, in a child with or without ArrayBuffer.prototype.transfer.
const child = (flags: string[], prelude = '') => JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', `
  ${prelude}
  const { keepPreallocated } = await import(${JSON.stringify(new URL('../../src/runtime/backends/ort-node.js', import.meta.url).href)});
  const mine = { type: 'float32', data: new Float32Array(64).fill(1), dims: [64] };
  const copy = { type: 'float32', data: new Float32Array(64).fill(1), dims: [64] };
  const other = { type: 'float32', data: new Float32Array(8), dims: [8] };
  const shared = { type: 'float32', data: new Float32Array(new SharedArrayBuffer(16)), dims: [4] };
  const r = keepPreallocated({ y: copy, z: other, s: shared }, { y: mine, s: { type: 'float32', data: shared.data, dims: [4] } });
  console.log(JSON.stringify({ transfer: typeof ArrayBuffer.prototype.transfer === 'function', same: r.y === mine, mine: mine.data.byteLength,
    copy: copy.data.buffer.byteLength, other: r.z === other && other.data.byteLength, shared: shared.data.byteLength }));
`], { encoding: 'utf8' })) as { transfer: boolean; same: boolean; mine: number; copy: number; other: number; shared: number };

test('keepPreallocated: with ArrayBuffer.prototype.transfer the binding\'s copy is detached, nothing else is', () => {
  const r = child(typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer']);
  assert.deepEqual(r, { transfer: true, same: true, mine: 256, copy: 0, other: 32, shared: 16 });
});

test('keepPreallocated: without transfer the copy is left to the GC, and the caller\'s tensor still comes back', () => {
  const r = child([], 'delete ArrayBuffer.prototype.transfer;');
  assert.deepEqual(r, { transfer: false, same: true, mine: 256, copy: 256, other: 32, shared: 16 });
});

test('keepPreallocated in this process', () => {
  const mine = { type: 'float32', data: new Float32Array(4), dims: [4] } as const;
  const r = keepPreallocated({ y: { type: 'float32', data: new Float32Array(4), dims: [4] } }, { y: mine });
  assert.equal(r.y, mine);
});

test('the kernel API\'s chunked ORT cpu path with the copies detached: bit-identical to the reference, out intact', () => {
  const flags = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer'];
  const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  const r = JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', `
    const { createKernels } = await import(${mod('../../src/runtime/index.js')});
    const { thresholdedReluReference, thresholdedReluGradReference } = await import(${mod('../../src/ops/index.js')});
    const fc = (await import('fast-check')).default;
    const bits = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const k = createKernels(undefined, { ortChunk: 64 });
    const specials = [NaN, -NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 2 ** -149, 1, -1];
    const value = fc.oneof(fc.float(), fc.constantFrom(...specials));
    let runs = 0;
    await fc.assert(fc.asyncProperty(fc.array(value, { minLength: 65, maxLength: 600 }), fc.constantFrom(0.5, -0.25, 0, 1), async (vals, alpha) => {
      const x = Float32Array.from(vals);
      const dy = Float32Array.from(vals, (v, i) => (i % 3 === 0 ? -v : (i % 5) - 2));
      const backing = new Float32Array(x.length + 2).fill(7);
      const out = backing.subarray(1, 1 + x.length);
      await k.thresholdedRelu(x, { alpha, ep: 'cpu', out });
      if (!bits(out).equals(bits(thresholdedReluReference(x, alpha, 'float32')))) throw new Error('forward differs');
      await k.thresholdedReluGrad(x, dy, { alpha, ep: 'cpu', out });
      if (!bits(out).equals(bits(thresholdedReluGradReference(x, dy, alpha, 'float32')))) throw new Error('gradient differs');
      if (backing[0] !== 7 || backing[x.length + 1] !== 7 || backing.buffer.byteLength !== (x.length + 2) * 4) throw new Error('out damaged');
      runs++;
    }), { numRuns: 40, seed: 16 });
    await k.release();
    console.log(JSON.stringify({ transfer: typeof ArrayBuffer.prototype.transfer === 'function', runs }));
  `], { encoding: 'utf8' })) as { transfer: boolean; runs: number };
  assert.deepEqual(r, { transfer: true, runs: 40 });
});
