/**
 * npm run bench:kernels — ThresholdedRelu forward and gradient over 64 MiB of
 * float32, every figure a ratio to a memcpy (TypedArray.prototype.set) of the
 * same bytes measured in the same rounds. Every case runs once per round, the
 * rounds interleave all cases (so drift on a shared machine hits them alike);
 * each line prints the median ratio and its spread (min–max over the rounds).
 *
 * Cases: the reference kernel; WebAssembly SIMD on ordinary arrays (copy
 * window; out of place, and in place), the window's two copies alone (its
 * floor), on arena arrays (simdArray: no copies), and split across worker
 * threads; ORT's CPU EP through the kernel API (chunked), a bare one-node
 * session on the whole array, and ORT's own kernel time from its profile
 * (what is ORT's and what is ours); ORT wasm; ORT webgpu. Where this Node has
 * no ArrayBuffer.prototype.transfer (Node 20), the ORT cpu and wasm
 * kernel-API cases run again in a child process that has it
 * (--harmony-rab-gsab-transfer), with memcpy rounds of its own: see
 * keepPreallocated in src/runtime/backends/ort-node.ts for why it matters.
 * Goals (issue #16): SIMD forward <= 1.2x memcpy, gradient <= 1.6x; ORT cpu
 * through the kernel API <= 2x.
 *
 * BENCH_MIB (default 64), BENCH_RUNS (rounds, default 7), BENCH_THREADS
 * (worker pool sizes, default "2,4"), BENCH_EPS (default "cpu,wasm,webgpu").
 */
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import { createBackends, createKernels } from '../src/runtime/index.js';
import type { BackendSession } from '../src/runtime/backend.js';
import { simdArray } from '../src/ops/index.js';
import { SIMD_WINDOW } from '../src/ops/thresholded-relu/simd.js';
import { createSimdPool, type SimdPool } from '../src/node/simd-workers.js';
import { onnx } from '../src/onnx/proto.js';

const BYTES = Number(process.env.BENCH_MIB ?? 64) * 2 ** 20;
const N = BYTES / 4;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const THREADS = (process.env.BENCH_THREADS ?? '2,4').split(',').map(Number).filter((t) => t > 1);
const EPS = (process.env.BENCH_EPS ?? 'cpu,wasm,webgpu').split(',');
/** Set in the child run that measures ORT cpu again where ArrayBuffer.prototype.transfer exists (see the end). */
const CHILD = process.env.BENCH_KERNELS_CHILD === 'transfer';
const HAS_TRANSFER = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

const fill = (a: Float32Array, b: Float32Array) => {
  for (let i = 0; i < N; i++) {
    a[i] = ((i * 2654435761) % 2000) / 500 - 2;
    b[i] = (i % 7) - 3;
  }
};
const x = new Float32Array(N);
const dy = new Float32Array(N);
fill(x, dy);
const out = new Float32Array(N);
// in-place cases work on their own copies (the kernel is idempotent on its result, so each round sees alike data)
const xi = x.slice();
const dyi = dy.slice();
const ax = simdArray(N);
const ady = simdArray(N);
const aout = simdArray(N);
ax.set(x);
ady.set(dy);

interface Case { label: string; fn: () => unknown; samples: number[]; group: string }
const cases: Case[] = [];
const add = (group: string, label: string, fn: () => unknown) => cases.push({ group, label, fn, samples: [] });

