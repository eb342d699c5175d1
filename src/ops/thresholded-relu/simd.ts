/**
 * WebAssembly SIMD kernels for float32 ThresholdedRelu and its gradient: the
 * fast CPU path of the kernel API, bit-identical to the reference kernel (see
 * simd-module.ts for the instructions and why they match it bit for bit).
 *
 * Two ways in, chosen per call:
 * - arrays from simdArray() (simd-arena.ts) live in the kernel's memory, and
 *   the kernel runs on them in place: one read of each input and one write of
 *   the output, a memcpy's traffic;
 * - any other Float32Array is streamed through a small window of a private
 *   memory that stays in cache (copy a chunk in, run, copy it out): the same
 *   traffic to main memory, plus two in-cache copies.
 */
import { instantiateSimd, SIMD_BLOCK, type SimdKernelExports } from './simd-module.js';
import { inSimdArena, simdArena } from './simd-arena.js';

export { simdArray, freeSimdArray, inSimdArena } from './simd-arena.js';

/** Floats per window; x, dY and the window for the result fit in L2 (3 x 128 KiB). */
const CHUNK = 32768;
/** The copy window's size in floats (bench:kernels measures the window's copies alone with it). */
export const SIMD_WINDOW = CHUNK;

interface Window {
  kernel: SimdKernelExports;
  mem: Float32Array;
  /** Full-chunk views of the two windows (x or the result at 0, dY at CHUNK floats). */
  a: Float32Array;
  b: Float32Array;
}

let window: Window | null | undefined;

/** The streaming kernel, or null where WebAssembly SIMD is not available. */
function streaming(): Window | null {
  if (window === undefined) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil((CHUNK * 4 * 2) / 65536) });
    const kernel = instantiateSimd(memory, false);
    const mem = new Float32Array(memory.buffer);
    window = kernel ? { kernel, mem, a: mem.subarray(0, CHUNK), b: mem.subarray(CHUNK, 2 * CHUNK) } : null;
  }
  return window;
}

export function simdAvailable(): boolean {
  return streaming() !== null;
}

/**
 * float32 ThresholdedRelu through the SIMD kernel; `alpha` is rounded to
 * float32 as the op does. `out` may be `x`. Returns undefined where
 * WebAssembly SIMD is missing (callers fall back to the reference kernel).
 */
export function thresholdedReluSimd(x: Float32Array, alpha: number, out: Float32Array = new Float32Array(x.length)): Float32Array | undefined {
  return run(x, undefined, alpha, out);
}

/** float32 gradient (dY where X > alpha) through the SIMD kernel; undefined where unavailable. `out` may be `x` or `dy`. */
export function thresholdedReluGradSimd(x: Float32Array, dy: Float32Array, alpha: number, out: Float32Array = new Float32Array(x.length)): Float32Array | undefined {
  if (dy.length !== x.length) throw new RangeError(`dY has ${dy.length} elements, X ${x.length}`);
  return run(x, dy, alpha, out);
}

/** The scalar tail [from, n): the reference formula. */
function tail(x: Float32Array, dy: Float32Array | undefined, a: number, out: Float32Array, from: number): void {
  for (let i = from; i < x.length; i++) out[i] = x[i]! > a ? (dy ? dy[i]! : x[i]!) : 0;
}

function run(x: Float32Array, dy: Float32Array | undefined, alpha: number, out: Float32Array): Float32Array | undefined {
  const w = streaming();
  if (!w) return undefined;
  if (out.length !== x.length) throw new RangeError(`output has ${out.length} elements, input ${x.length}`);
  const a = Math.fround(alpha);
  if (inSimdArena(x) && inSimdArena(out) && (!dy || inSimdArena(dy)) && aligned(x, dy, out)) {
    runInArena(simdArena()!.kernel, x, dy, a, out, 0, x.length);
    return out;
  }
  const { kernel, mem } = w;
  const n = x.length;
  const body = n - (n % SIMD_BLOCK);
  for (let off = 0; off < body; off += CHUNK) {
    const m = Math.min(CHUNK, body - off);
    const full = m === CHUNK;
    mem.set(x.subarray(off, off + m), 0);
    if (dy) {
      mem.set(dy.subarray(off, off + m), CHUNK);
      kernel.grad(0, CHUNK * 4, 0, m, a);
    } else {
      kernel.forward(0, 0, m, a);
    }
    out.set(full ? w.a : mem.subarray(0, m), off);
  }
  tail(x, dy, a, out, body);
  return out;
}

/** Every pointer 16-byte aligned (arena arrays are; subarrays of them may not be). */
function aligned(...xs: (Float32Array | undefined)[]): boolean {
  return xs.every((v) => !v || v.byteOffset % 16 === 0);
}

/**
 * The kernel on arena arrays, elements [from, to) (from a multiple of
 * SIMD_BLOCK): the whole blocks in wasm, the rest by the reference formula.
 */
function runInArena(kernel: SimdKernelExports, x: Float32Array, dy: Float32Array | undefined, a: number, out: Float32Array, from: number, to: number): void {
  // the memory's current buffer: x's may be an older, shorter one (x allocated before the memory grew)
  const mem = new Float32Array(simdArena()!.mem.buffer);
  runSlice(kernel, mem, { x: x.byteOffset, dy: dy ? dy.byteOffset : -1, out: out.byteOffset, from, to, alpha: a });
}

/** One slice of a kernel call on the arena, by byte addresses (dy -1 for forward): what a worker thread is sent. */
export interface SimdSlice {
  x: number;
  dy: number;
  out: number;
  /** Element range [from, to); from is a multiple of SIMD_BLOCK. */
  from: number;
  to: number;
  /** Already rounded to float32. */
  alpha: number;
}

/** Runs one slice; `mem` is a Float32Array over the whole arena buffer (long enough for the slice). */
export function runSlice(kernel: SimdKernelExports, mem: Float32Array, s: SimdSlice): void {
  const n = s.to - s.from;
  const body = n - (n % SIMD_BLOCK);
  const px = s.x + s.from * 4;
  const po = s.out + s.from * 4;
  if (body > 0) {
    if (s.dy >= 0) kernel.grad(px, s.dy + s.from * 4, po, body, s.alpha);
    else kernel.forward(px, po, body, s.alpha);
  }
  // byte offsets may pass 2^31 (a 4 GiB arena): divide, never >>
  const x = s.x / 4;
  const dy = s.dy / 4;
  const o = s.out / 4;
  for (let i = s.from + body; i < s.to; i++) mem[o + i] = mem[x + i]! > s.alpha ? mem[(s.dy >= 0 ? dy : x) + i]! : 0;
}
