/** Ops that move, cut, join or repeat a tensor's elements: shapes from attributes and constant inputs. */
import { axisOf, broadcastShapes, isNum, mergeDim, product, sum, unknownDims } from '../dims.js';
import { listArg, numbers } from '../args.js';
import type { Dim, ShapeRule } from '../types.js';
import { MAX_PROPAGATED } from '../types.js';

const reshape: ShapeRule = (r) => {
  const x = r.ins[0]?.shape;
  const target = r.node.attrs.ints('shape') ?? r.ins[1]?.value;
  if (!target) return [{ shape: unknownDims(r.ins[1]?.shape?.[0]) }];
  const allowZero = r.node.attrs.int('allowzero', 0) === 1;
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? x?.[i] : d === -1 ? undefined : d));
  const minus = target.indexOf(-1);
  if (minus >= 0 && x) out[minus] = inferredDim(x, out.filter((_, i) => i !== minus));
  return [{ shape: out, value: r.ins[0]?.value && out.length <= 1 ? r.ins[0].value : undefined }];
};

/**
 * Reshape's -1: the input's element count over the other output dims'. Symbolic
 * dims cancel by name (['N', 3, 4] to ['N', -1] gives 12); anything left over
 * on either side leaves it unknown.
 */
function inferredDim(x: readonly Dim[], others: readonly Dim[]): Dim {
  const symbols = new Map<string, number>();
  let num = 1;
  let den = 1;
  for (const d of x) {
    if (typeof d === 'string') symbols.set(d, (symbols.get(d) ?? 0) + 1);
    else if (isNum(d)) num *= d;
    else return undefined;
  }
  const extra: string[] = [];
  for (const d of others) {
    if (typeof d === 'string') {
      const k = symbols.get(d) ?? 0;
      if (k > 0) symbols.set(d, k - 1);
      else extra.push(d);
    } else if (isNum(d)) den *= d;
    else return undefined;
  }
  const left = [...symbols].filter(([, k]) => k > 0);
  if (extra.length === 0 && left.length === 0) return den === 0 ? undefined : num / den;
  if (extra.length === 0 && left.length === 1 && left[0]![1] === 1 && num === den) return left[0]![0];
  return undefined;
}

const flatten: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  let axis = r.node.attrs.int('axis', 1);
  if (axis < 0) axis += s.length;
  const fold = (ds: Dim[]) => (ds.length === 0 ? 1 : ds.length === 1 ? ds[0] : product(ds));
  return [{ shape: [fold(s.slice(0, axis)), fold(s.slice(axis))] }];
};

const transpose: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  const perm = r.node.attrs.ints('perm') ?? s.map((_, i) => s.length - 1 - i);
  if (perm.length !== s.length) return undefined;
  return [{ shape: perm.map((p) => s[p]) }];
};

const squeeze: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  const axes = listArg(r, 'axes', 1);
  if (!s) return undefined;
  const value = r.ins[0]?.value;
  if (axes === 'unknown') return undefined;
  if (axes === 'absent') {
    if (!s.every(isNum)) return undefined;
    return [{ shape: s.filter((d) => d !== 1), value }];
  }
  const drop = new Set((numbers(axes) ?? []).map((a) => axisOf(a, s.length)));
  if (drop.has(undefined) || !numbers(axes)) return undefined;
  return [{ shape: s.filter((_, i) => !drop.has(i)), value }];
};

const unsqueeze: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  const axes = numbers(listArg(r, 'axes', 1));
  if (!s || !axes) return undefined;
  const rank = s.length + axes.length;
  const at = new Set(axes.map((a) => axisOf(a, rank)));
  if (at.has(undefined) || at.size !== axes.length) return undefined;
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : s[k++]);
  return [{ shape: out, value: r.ins[0]?.value }];
};

const concat: ShapeRule = (r) => {
  const shapes = r.ins.filter((_, i) => r.present(i)).map((i) => i.shape);
  const known = shapes.filter((s): s is Dim[] => !!s);
  if (known.length === 0) return undefined;
  const rank = known[0]!.length;
  const axis = axisOf(r.node.attrs.int('axis', 0), rank);
  if (axis === undefined) return undefined;
  const out = Array.from({ length: rank }, (_, d) => (d === axis ? undefined : known.map((s) => s[d]).reduce<Dim>((a, b) => mergeDim(a, b), undefined)));
  if (known.length === shapes.length) out[axis] = sum(known.map((s) => s[axis]));
  const values = r.ins.filter((_, i) => r.present(i)).map((i) => i.value);
  const value = rank === 1 && values.every((v) => v) ? values.flatMap((v) => v!) : undefined;
  return [{ shape: out, value: value && value.length <= MAX_PROPAGATED ? value : undefined }];
};