const backends = createBackends();
const k = createKernels(backends);
add('memcpy', 'memcpy (TypedArray.prototype.set)', () => out.set(x));
const win = new Float32Array(new WebAssembly.Memory({ initial: (SIMD_WINDOW * 4) / 65536 }).buffer, 0, SIMD_WINDOW);
/** What the copy window costs with no kernel at all: copy each window in, copy it out. */
const windowCopies = () => {
  for (let off = 0; off < N; off += SIMD_WINDOW) {
    win.set(x.subarray(off, off + SIMD_WINDOW));
    out.set(win.subarray(0, Math.min(SIMD_WINDOW, N - off)), off);
  }
};
if (!CHILD) {
  add('ref', '(a) reference kernel, forward', () => k.thresholdedRelu(x, { alpha: 0.5, ep: 'js', out }));
  add('ref', '(a) reference kernel, gradient', () => k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep: 'js', out }));
  add('simd', '(b) SIMD, ordinary arrays (copy window), fwd', () => k.thresholdedRelu(x, { alpha: 0.5, ep: 'simd', out }));
  add('simd', '(b) SIMD, ordinary arrays (copy window), grad', () => k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep: 'simd', out }));
  add('simd', '(b) SIMD, ordinary arrays, in place (out = x), fwd', () => k.thresholdedRelu(xi, { alpha: 0.5, ep: 'simd', out: xi }));
  add('simd', '(b) SIMD, ordinary arrays, in place (out = dY), grad', () => k.thresholdedReluGrad(x, dyi, { alpha: 0.5, ep: 'simd', out: dyi }));
  add('simd', '(b) the copy window alone (copy in + out, no kernel)', windowCopies);
  add('simd', '(b) SIMD, arena arrays (in place), fwd', () => k.thresholdedRelu(ax, { alpha: 0.5, ep: 'simd', out: aout }));
  add('simd', '(b) SIMD, arena arrays (in place), grad', () => k.thresholdedReluGrad(ax, ady, { alpha: 0.5, ep: 'simd', out: aout }));
}
const pools: SimdPool[] = CHILD ? [] : THREADS.map((threads) => createSimdPool({ threads }));
for (const p of pools) {
  add('pool', `(b) SIMD, arena, ${p.threads} threads, fwd`, () => p.thresholdedRelu(ax, 0.5, aout));
  add('pool', `(b) SIMD, arena, ${p.threads} threads, grad`, () => p.thresholdedReluGrad(ax, ady, 0.5, aout));
}

const tt = { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }] } } };
const single = onnx.ModelProto.encode({
  irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
  graph: { name: 'g', node: [{ name: 't', opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: 1, f: 0.5 }] }], input: [{ name: 'x', type: tt }], output: [{ name: 'y', type: tt }] },
}).finish();
const bare: [string, BackendSession][] = [];
for (const ep of CHILD ? EPS.filter((e) => e === 'cpu' || e === 'wasm') : EPS) {
  try {
    await backends.get(ep as never).init();
  } catch (e) {
    console.log(`(${ep}) skipped: ${(e as Error).message}`);
    continue;
  }
  const tag = ep === 'cpu' ? '(c) ORT cpu' : ep === 'wasm' ? '(d) ORT wasm' : '(e) ORT webgpu';
  add(ep, `${tag} via the kernel API, forward`, () => k.thresholdedRelu(x, { alpha: 0.5, ep: ep as never, out }));
  add(ep, `${tag} via the kernel API, gradient`, () => k.thresholdedReluGrad(x, dy, { alpha: 0.5, ep: ep as never, out }));
  if (CHILD) continue;
  const s = await backends.get(ep as never).createSession(single, { recordPlacement: true });
  bare.push([tag, s]);
  add(ep, `${tag}: bare session, whole array, new output`, () => s.run({ x: { type: 'float32', data: x, dims: [N] } }));
}

