/**
 * npm run bench:kernels — ThresholdedRelu forward and gradient over 64 MiB of
 * float32, every figure also as a ratio to a memcpy (TypedArray.prototype.set)
 * of the same bytes measured in the same run:
 *   (a) the reference kernel, (b) the kernel API's CPU path (WebAssembly SIMD)
 *   and ORT's CPU EP through the kernel API (pre-allocated output), (c) ORT
 *   wasm (onnxruntime-web), (d) ORT webgpu; and the single
 *   ThresholdedRelu node against the decomposed Where/Less graph on ORT cpu.
 * Goals (issue #5): the kernel API's cpu path within 2x memcpy; gradient at
 * most 1.6x forward.
 */
import { createBackends, createKernels, runOnce } from '../src/runtime/index.js';
import { decodeModel } from '../src/onnx/decode.js';
import { encodeModel } from '../src/onnx/encode.js';
import { modelFromProto, modelToProto } from '../src/graph/index.js';
import { decompose } from '../src/rewrite/index.js';
import Long from 'long';
import { onnx } from '../src/onnx/proto.js';

const BYTES = Number(process.env.BENCH_MIB ?? 64) * 2 ** 20;
const N = BYTES / 4;
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => unknown | Promise<unknown>, runs = RUNS): Promise<number> {
  await fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const x = new Float32Array(N);
const dy = new Float32Array(N);
for (let i = 0; i < N; i++) {
  x[i] = ((i * 2654435761) % 2000) / 500 - 2;
  dy[i] = (i % 7) - 3;
}
const out = new Float32Array(N);
const memcpy = await time(() => out.set(x));
const rows: [string, number][] = [];
const report = (label: string, ms: number) => {
  rows.push([label, ms]);
  console.log(`${label.padEnd(44)}${ms.toFixed(1).padStart(9)} ms  ${(ms / memcpy).toFixed(2).padStart(6)}x memcpy`);
};
console.log(`ThresholdedRelu over ${BYTES / 2 ** 20} MiB float32 (${N} elements), medians of ${RUNS}`);
console.log(`${'memcpy (TypedArray.prototype.set)'.padEnd(44)}${memcpy.toFixed(1).padStart(9)} ms  ${'1.00'.padStart(6)}x memcpy`);

const backends = createBackends();
const k = createKernels(backends);
report('(a) reference kernel, forward', await time(() => k.thresholdedRelu(x, { alpha: 0.5, ep: 'js', out })));
report('(a) reference kernel, gradient', await time(() => k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep: 'js', out })));
const simdFwd = await time(() => k.thresholdedRelu(x, { alpha: 0.5, ep: 'simd', out }));
report('(b) kernel API cpu path: WebAssembly SIMD, fwd', simdFwd);
const simdGrad = await time(() => k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep: 'simd', out }));
report('(b) kernel API cpu path: WebAssembly SIMD, grad', simdGrad);
console.log(`${''.padEnd(44)}forward ${(simdFwd / memcpy).toFixed(2)}x memcpy (goal <= 2); gradient / forward = ${(simdGrad / simdFwd).toFixed(2)} (goal <= 1.6)`);
for (const ep of ['cpu', 'wasm', 'webgpu'] as const) {
  try {
    await backends.get(ep).init();
  } catch (e) {
    console.log(`(${ep}) skipped: ${(e as Error).message}`);
    continue;
  }
  const label = ep === 'cpu' ? '(b\') ORT cpu EP via the kernel API' : ep === 'wasm' ? '(c) ORT wasm' : '(d) ORT webgpu';
  const runs = ep === 'cpu' ? RUNS : 3;
  const fwd = await time(() => k.thresholdedRelu(x, { alpha: 0.5, ep, out }), runs);
  report(`${label}, forward`, fwd);
  const grad = await time(() => k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep, out }), runs);
  report(`${label}, gradient`, grad);
  console.log(`${''.padEnd(44)}gradient / forward = ${(grad / fwd).toFixed(2)} (goal <= 1.6)`);
}

// The single node against its decomposition, both as whole sessions on ORT cpu.
const tt = { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }] } } };
const single = onnx.ModelProto.encode({
  irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
  graph: { name: 'g', node: [{ name: 't', opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: 1, f: 0.5 }] }], input: [{ name: 'x', type: tt }], output: [{ name: 'y', type: tt }] },
}).finish();
const m = modelFromProto(decodeModel(single));
decompose(m);
const decomposed = encodeModel(modelToProto(m));
const cpu = backends.get('cpu');
for (const [label, bytes] of [['ORT cpu session: single ThresholdedRelu node', single], ['ORT cpu session: decomposed Where/Less graph', decomposed]] as const) {
  const s = await cpu.createSession(bytes);
  report(label, await time(() => s.run({ x: { type: 'float32', data: x, dims: [N] } }), 5));
  await s.release();
}
await k.release();
void runOnce;
