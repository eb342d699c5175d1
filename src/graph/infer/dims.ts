/** Arithmetic on dims and shapes that says "unknown" instead of guessing. */
import type { Dim } from './types.js';
import { MAX_RANK } from './types.js';

export const isNum = (d: Dim): d is number => typeof d === 'number';

/** Product of dims; undefined unless all are numbers. */
export function product(ds: readonly Dim[]): number | undefined {
  let p = 1;
  for (const d of ds) {
    if (!isNum(d)) return undefined;
    p *= d;
  }
  return p;
}

/** Sum of dims; undefined unless all are numbers. */
export function sum(ds: readonly Dim[]): number | undefined {
  let s = 0;
  for (const d of ds) {
    if (!isNum(d)) return undefined;
    s += d;
  }
  return s;
}

/** An axis in [-rank, rank) made non-negative; undefined when out of range. */
export function axisOf(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

/** A list of numbers of a sane length, or undefined (never builds an array from an absurd count). */
export function unknownDims(rank: Dim): Dim[] | undefined {
  return isNum(rank) && rank >= 0 && rank <= MAX_RANK ? Array.from({ length: rank }, () => undefined) : undefined;
}

/** Two dims known to be the same: the better informed of the two. */
export function mergeDim(a: Dim, b: Dim): Dim {
  if (isNum(a)) return a;
  if (isNum(b)) return b;
  return a ?? b;
}

/** Numpy broadcasting of two shapes; undefined dims where it cannot tell. */
export function broadcastShapes(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 1 : a[i - (n - a.length)];
    const y = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === y) out.push(x);
    else if (isNum(x) && !isNum(y)) out.push(x);
    else if (isNum(y) && !isNum(x)) out.push(y);
    else out.push(undefined);
  }
  return out;
}

/** Broadcast of any number of shapes. */
export function broadcastAll(shapes: readonly (readonly Dim[] | undefined)[]): Dim[] | undefined {
  if (shapes.length === 0) return undefined;
  return shapes.slice(1).reduce<Dim[] | undefined>((s, t) => broadcastShapes(s, t), shapes[0] ? [...shapes[0]] : undefined);
}

/** Whether every entry is a (finite) number. */
export function allNumbers(ds: readonly Dim[] | undefined): ds is number[] {
  return !!ds && ds.every((d) => isNum(d) && Number.isFinite(d));
}
