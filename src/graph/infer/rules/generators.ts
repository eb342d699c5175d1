/**
 * Ops whose output shape is data: Shape, Size, ConstantOfShape, Range,
 * Constant, the random generators. Shapes follow constant-folded values;
 * a huge declared dim is arithmetic here, never an allocation.
 */
import { isNum, product, unknownDims } from '../dims.js';
import { scalarInput } from '../args.js';
import { constantNodeInfo } from '../constants.js';
import type { Dim, ShapeRule } from '../types.js';
import { MAX_RANK } from '../types.js';

const shape: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return [{ shape: [undefined] }];
  const rank = s.length;
  // opset 15 start/end: a slice of the dims, clamped like Python slicing
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
  const start = clamp(r.node.attrs.int('start', 0));
  const end = clamp(r.node.attrs.int('end', rank));
  const dims = s.slice(start, Math.max(start, end));
  return [{ shape: [dims.length], value: dims }];
};

const size: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  const n = s ? product(s) : undefined;
  return [{ shape: [], value: n === undefined ? undefined : [n] }];
};

const constantOfShape: ShapeRule = (r) => {
  const dims = r.ins[0]?.value;
  if (dims) return [{ shape: [...dims] }];
  const rank = r.ins[0]?.shape?.[0];
  return [{ shape: isNum(rank) && rank <= MAX_RANK ? unknownDims(rank) : undefined }];
};

const range: ShapeRule = (r) => {
  const [start, limit, delta] = [scalarInput(r, 0), scalarInput(r, 1), scalarInput(r, 2)];
  if (start === undefined || limit === undefined || delta === undefined || delta === 0) return [{ shape: [undefined] }];
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  return [{ shape: [n] }];
};

const fromShapeAttribute: ShapeRule = (r) => {
  const s = r.node.attrs.ints('shape');
  return [s ? { shape: s as Dim[] } : undefined];
};

export const GENERATOR_RULES: Record<string, ShapeRule> = {
  Shape: shape,
  Size: size,
  ConstantOfShape: constantOfShape,
  Range: range,
  Constant: (r) => [constantNodeInfo(r.node)],
  RandomNormal: fromShapeAttribute,
  RandomUniform: fromShapeAttribute,
  Multinomial: (r) => [{ shape: [r.ins[0]?.shape?.[0], r.node.attrs.int('sample_size', 1)] }],
  HannWindow: (r) => [{ shape: [scalarInput(r, 0)] }],
  HammingWindow: (r) => [{ shape: [scalarInput(r, 0)] }],
  BlackmanWindow: (r) => [{ shape: [scalarInput(r, 0)] }],
};
