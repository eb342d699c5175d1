/**
 * A WebAssembly SIMD kernel for float32 ThresholdedRelu and its gradient: the
 * fast CPU path of the kernel API (ORT's CPU kernel costs ~5x a memcpy over
 * 64 MiB, a plain JS loop ~4x). Bit-identical to the reference kernel:
 * mask = f32x4.gt(x, alpha) is false for NaN and x == alpha, and y = x & mask
 * keeps x's exact bits or gives +0.
 *
 * The module is assembled here from its opcodes (no toolchain): data is
 * streamed through a 128 KiB window of its memory, which stays in cache, so the
 * traffic is one read and one write of each element, like a memcpy.
 */

const CHUNK = 8192; // floats per window: two windows (x, dY) of 32 KiB stay in L1/L2

/** Unsigned LEB128. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

function str(s: string): number[] {
  return [...leb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
}

const SIMD = 0xfd;
const OP = {
  localGet: 0x20, localSet: 0x21, localTee: 0x22, i32Const: 0x41, i32Add: 0x6a, i32Shl: 0x74, i32GeU: 0x4f,
  block: 0x02, loop: 0x03, brIf: 0x0d, br: 0x0c, end: 0x0b, void: 0x40,
  f32x4Splat: [SIMD, 0x13], f32x4Gt: [SIMD, 0x44], v128And: [SIMD, 0x4e],
};
/** v128.load / v128.store with alignment 16 and a constant byte offset. */
const v128Load = (offset: number) => [SIMD, 0x00, 4, ...leb(offset)];
const v128Store = (offset: number) => [SIMD, 0x0b, 4, ...leb(offset)];
/** Vectors per loop iteration (the loop body is unrolled this many times). */
const UNROLL = 4;

/**
 * (func (param n i32) (param alpha f32)): for i in [0, n) step 16 (n a multiple of 16), four vectors an iteration:
 *   forward: mem[i] = mem[i] & (mem[i] > alpha)              (x at byte 0)
 *   grad:    mem[D + i] = mem[D + i] & (mem[i] > alpha)      (x at byte 0, dY at byte D)
 * Locals: 2 = byte index (i32), 3 = end (i32), 4 = splat(alpha) (v128).
 */
function kernelBody(grad: boolean): number[] {
  const D = CHUNK * 4;
  const target = grad ? [OP.localGet, 2, OP.i32Const, ...sleb(D), OP.i32Add] : [OP.localGet, 2];
  const code = [
    OP.localGet, 1, ...OP.f32x4Splat, OP.localSet, 4,
    OP.localGet, 0, OP.i32Const, 2, OP.i32Shl, OP.localSet, 3,
    OP.block, OP.void,
    OP.loop, OP.void,
    OP.localGet, 2, OP.localGet, 3, OP.i32GeU, OP.brIf, 1,
    ...[...Array(UNROLL).keys()].flatMap((u) => [
      ...target, // store address
      ...target, ...v128Load(16 * u), // the value kept (x or dY)
      OP.localGet, 2, ...v128Load(16 * u), OP.localGet, 4, ...OP.f32x4Gt, // x > alpha
      ...OP.v128And,
      ...v128Store(16 * u),
    ]),
    OP.localGet, 2, OP.i32Const, ...sleb(16 * UNROLL), OP.i32Add, OP.localSet, 2,
    OP.br, 0,
    OP.end,
    OP.end,
    OP.end,
  ];
  const locals = vec([[2, 0x7f], [1, 0x7b]]); // 2 x i32, 1 x v128
  const body = [...locals, ...code];
  return [...leb(body.length), ...body];
}

/** Signed LEB128 (for i32.const). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function assemble(): Uint8Array<ArrayBuffer> {
  const pages = Math.ceil((CHUNK * 4 * 2) / 65536);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[0x7f], [0x7d]]), 0x00]])), // type: (i32, f32) -> ()
    ...section(3, vec([[0], [0]])), // two functions of type 0
    ...section(5, vec([[0x00, ...leb(pages)]])), // memory, min pages
    ...section(7, vec([[...str('mem'), 0x02, 0], [...str('forward'), 0x00, 0], [...str('grad'), 0x00, 1]])),
    ...section(10, vec([kernelBody(false), kernelBody(true)])),
  ];
  return Uint8Array.from(bytes);
}

interface SimdExports {
  mem: WebAssembly.Memory;
  forward(n: number, alpha: number): void;
  grad(n: number, alpha: number): void;
}

let instance: SimdExports | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is not available. */
function simd(): SimdExports | null {
  if (instance === undefined) {
    try {
      const bytes = assemble();
      instance = WebAssembly.validate(bytes) ? (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as SimdExports) : null;
    } catch {
      instance = null;
    }
  }
  return instance;
}

export function simdAvailable(): boolean {
  return simd() !== null;
}

/**
 * float32 ThresholdedRelu through the SIMD kernel; `alpha` is rounded to
 * float32 as the op does. Returns undefined where WebAssembly SIMD is missing
 * (callers fall back to the reference kernel).
 */
export function thresholdedReluSimd(x: Float32Array, alpha: number, out: Float32Array = new Float32Array(x.length)): Float32Array | undefined {
  return run(x, undefined, alpha, out);
}

/** float32 gradient (dY where X > alpha) through the SIMD kernel; undefined where unavailable. */
export function thresholdedReluGradSimd(x: Float32Array, dy: Float32Array, alpha: number, out: Float32Array = new Float32Array(x.length)): Float32Array | undefined {
  if (dy.length !== x.length) throw new RangeError(`dY has ${dy.length} elements, X ${x.length}`);
  return run(x, dy, alpha, out);
}

function run(x: Float32Array, dy: Float32Array | undefined, alpha: number, out: Float32Array): Float32Array | undefined {
  const k = simd();
  if (!k) return undefined;
  if (out.length !== x.length) throw new RangeError(`output has ${out.length} elements, input ${x.length}`);
  const a = Math.fround(alpha);
  const mem = new Float32Array(k.mem.buffer);
  for (let off = 0; off < x.length; off += CHUNK) {
    const n = Math.min(CHUNK, x.length - off);
    const padded = Math.ceil(n / (4 * UNROLL)) * 4 * UNROLL;
    mem.set(x.subarray(off, off + n), 0);
    if (padded !== n) mem.fill(0, n, padded);
    if (dy) {
      mem.set(dy.subarray(off, off + n), CHUNK);
      k.grad(padded, a);
      out.set(mem.subarray(CHUNK, CHUNK + n), off);
    } else {
      k.forward(padded, a);
      out.set(mem.subarray(0, n), off);
    }
  }
  return out;
}
