/**
 * The SIMD kernel split across worker threads, for large float32 arrays that
 * live in the kernel's arena (simdArray): each thread runs the same kernel on
 * its own slice of the shared memory, the calling thread included, so there
 * is no copy at all. Whether it pays depends on the machine: one thread
 * rarely saturates memory bandwidth on a server, so 2-4 threads can beat a
 * single-threaded memcpy; on a loaded 2-core box it does not (see bench:kernels).
 *
 *   const pool = createSimdPool({ threads: 4 });
 *   await pool.thresholdedRelu(x, 0.5, out);   // x, out from simdArray()
 *   await pool.close();
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { TreluError } from '../errors.js';
import { simdArena, inSimdArena } from '../ops/thresholded-relu/simd-arena.js';
import { runSlice, type SimdSlice } from '../ops/thresholded-relu/simd.js';
import { SIMD_BLOCK } from '../ops/thresholded-relu/simd-module.js';

export interface SimdPoolOptions {
  /** Threads in all, the calling one included (default: os.availableParallelism(), at most 8). */
  threads?: number;
  /** Arrays shorter than this run on the calling thread alone (default 1 Mi elements: below that, messages cost more than they save). */
  minElements?: number;
}

export interface SimdPool {
  readonly threads: number;
  thresholdedRelu(x: Float32Array, alpha: number, out: Float32Array): Promise<Float32Array>;
  thresholdedReluGrad(x: Float32Array, dy: Float32Array, alpha: number, out: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

export function createSimdPool(options: SimdPoolOptions = {}): SimdPool {
  const arena = simdArena();
  if (!arena) throw new TreluError('E_UNSUPPORTED', 'the SIMD worker pool needs shared WebAssembly memory with SIMD, which this runtime lacks');
  const threads = Math.max(1, Math.floor(options.threads ?? Math.min(8, os.availableParallelism())));
  const minElements = options.minElements ?? 1 << 20;
  const url = new URL('./simd-worker.js', import.meta.url);
  const workers = Array.from({ length: threads - 1 }, () => {
    const w = new Worker(url, { workerData: { mem: arena.mem, maxPages: arena.maxPages } });
    w.unref();
    return w;
  });
  const pending = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  let failure: unknown;
  for (const w of workers) {
    w.on('message', (id: number) => {
      w.unref(); // idle workers do not keep the process alive
      pending.get(id)?.resolve();
      pending.delete(id);
    });
    w.on('error', (e) => {
      failure = e;
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  }

  const run = async (x: Float32Array, dy: Float32Array | undefined, alpha: number, out: Float32Array): Promise<Float32Array> => {
    if (failure) throw new TreluError('E_UNSUPPORTED', `a SIMD worker thread failed: ${(failure as Error).message}`);
    const n = x.length;
    if (out.length !== n || (dy && dy.length !== n)) throw new RangeError(`arrays of different lengths: x ${n}, out ${out.length}${dy ? `, dY ${dy.length}` : ''}`);
    for (const [name, v] of [['x', x], ['dy', dy], ['out', out]] as const) {
      if (v && (!inSimdArena(v) || v.byteOffset % 16 !== 0)) throw new TreluError('E_USAGE', `${name} is not an array from simdArray()`, { hint: 'allocate x, dY and out with simdArray(n), or use thresholdedReluSimd, which takes any Float32Array' });
    }
    const a = Math.fround(alpha);
    const parts = n < minElements ? 1 : threads;
    const step = Math.ceil(n / parts / SIMD_BLOCK) * SIMD_BLOCK;
    const base = { x: x.byteOffset, dy: dy ? dy.byteOffset : -1, out: out.byteOffset, alpha: a };
    const done: Promise<void>[] = [];
    for (let p = 1; p < parts && p * step < n; p++) {
      const slice: SimdSlice & { id: number } = { ...base, from: p * step, to: Math.min(n, (p + 1) * step), id: nextId++ };
      done.push(new Promise((resolve, reject) => pending.set(slice.id, { resolve, reject })));
      workers[p - 1]!.ref();
      workers[p - 1]!.postMessage(slice);
    }
    runSlice(arena.kernel, new Float32Array(arena.mem.buffer), { ...base, from: 0, to: Math.min(n, step) });
    await Promise.all(done);
    return out;
  };

  return {
    threads,
    thresholdedRelu: (x, alpha, out) => run(x, undefined, alpha, out),
    thresholdedReluGrad: (x, dy, alpha, out) => run(x, dy, alpha, out),
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
