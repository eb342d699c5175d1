/** Per-dtype tolerances for comparing EP outputs: |a - b| <= atol + rtol * |b|. */
import { float16ToNumber } from '../ops/float16.js';
import type { TensorLike } from './tensor.js';

export const TOLERANCES: Readonly<Record<string, { atol: number; rtol: number }>> = {
  float32: { atol: 1e-4, rtol: 1e-3 },
  float16: { atol: 1e-2, rtol: 1e-2 },
  float64: { atol: 1e-9, rtol: 1e-7 },
};

/**
 * verify's default (runtime/verify.ts): exact, since ThresholdedRelu and its
 * decomposition select values, they do not compute new ones. Here rather than
 * in verify.ts so that the CLI can parse --atol/--rtol without loading the
 * verifier (it loads only with --verify).
 */
export const VERIFY_TOLERANCE: Tolerance = { atol: 0, rtol: 0 };

export interface Comparison {
  ok: boolean;
  maxAbsDiff: number;
  /** Elements outside the tolerance. */
  mismatches: number;
  elements: number;
}

function values(t: TensorLike): number[] {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, float16ToNumber);
  if (t.type === 'int64' || t.type === 'uint64') return Array.from(t.data as ArrayLike<bigint>, Number);
  return Array.from(t.data as ArrayLike<number>, Number);
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Compares `actual` with `expected` within `tolerance` (default: the dtype's; exact for non-float types). NaN matches NaN. */
export function compareTensors(actual: TensorLike, expected: TensorLike, tolerance?: Tolerance): Comparison {
  const elements = expected.dims.reduce((a, b) => a * b, 1);
  if (actual.dims.join(',') !== expected.dims.join(',') || actual.type !== expected.type) return { ok: false, maxAbsDiff: Infinity, mismatches: elements, elements };
  const tol = tolerance ?? TOLERANCES[expected.type as string] ?? { atol: 0, rtol: 0 };
  const a = values(actual);
  const b = values(expected);
  let max = 0;
  let mismatches = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) { mismatches++; max = Infinity; }
      continue;
    }
    if (x === y) continue;
    const d = Math.abs(x - y);
    max = Math.max(max, d);
    if (!(d <= tol.atol + tol.rtol * Math.abs(y))) mismatches++;
  }
  return { ok: mismatches === 0, maxAbsDiff: max, mismatches, elements };
}