const split: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  const axis = axisOf(r.node.attrs.int('axis', 0), s.length);
  if (axis === undefined) return undefined;
  const n = r.node.outputs.length;
  const given = listArg(r, 'split', 1);
  const d = s[axis];
  let parts: Dim[];
  if (Array.isArray(given)) parts = given;
  else if (given === 'unknown') parts = Array.from({ length: n }, () => undefined);
  else parts = Array.from({ length: n }, () => (isNum(d) && d % n === 0 ? d / n : undefined));
  if (parts.length !== n) return undefined;
  // A known 1-D value splits into known pieces (tf2onnx builds Pad's pads as Concat(Split(constant))).
  const value = r.ins[0]?.value;
  let at = 0;
  return parts.map((p) => {
    const piece = value && s.length === 1 && parts.every(isNum) ? value.slice(at, (at += p as number)) : undefined;
    return { shape: s.map((x, i) => (i === axis ? p : x)), ...(piece && piece.length === p ? { value: piece } : {}) };
  });
};

/** Slice of one dim, clamped like onnx (onnx/defs/tensor/defs.cc processSliceInputs). */
function sliceLength(d: number, start: number, end: number, step: number): number {
  const clampIdx = (i: number, lo: number, hi: number) => Math.min(Math.max(i < 0 ? i + d : i, lo), hi);
  const s = step > 0 ? clampIdx(start, 0, d) : clampIdx(start, 0, d - 1);
  const e = step > 0 ? clampIdx(end, 0, d) : clampIdx(end, -1, d - 1);
  return Math.max(0, Math.ceil((e - s) / step));
}

const slice: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  const old = r.node.attrs.has('starts');
  const starts = numbers(old ? listArg(r, 'starts', -1) : listArg(r, 'starts/ends/axes/steps are inputs', 1));
  const ends = numbers(old ? listArg(r, 'ends', -1) : listArg(r, 'starts/ends/axes/steps are inputs', 2));
  const axesArg = old ? listArg(r, 'axes', -1) : listArg(r, 'starts/ends/axes/steps are inputs', 3);
  const stepsArg = old ? 'absent' : listArg(r, 'starts/ends/axes/steps are inputs', 4);
  const axes = axesArg === 'absent' ? starts?.map((_, i) => i) : numbers(axesArg);
  const steps = stepsArg === 'absent' ? starts?.map(() => 1) : numbers(stepsArg);
  if (!starts || !ends || !axes || !steps || starts.length !== ends.length || axes.length !== starts.length) return [{ shape: s.map(() => undefined) }];
  const out: Dim[] = [...s];
  const value = r.ins[0]?.value;
  let sliced: Dim[] | undefined = value && s.length === 1 ? [...value] : undefined;
  for (let k = 0; k < axes.length; k++) {
    const a = axisOf(axes[k]!, s.length);
    if (a === undefined || steps[k] === 0) return undefined;
    const d = s[a];
    if (!isNum(d)) {
      out[a] = undefined;
      sliced = undefined;
      continue;
    }
    out[a] = sliceLength(d, starts[k]!, ends[k]!, steps[k]!);
    if (sliced) {
      const step = steps[k]!;
      const clamp = (i: number, lo: number, hi: number) => Math.min(Math.max(i < 0 ? i + d : i, lo), hi);
      const b = step > 0 ? clamp(starts[k]!, 0, d) : clamp(starts[k]!, 0, d - 1);
      sliced = Array.from({ length: out[a] as number }, (_, i) => sliced![b + i * step]);
    }
  }
  return [{ shape: out, value: sliced }];
};

const expand: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  const target = r.ins[1]?.value;
  if (target && s) return [{ shape: broadcastShapes(s, target) }];
  const k = r.ins[1]?.shape?.[0];
  if (s && isNum(k)) return [{ shape: unknownDims(Math.max(k, s.length)) }];
  return undefined;
};

const tile: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  const reps = r.ins[1]?.value;
  if (!s) return undefined;
  if (!reps || reps.length !== s.length) return [{ shape: s.map(() => undefined) }];
  return [{ shape: s.map((d, i) => (isNum(d) && isNum(reps[i]) ? d * (reps[i] as number) : reps[i] === 1 ? d : undefined)) }];
};

const pad: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  const pads = numbers(listArg(r, 'pads', 1)) ?? numbers(listArg(r, 'paddings', -1));
  if (!pads || pads.length !== 2 * s.length) return [{ shape: s.map(() => undefined) }];
  return [{ shape: s.map((d, i) => (isNum(d) ? d + pads[i]! + pads[i + s.length]! : pads[i] === 0 && pads[i + s.length] === 0 ? d : undefined)) }];
};

const blocks = (dir: 'depth' | 'space'): ShapeRule => (r) => {
  const s = r.ins[0]?.shape;
  const b = r.node.attrs.int('blocksize');
  if (!s || s.length !== 4 || !b) return undefined;
  const [n, c, h, w] = s;
  const mul = (d: Dim, k: number) => (isNum(d) ? d * k : undefined);
  const div = (d: Dim, k: number) => (isNum(d) ? d / k : undefined);
  return [{ shape: dir === 'depth' ? [n, div(c, b * b), mul(h, b), mul(w, b)] : [n, mul(c, b * b), div(h, b), div(w, b)] }];
};

export const SHAPE_OP_RULES: Record<string, ShapeRule> = {
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Slice: slice,
  Expand: expand,
  Tile: tile,
  Pad: pad,
  DepthToSpace: blocks('depth'),
  SpaceToDepth: blocks('space'),
};
