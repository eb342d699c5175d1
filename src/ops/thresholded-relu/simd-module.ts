/**
 * The WebAssembly SIMD module behind the fast float32 ThresholdedRelu kernels,
 * assembled here from its opcodes (no toolchain). It imports its memory
 * (env.mem), so one module serves a private, non-shared window memory and a
 * shared arena memory that worker threads can work on too.
 *
 *   forward(src, dst, n, alpha):     dst[i] = src[i] & (src[i] > alpha)
 *   grad(x, dy, dst, n, alpha):      dst[i] = dy[i]  & (x[i] > alpha)
 *
 * Pointers are byte addresses, n is a count of floats and a multiple of
 * SIMD_BLOCK (the caller does the tail). f32x4.gt is false for NaN and for
 * x == alpha, and `and` with the mask keeps the exact bits or gives +0: the
 * reference kernel's results, bit for bit (-0 included). dst may equal src
 * (or dy): each vector is read before it is written.
 */

/** Vectors per loop iteration (the loop body is unrolled this many times). */
const UNROLL = 8;
/** Floats per loop iteration: n must be a multiple of this. */
export const SIMD_BLOCK = 4 * UNROLL;

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

const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const str = (s: string): number[] => [...leb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const SIMD = 0xfd;
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const OP = {
  localGet: 0x20, localSet: 0x21, localTee: 0x22, i32Const: 0x41, i32Add: 0x6a, i32Shl: 0x74, i32GeU: 0x4f,
  block: 0x02, loop: 0x03, brIf: 0x0d, br: 0x0c, end: 0x0b, void: 0x40,
  f32x4Splat: [SIMD, 0x13], f32x4Gt: [SIMD, 0x44], v128And: [SIMD, 0x4e],
};
/** v128.load / v128.store with alignment 16 and a constant byte offset. */
const load = (offset: number) => [SIMD, 0x00, 4, ...leb(offset)];
const store = (offset: number) => [SIMD, 0x0b, 4, ...leb(offset)];
const bump = (local: number) => [OP.localGet, local, OP.i32Const, ...sleb(16 * UNROLL), OP.i32Add, OP.localSet, local];

/**
 * One kernel body. Params: forward (src 0, dst 1, n 2, alpha 3), grad (x 0,
 * dy 1, dst 2, n 3, alpha 4); then locals end (i32), splat(alpha) (v128) and a
 * v128 temporary.
 */
function body(grad: boolean): number[] {
  const [x, dy, dst, n, alpha] = grad ? [0, 1, 2, 3, 4] : [0, 0, 1, 2, 3];
  const end = alpha + 1;
  const a = end + 1;
  const t = a + 1;
  const vector = (u: number) => grad
    ? [OP.localGet, dst, OP.localGet, dy, ...load(16 * u), OP.localGet, x, ...load(16 * u), OP.localGet, a, ...OP.f32x4Gt, ...OP.v128And, ...store(16 * u)]
    : [OP.localGet, dst, OP.localGet, x, ...load(16 * u), OP.localTee, t, OP.localGet, t, OP.localGet, a, ...OP.f32x4Gt, ...OP.v128And, ...store(16 * u)];
  const code = [
    OP.localGet, alpha, ...OP.f32x4Splat, OP.localSet, a,
    OP.localGet, x, OP.localGet, n, OP.i32Const, 2, OP.i32Shl, OP.i32Add, OP.localSet, end,
    OP.block, OP.void,
    OP.loop, OP.void,
    OP.localGet, x, OP.localGet, end, OP.i32GeU, OP.brIf, 1,
    ...[...Array(UNROLL).keys()].flatMap(vector),
    ...bump(x), ...(grad ? bump(dy) : []), ...bump(dst),
    OP.br, 0,
    OP.end,
    OP.end,
    OP.end,
  ];
  const locals = vec([[1, I32], [2, V128]]);
  const fn = [...locals, ...code];
  return [...leb(fn.length), ...fn];
}

/** Largest memory a shared arena may grow to, in 64 KiB pages (4 GiB: all of wasm32). */
export const MAX_PAGES = 65536;

/** The module's bytes; `shared` says whether the imported memory is a shared one (it must then declare MAX_PAGES as its maximum). */
export function simdModuleBytes(shared: boolean, maxPages = MAX_PAGES): Uint8Array<ArrayBuffer> {
  const limits = shared ? [0x03, ...leb(1), ...leb(maxPages)] : [0x00, ...leb(1)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [F32]]), 0x00], [0x60, ...vec([[I32], [I32], [I32], [I32], [F32]]), 0x00]])),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, ...limits]])),
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...str('forward'), 0x00, 0], [...str('grad'), 0x00, 1]])),
    ...section(10, vec([body(false), body(true)])),
  ];
  return Uint8Array.from(bytes);
}

export interface SimdKernelExports {
  forward(src: number, dst: number, n: number, alpha: number): void;
  grad(x: number, dy: number, dst: number, n: number, alpha: number): void;
}

/** An instance of the module on `mem`; null where WebAssembly SIMD (or the memory kind) is not available. */
export function instantiateSimd(mem: WebAssembly.Memory, shared: boolean, maxPages = MAX_PAGES): SimdKernelExports | null {
  try {
    const bytes = simdModuleBytes(shared, maxPages);
    if (!WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } }).exports as unknown as SimdKernelExports;
  } catch {
    return null;
  }
}
