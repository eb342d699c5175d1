/**
 * Convolution and pooling arithmetic, as onnx's shape inference does it
 * (onnx/defs/nn/defs.cc convPoolShapeInference, ConvTranspose's own):
 * explicit pads, auto_pad SAME_UPPER/SAME_LOWER/VALID, dilations, ceil_mode.
 */
import { isNum } from '../dims.js';
import type { Dim, RuleInput, ShapeRule, TensorInfo } from '../types.js';

interface Window {
  spatial: number;
  kernel: (number | undefined)[];
  strides: number[];
  dilations: number[];
  pads?: number[];
  autoPad: string;
}

function window(r: RuleInput, kernelFromWeights: boolean): Window | undefined {
  const s = r.ins[0]?.shape;
  if (!s || s.length < 3) return undefined;
  const spatial = s.length - 2;
  const a = r.node.attrs;
  const w = r.ins[1]?.shape;
  const kernel = a.ints('kernel_shape') ?? (kernelFromWeights && w && w.length === s.length ? w.slice(2).map((d) => (isNum(d) ? d : undefined)) : undefined);
  if (!kernel || kernel.length !== spatial) return undefined;
  const strides = a.ints('strides') ?? Array.from({ length: spatial }, () => 1);
  const dilations = a.ints('dilations') ?? Array.from({ length: spatial }, () => 1);
  const pads = a.ints('pads');
  if (strides.length !== spatial || dilations.length !== spatial || (pads && pads.length !== 2 * spatial)) return undefined;
  return { spatial, kernel, strides, dilations, pads, autoPad: a.string('auto_pad', 'NOTSET') };
}

/** The spatial output dims of a sliding window (Conv, pools). */
function slidingDims(x: readonly Dim[], w: Window, ceilMode: boolean): Dim[] {
  const out: Dim[] = [];
  for (let i = 0; i < w.spatial; i++) {
    const d = x[2 + i];
    const k = w.kernel[i];
    const stride = w.strides[i]!;
    if (!isNum(d) || k === undefined) {
      out.push(undefined);
      continue;
    }
    const span = (k - 1) * w.dilations[i]! + 1;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      out.push(Math.ceil(d / stride));
      continue;
    }
    const pad = w.autoPad === 'VALID' ? 0 : (w.pads?.[i] ?? 0) + (w.pads?.[i + w.spatial] ?? 0);
    const q = (d + pad - span) / stride;
    out.push((ceilMode ? Math.ceil(q) : Math.floor(q)) + 1);
  }
  return out;
}

const pool = (channels: 'same' | 'weights'): ShapeRule => (r) => {
  const x = r.ins[0]?.shape;
  const w = window(r, channels === 'weights');
  if (!x) return undefined;
  const c = channels === 'same' ? x[1] : r.ins[1]?.shape?.[0];
  const spatial = w ? slidingDims(x, w, r.node.attrs.int('ceil_mode', 0) === 1) : x.slice(2).map(() => undefined);
  const y: TensorInfo = { shape: [x[0], c, ...spatial] };
  // MaxPool's Indices has Y's shape
  return r.node.outputs.map(() => ({ shape: [...y.shape!] }));
};

const convTranspose: ShapeRule = (r) => {
  const x = r.ins[0]?.shape;
  const wShape = r.ins[1]?.shape;
  if (!x || x.length < 3) return undefined;
  const spatial = x.length - 2;
  const a = r.node.attrs;
  const group = a.int('group', 1);
  const m = wShape?.[1];
  const channels = isNum(m) ? m * group : undefined;
  const w = window(r, true);
  const outputShape = a.ints('output_shape');
  if (outputShape && outputShape.length === spatial) return [{ shape: [x[0], channels, ...outputShape] }];
  if (!w) return [{ shape: [x[0], channels, ...x.slice(2).map(() => undefined)] }];
  const outPad = a.ints('output_padding') ?? Array.from({ length: spatial }, () => 0);
  const dims: Dim[] = [];
  for (let i = 0; i < spatial; i++) {
    const d = x[2 + i];
    const k = w.kernel[i];
    if (!isNum(d) || k === undefined) {
      dims.push(undefined);
      continue;
    }
    const stride = w.strides[i]!;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      dims.push(d * stride);
      continue;
    }
    const pad = w.autoPad === 'VALID' ? 0 : (w.pads?.[i] ?? 0) + (w.pads?.[i + spatial] ?? 0);
    dims.push(stride * (d - 1) + (outPad[i] ?? 0) + ((k - 1) * w.dilations[i]! + 1) - pad);
  }
  return [{ shape: [x[0], channels, ...dims] }];
};

const globalPool: ShapeRule = (r) => {
  const x = r.ins[0]?.shape;
  return [x && x.length >= 2 ? { shape: [x[0], x[1], ...x.slice(2).map(() => 1)] } : undefined];
};

export const CONV_POOL_RULES: Record<string, ShapeRule> = {
  Conv: pool('weights'),
  ConvInteger: pool('weights'),
  QLinearConv: (r) => pool('weights')({ ...r, ins: [r.ins[0]!, r.ins[3] ?? {}] }),
  ConvTranspose: convTranspose,
  MaxPool: pool('same'),
  AveragePool: pool('same'),
  LpPool: pool('same'),
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
};
