/** Indexing ops (Gather*, OneHot, NonZero, Compress) and resampling (Resize, Upsample). */
import { axisOf, isNum } from '../dims.js';
import { scalarInput } from '../args.js';
import type { Dim, ShapeRule } from '../types.js';

const gather: ShapeRule = (r) => {
  const data = r.ins[0]?.shape;
  const idx = r.ins[1]?.shape;
  if (!data || !idx) return undefined;
  const axis = axisOf(r.node.attrs.int('axis', 0), data.length);
  if (axis === undefined) return undefined;
  const shape = [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)];
  // shape arithmetic: picking dims out of a Shape's result
  const v = r.ins[0]?.value;
  const at = r.ins[1]?.value;
  let value: Dim[] | undefined;
  if (v && at && data.length === 1 && idx.length <= 1) {
    value = at.map((i) => (isNum(i) ? v[i < 0 ? i + v.length : i] : undefined));
  }
  return [{ shape, value }];
};

const gatherND: ShapeRule = (r) => {
  const data = r.ins[0]?.shape;
  const idx = r.ins[1]?.shape;
  const b = r.node.attrs.int('batch_dims', 0);
  const last = idx?.[idx.length - 1];
  if (!data || !idx || !isNum(last)) return undefined;
  return [{ shape: [...idx.slice(0, -1), ...data.slice(b + last)] }];
};

const oneHot: ShapeRule = (r) => {
  const idx = r.ins[0]?.shape;
  if (!idx) return undefined;
  const axis = axisOf(r.node.attrs.int('axis', -1), idx.length + 1);
  if (axis === undefined) return undefined;
  const depth = scalarInput(r, 1);
  const out: Dim[] = [...idx];
  out.splice(axis, 0, depth);
  return [{ shape: out }];
};

/** Resize (10: X, scales; 11+: X, roi, scales, sizes) and Upsample (7: scales attribute; 9: scales input). */
const resize: ShapeRule = (r) => {
  const x = r.ins[0]?.shape;
  if (!x) return undefined;
  const op = r.node.opType;
  const scalesAt = op === 'Upsample' || (r.opset !== undefined && r.opset < 11) ? 1 : 2;
  const sizes = op === 'Resize' && scalesAt === 2 && r.present(3) ? r.ins[3]?.value : undefined;
  if (sizes && sizes.length === x.length) return [{ shape: [...sizes] }];
  const scales = r.node.attrs.floats('scales') ?? (r.present(scalesAt) ? r.ins[scalesAt]?.value : undefined);
  if (scales && scales.length === x.length) {
    return [{ shape: x.map((d, i) => {
      const s = scales[i];
      if (s === 1) return d;
      return isNum(d) && isNum(s) ? Math.floor(d * s) : undefined;
    }) }];
  }
  return [{ shape: x.map(() => undefined) }];
};

export const GATHER_RULES: Record<string, ShapeRule> = {
  Gather: gather,
  GatherElements: (r) => [r.ins[1]?.shape ? { shape: [...r.ins[1].shape] } : undefined],
  GatherND: gatherND,
  OneHot: oneHot,
  NonZero: (r) => [{ shape: [r.ins[0]?.shape?.length, undefined] }],
  Compress: (r) => {
    const s = r.ins[0]?.shape;
    if (!r.node.attrs.has('axis')) return [{ shape: [undefined] }];
    if (!s) return undefined;
    const axis = axisOf(r.node.attrs.int('axis', 0), s.length);
    return axis === undefined ? undefined : [{ shape: s.map((d, i) => (i === axis ? undefined : d)) }];
  },
  GridSample: (r) => {
    const x = r.ins[0]?.shape;
    const g = r.ins[1]?.shape;
    return x && g && x.length === 4 && g.length === 4 ? [{ shape: [x[0], x[1], g[1], g[2]] }] : undefined;
  },
  Unique: (r) => [{ shape: r.node.attrs.has('axis') ? r.ins[0]?.shape?.map((d, i) => (i === axisOf(r.node.attrs.int('axis', 0), r.ins[0]!.shape!.length) ? undefined : d)) : [undefined] }, { shape: [undefined] }, { shape: [undefined] }, { shape: [undefined] }],
  Resize: resize,
  Upsample: resize,
  MaxUnpool: (r) => {
    const out = r.present(2) ? r.ins[2]?.value : undefined;
    return out ? [{ shape: [...out] }] : undefined;
  },
};

