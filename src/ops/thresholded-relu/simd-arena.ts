/**
 * Float32 arrays that live in the SIMD kernel's own (shared) WebAssembly
 * memory: the kernel reads and writes them where they are, with no copy in or
 * out, which is what brings it to one pass over memory (a memcpy's traffic).
 *
 *   const x = simdArray(n);           // a Float32Array view into the arena
 *   x.set(values); thresholdedReluSimd(x, 0.5, y = simdArray(n));
 *   freeSimdArray(x);                 // its bytes may be handed out again
 *
 * The memory is shared (SharedArrayBuffer-backed) so that growing it never
 * detaches a view handed out before, and so worker threads can run the kernel
 * on slices of it. Where shared memory is not available (a browser page that
 * is not cross-origin isolated), simdArray returns an ordinary Float32Array:
 * the kernel still works on it, through its copy window.
 */
import { instantiateSimd, MAX_PAGES, type SimdKernelExports } from './simd-module.js';

const PAGE = 65536;
/** Allocations are 64-byte aligned (a cache line; v128 needs 16). */
const ALIGN = 64;

export interface Arena {
  readonly mem: WebAssembly.Memory;
  readonly kernel: SimdKernelExports;
  readonly maxPages: number;
}

let arena: Arena | null | undefined;
/** Free blocks [offset, bytes], sorted by offset, coalesced. Offset 0 is never handed out (a null pointer stays invalid). */
const free: [number, number][] = [];
let top = ALIGN;
/** Every SharedArrayBuffer the memory has handed out: growing gives a new one (the old stays valid, with its old length). */
const buffers = new WeakSet<ArrayBufferLike>();
const live = new Map<number, number>(); // offset -> bytes

/** The shared arena, or null where shared WebAssembly memory or SIMD is missing. */
export function simdArena(): Arena | null {
  if (arena !== undefined) return arena;
  arena = null;
  if (typeof SharedArrayBuffer === 'undefined') return arena;
  for (const maxPages of [MAX_PAGES, MAX_PAGES / 4]) {
    try {
      const mem = new WebAssembly.Memory({ initial: 1, maximum: maxPages, shared: true });
      const kernel = instantiateSimd(mem, true, maxPages);
      if (kernel) return (arena = { mem, kernel, maxPages });
    } catch {
      // no shared memory of that size here; try a smaller reservation
    }
  }
  return arena;
}

function take(bytes: number): number {
  for (let i = 0; i < free.length; i++) {
    const [off, size] = free[i]!;
    if (size < bytes) continue;
    if (size === bytes) free.splice(i, 1);
    else free[i] = [off + bytes, size - bytes];
    return off;
  }
  const a = simdArena()!;
  const off = top;
  const need = Math.ceil((off + bytes) / PAGE);
  const have = a.mem.buffer.byteLength / PAGE;
  if (need > a.maxPages) throw new RangeError(`the SIMD arena cannot hold ${bytes} more bytes (at most ${a.maxPages * PAGE} in all)`);
  if (need > have) a.mem.grow(need - have);
  top = off + bytes;
  return off;
}

/**
 * A zero-filled Float32Array of n elements in the kernel's memory (see the
 * file comment); an ordinary Float32Array where there is no shared arena.
 */
export function simdArray(n: number): Float32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`simdArray(${n}): n must be a non-negative integer`);
  const a = simdArena();
  if (!a) return new Float32Array(n);
  const bytes = Math.max(ALIGN, Math.ceil((n * 4) / ALIGN) * ALIGN);
  const off = take(bytes);
  live.set(off, bytes);
  const buffer = a.mem.buffer;
  buffers.add(buffer);
  const view = new Float32Array(buffer, off, n);
  view.fill(0);
  return view;
}

/** True when `x` is a view into the arena's memory (any offset, any length inside it). */
export function inSimdArena(x: ArrayBufferView): boolean {
  return buffers.has(x.buffer);
}

/** Hands an array from simdArray back; later simdArray calls may reuse its bytes (so the array must not be used again). */
export function freeSimdArray(x: Float32Array): void {
  if (!buffers.has(x.buffer)) return; // an ordinary array: nothing to do
  const bytes = live.get(x.byteOffset);
  if (bytes === undefined) throw new RangeError('freeSimdArray: this view was not returned by simdArray (or was freed already)');
  live.delete(x.byteOffset);
  let i = 0;
  while (i < free.length && free[i]![0] < x.byteOffset) i++;
  free.splice(i, 0, [x.byteOffset, bytes]);
  // coalesce with the neighbours, and give the tail back to the bump pointer
  if (i + 1 < free.length && free[i]![0] + free[i]![1] === free[i + 1]![0]) {
    free[i]![1] += free[i + 1]![1];
    free.splice(i + 1, 1);
  }
  if (i > 0 && free[i - 1]![0] + free[i - 1]![1] === free[i]![0]) {
    free[i - 1]![1] += free[i]![1];
    free.splice(i, 1);
    i--;
  }
  if (free[i]![0] + free[i]![1] === top) {
    top = free[i]![0];
    free.splice(i, 1);
  }
}
