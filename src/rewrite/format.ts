/** Printing numbers the way a user wrote them. Browser-safe. */

/**
 * The shortest decimal that reads back as the same float32: an alpha stored
 * as a FLOAT attribute prints as `0.1`, not `0.10000000149011612`.
 */
export function formatFloat32(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}
