/**
 * Reference kernels: the oracle every execution provider is compared with.
 * float32 and float64 on their typed arrays; float16 and bfloat16 on Uint16
 * bit patterns. Outputs are written into `out` when given (it may be `x`
 * itself), otherwise into a new array.
 */
import { numberToFloat16, numberToBfloat16, bfloat16ToNumber, float16Table } from '../float16.js';
import type { FloatArray, FloatDType } from '../types.js';

/** alpha (a float32 attribute value) rounded to `dtype`, as CastLike(alpha, X) does; returned as a number. */
export function roundAlpha(alpha: number, dtype: FloatDType): number {
  switch (dtype) {
    case 'float32': return Math.fround(alpha);
    // The attribute is stored as float32; widening it to double is exact.
    case 'float64': return Math.fround(alpha);
    case 'float16': return float16Table()[numberToFloat16(alpha)]!;
    case 'bfloat16': return bfloat16ToNumber(numberToBfloat16(alpha));
  }
}

function alloc<D extends FloatDType>(dtype: D, n: number): FloatArray<D> {
  return (dtype === 'float32' ? new Float32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Uint16Array(n)) as FloatArray<D>;
}

/** The values of `x` as numbers, whatever the dtype (float16/bfloat16 decoded). */
function decoder(dtype: FloatDType): ((bits: number) => number) | undefined {
  if (dtype === 'float16') {
    const table = float16Table();
    return (b) => table[b]!;
  }
  if (dtype === 'bfloat16') return bfloat16ToNumber;
  return undefined;
}

/** y = x if x > alpha else 0, elementwise. */
export function thresholdedReluReference<D extends FloatDType>(x: FloatArray<D>, alpha: number, dtype: D, out?: FloatArray<D>): FloatArray<D> {
  const n = x.length;
  const y = out ?? alloc(dtype, n);
  if (y.length !== n) throw new RangeError(`output has ${y.length} elements, input ${n}`);
  const a = roundAlpha(alpha, dtype);
  const decode = decoder(dtype);
  if (!decode) {
    const xs = x as Float32Array | Float64Array;
    const ys = y as Float32Array | Float64Array;
    for (let i = 0; i < n; i++) {
      const v = xs[i]!;
      ys[i] = v > a ? v : 0;
    }
  } else {
    const xs = x as Uint16Array;
    const ys = y as Uint16Array;
    for (let i = 0; i < n; i++) {
      const b = xs[i]!;
      ys[i] = decode(b) > a ? b : 0;
    }
  }
  return y;
}

/** dX = dY where X > alpha, else 0, elementwise (from X, never from Y). */
export function thresholdedReluGradReference<D extends FloatDType>(x: FloatArray<D>, dy: FloatArray<D>, alpha: number, dtype: D, out?: FloatArray<D>): FloatArray<D> {
  const n = x.length;
  if (dy.length !== n) throw new RangeError(`dY has ${dy.length} elements, X ${n}`);
  const dx = out ?? alloc(dtype, n);
  if (dx.length !== n) throw new RangeError(`output has ${dx.length} elements, input ${n}`);
  const a = roundAlpha(alpha, dtype);
  const decode = decoder(dtype);
  if (!decode) {
    const xs = x as Float32Array | Float64Array;
    const gs = dy as Float32Array | Float64Array;
    const os = dx as Float32Array | Float64Array;
    for (let i = 0; i < n; i++) os[i] = xs[i]! > a ? gs[i]! : 0;
  } else {
    const xs = x as Uint16Array;
    const gs = dy as Uint16Array;
    const os = dx as Uint16Array;
    for (let i = 0; i < n; i++) os[i] = decode(xs[i]!) > a ? gs[i]! : 0;
  }
  return dx;
}
