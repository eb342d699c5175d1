/** Reductions, arg-reductions, TopK and the normalizations with extra statistics outputs. */
import { axisOf } from '../dims.js';
import { listArg, numbers, scalarInput } from '../args.js';
import type { Dim, ShapeRule } from '../types.js';

/** Reduce*: axes from the attribute (older opsets) or a constant second input (ReduceSum-13, all of them from 18). */
const reduce: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  const keep = r.node.attrs.int('keepdims', 1) === 1;
  const arg = listArg(r, 'axes', 1);
  if (arg === 'unknown') return [{ shape: keep ? s.map(() => undefined) : undefined }];
  const axes = arg === 'absent' ? [] : numbers(arg);
  if (!axes) return undefined;
  if (axes.length === 0 && r.node.attrs.int('noop_with_empty_axes', 0) === 1) return [{ shape: [...s] }];
  const reduced = new Set((axes.length ? axes : s.map((_, i) => i)).map((a) => axisOf(a, s.length)));
  if (reduced.has(undefined)) return undefined;
  return [{ shape: s.flatMap((d, i) => (reduced.has(i) ? (keep ? [1] : []) : [d])) }];
};

const argReduce: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  const axis = axisOf(r.node.attrs.int('axis', 0), s.length);
  if (axis === undefined) return undefined;
  const keep = r.node.attrs.int('keepdims', 1) === 1;
  return [{ shape: s.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d])) }];
};

const topK: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  const axis = axisOf(r.node.attrs.int('axis', -1), s.length);
  if (axis === undefined) return undefined;
  const k: Dim = r.node.attrs.int('k') ?? scalarInput(r, 1);
  const out = s.map((d, i) => (i === axis ? k : d));
  return [{ shape: out }, { shape: [...out] }];
};

/** LayerNormalization: Y like X; Mean and InvStdDev keep X's dims before `axis`, 1 after. */
const layerNorm: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  if (!s) return undefined;
  const axis = axisOf(r.node.attrs.int('axis', -1), s.length);
  if (axis === undefined) return undefined;
  const stat = s.map((d, i) => (i < axis ? d : 1));
  return [{ shape: [...s] }, { shape: stat }, { shape: [...stat] }];
};

/** BatchNormalization: Y like X; running mean/var (training mode) like the scale, [C]. */
const batchNorm: ShapeRule = (r) => {
  const s = r.ins[0]?.shape;
  const c: Dim = (s && s.length > 1 ? s[1] : undefined) ?? r.ins[1]?.shape?.[0];
  return r.node.outputs.map((_, i) => (i === 0 ? (s ? { shape: [...s] } : undefined) : { shape: [c] }));
};

/** SoftmaxCrossEntropyLoss / NegativeLogLikelihoodLoss: the loss (per element with reduction 'none', else a scalar) and log_prob like the scores. */
const loss: ShapeRule = (r) => {
  const none = r.node.attrs.string('reduction', 'mean') === 'none';
  const labels = r.ins[1]?.shape;
  return [none ? (labels ? { shape: [...labels] } : undefined) : { shape: [] }, r.ins[0]?.shape ? { shape: [...r.ins[0].shape] } : undefined];
};

const REDUCE = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

export const REDUCE_RULES: Record<string, ShapeRule> = {
  ...Object.fromEntries(REDUCE.map((op) => [op, reduce])),
  ArgMax: argReduce,
  ArgMin: argReduce,
  TopK: topK,
  LayerNormalization: layerNorm,
  BatchNormalization: batchNorm,
  SoftmaxCrossEntropyLoss: loss,
  NegativeLogLikelihoodLoss: loss,
};
