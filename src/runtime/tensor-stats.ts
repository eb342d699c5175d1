/** What `trelu run` shows of an output: shape, range, mean, NaN/inf counts and the first values. Browser-safe. */
import { float16ToNumber } from '../ops/float16.js';
import type { TensorLike } from './tensor.js';

export interface TensorStats {
  type: string;
  dims: number[];
  elements: number;
  /** Over the finite elements; null when there are none (or for strings). */
  min: number | null;
  max: number | null;
  mean: number | null;
  nan: number;
  inf: number;
  /** The first values (numbers; int64 beyond 2^53 rounded, strings as they are). */
  first: (number | string)[];
}

export function tensorStats(t: TensorLike, firstCount = 6): TensorStats {
  const elements = t.dims.reduce((a, b) => a * b, 1);
  const base = { type: String(t.type), dims: [...t.dims], elements };
  if (t.type === 'string') return { ...base, min: null, max: null, mean: null, nan: 0, inf: 0, first: (t.data as string[]).slice(0, firstCount) };
  const at = t.type === 'float16' ? (i: number) => float16ToNumber((t.data as Uint16Array)[i]!) : (i: number) => Number((t.data as ArrayLike<number | bigint>)[i]!);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < elements; i++) {
    const v = at(i);
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else {
      finite++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const first = Array.from({ length: Math.min(firstCount, elements) }, (_, i) => at(i));
  return { ...base, min: finite ? min : null, max: finite ? max : null, mean: finite ? sum / finite : null, nan, inf, first };
}

/** `float32[2,10] min -1.23 max 4.56 mean 0.789, first: 0.1 0.2 ...` (shortest float32 digits). */
export function formatStats(s: TensorStats): string {
  const n = (v: number | string) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(s.type === 'float64' ? 8 : 5)))) : JSON.stringify(v));
  const range = s.min === null ? 'no finite values' : `min ${n(s.min)} max ${n(s.max!)} mean ${n(s.mean!)}`;
  const bad = [s.nan ? `${s.nan} NaN` : '', s.inf ? `${s.inf} inf` : ''].filter(Boolean).join(', ');
  const more = s.elements > s.first.length ? ' ...' : '';
  return `${s.type}[${s.dims.join(',')}] ${range}${bad ? `, ${bad}` : ''}; first: ${s.first.map(n).join(' ')}${more}`;
}