for (const c of cases) await c.fn(); // warm-up: sessions, page faults, JIT
for (let r = 0; r < RUNS; r++) {
  for (const c of cases) {
    const t0 = performance.now();
    await c.fn();
    c.samples.push(performance.now() - t0);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const memcpy = cases[0]!.samples;
/** Per-round ratios to that round's memcpy: the drift of a shared machine cancels. */
const ratios = (c: Case) => c.samples.map((s, i) => s / memcpy[i]!);
const line = (label: string, ms: number, rs: number[]) =>
  console.log(`${label.padEnd(58)}${ms.toFixed(1).padStart(8)} ms ${median(rs).toFixed(2).padStart(7)}x memcpy  (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`);

if (CHILD) {
  // the parent prints these, marked as measured with ArrayBuffer.prototype.transfer
  console.log(JSON.stringify({ load: os.loadavg()[0], cases: cases.map((c) => ({ label: c.label, ms: median(c.samples), ratios: ratios(c) })) }));
  await k.release();
  process.exit(0);
}

console.log(`ThresholdedRelu over ${BYTES / 2 ** 20} MiB float32, ${RUNS} interleaved rounds, ${os.availableParallelism()} CPUs (load average ${os.loadavg()[0]!.toFixed(1)}); ` +
  `Node ${process.versions.node}, ArrayBuffer.prototype.transfer ${HAS_TRANSFER ? 'present' : 'absent'}`);
console.log('each line: median time, median of the per-round ratios to memcpy, (min–max of those ratios)');
const byLabel = new Map<string, number>();
for (const c of cases) {
  const rs = ratios(c);
  byLabel.set(c.label, median(rs));
  line(c.label, median(c.samples), rs);
}
for (const [tag, s] of bare) {
  const placed = await s.placement();
  const us = placed?.find((p) => p.kernelTimeUs !== undefined)?.kernelTimeUs;
  if (us !== undefined) console.log(`${`${tag}: ORT's own kernel time (profile)`.padEnd(58)}${(us / 1000).toFixed(1).padStart(8)} ms ${(us / 1000 / median(memcpy)).toFixed(2).padStart(7)}x memcpy  (median memcpy)`);
  await s.release();
}
for (const p of pools) await p.close();
await k.release();

// onnxruntime-node and onnxruntime-web return a fresh copy of every output; only ArrayBuffer.prototype.transfer
// (Node 22+, Node 20 behind a flag) frees it before the GC does (keepPreallocated in ort-node.ts, releaseCopy in
// ort-web.ts). Where this Node lacks it, the ORT cpu and wasm kernel-API cases run again in a child that has it,
// with memcpy rounds of its own.
const TRANSFER_FLAG = '--harmony-rab-gsab-transfer';
let childOut: string | undefined;
if (!HAS_TRANSFER && (byLabel.has('(c) ORT cpu via the kernel API, forward') || byLabel.has('(d) ORT wasm via the kernel API, forward'))) {
  try {
    childOut = execFileSync(process.execPath, [TRANSFER_FLAG, fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_KERNELS_CHILD: 'transfer' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (e) {
    console.log(`(the child run with ${TRANSFER_FLAG} failed: ${(e as Error).message.split('\n')[0]})`);
  }
}
if (childOut) {
  const child = JSON.parse(childOut.trim().split('\n').pop()!) as { load: number; cases: { label: string; ms: number; ratios: number[] }[] };
  console.log(`the same ORT cpu and wasm calls in a child process with ${TRANSFER_FLAG} (load average ${child.load.toFixed(1)}):`);
  for (const c of child.cases.slice(1)) {
    const label = `${c.label}, with transfer`;
    byLabel.set(label, median(c.ratios));
    line(label, c.ms, c.ratios);
  }
}
const r = (label: string) => byLabel.get(label)?.toFixed(2) ?? 'n/a';
const cpuFwd = byLabel.has('(c) ORT cpu via the kernel API, forward, with transfer') || HAS_TRANSFER
  ? `${r(HAS_TRANSFER ? '(c) ORT cpu via the kernel API, forward' : '(c) ORT cpu via the kernel API, forward, with transfer')}x with transfer` + (HAS_TRANSFER ? '' : ` (${r('(c) ORT cpu via the kernel API, forward')}x without)`)
  : `${r('(c) ORT cpu via the kernel API, forward')}x`;
console.log(`goals: SIMD forward ${r('(b) SIMD, arena arrays (in place), fwd')}x (arena) / ${r('(b) SIMD, ordinary arrays (copy window), fwd')}x (copy window), goal <= 1.2; ` +
  `gradient ${r('(b) SIMD, arena arrays (in place), grad')}x / ${r('(b) SIMD, ordinary arrays (copy window), grad')}x, goal <= 1.6; ORT cpu via the kernel API ${cpuFwd}, goal <= 2`);
