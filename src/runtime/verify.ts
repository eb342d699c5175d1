/**
 * Proving a rewrite by execution. The original and the rewritten model run in
 * onnxruntime-node (CPU EP, graph optimizations off) on the same seeded
 * inputs; each output's largest difference is reported. Then every change the
 * rewrite made is checked on the values it really saw: the rewritten model is
 * run once more with each change's input and output exposed as extra graph
 * outputs, and the output is compared with the reference kernel
 * (ThresholdedRelu(alpha) of that input). A change that cannot be observed
 * this way (inside an If/Loop/Scan body or a function) is reported as
 * unchecked, with the reason; a verify with unchecked changes is not ok
 * unless the caller allows it.
 */
import { onnx, DataType, type ValueInfoProto } from '../onnx/proto.js';
import { encodeModel } from '../onnx/encode.js';
import { modelToProto } from '../graph/to-proto.js';
import type { Model } from '../graph/model.js';
import type { Value } from '../graph/value.js';
import { float16ToNumber } from '../ops/float16.js';
import { thresholdedReluReference } from '../ops/thresholded-relu/reference.js';
import type { FloatDType } from '../ops/types.js';
import type { ChangeProbe } from '../rewrite/rule.js';
import { runOnCpu } from './run-once.js';
import type { TensorLike } from './tensor.js';
import { compareTensors, type Tolerance } from './tolerance.js';

/**
 * Op by op, as written. With ORT's optimizer on, Conv+Relu becomes an NCHWc
 * kernel but Conv+ThresholdedRelu does not, which moves results by ~1e-7 for
 * reasons that are ORT's, not the rewrite's.
 */
const EXACT = { graphOptimizationLevel: 'disabled' } as const;

/** Exact by default: ThresholdedRelu and its decomposition select values, they do not compute new ones. */
export const VERIFY_TOLERANCE: Tolerance = { atol: 0, rtol: 0 };

export interface OutputDiff {
  name: string;
  elements: number;
  /** Largest |before - after|; NaN on both sides counts as equal, NaN on one side as Infinity. */
  maxAbsDiff: number;
  /** Elements outside the tolerance. */
  mismatches?: number;
}

export interface NodeCheck {
  /** The change, as the report names it (its added nodes, or what it did). */
  node: string;
  location: string;
  elements: number;
  /** Largest |ORT output - reference kernel| for this change. */
  maxAbsDiff: number;
  mismatches: number;
  ok: boolean;
}

export interface UncheckedChange {
  node: string;
  location: string;
  reason: string;
}

export interface VerifyReport {
  tolerance: Tolerance;
  outputs: OutputDiff[];
  /** Changes checked against the reference kernel. */
  nodes: NodeCheck[];
  /** Changes that could not be checked, with why. */
  unchecked: UncheckedChange[];
  /** How many changes the rewrite made. */
  changed: number;
}

function numbers(t: TensorLike): number[] {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, float16ToNumber);
  if (t.type === 'int64' || t.type === 'uint64') return Array.from(t.data as ArrayLike<bigint>, Number);
  return Array.from(t.data as ArrayLike<number>, Number);
}

/** Largest absolute difference between two tensors of the same shape (Infinity if shapes differ). */
export function maxAbsDiff(a: TensorLike, b: TensorLike): number {
  if (a.dims.join(',') !== b.dims.join(',')) return Infinity;
  const x = numbers(a);
  const y = numbers(b);
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (Number.isNaN(p) || Number.isNaN(q)) {
      if (Number.isNaN(p) !== Number.isNaN(q)) return Infinity;
      continue;
    }
    if (p === q) continue; // also covers equal infinities
    max = Math.max(max, Math.abs(p - q));
  }
  return max;
}

/** Runs both models on `feeds` and compares each output of `before` with the same output of `after`. */
export async function compareModels(before: Uint8Array | string, after: Uint8Array | string, feeds: Record<string, TensorLike>, tolerance: Tolerance = VERIFY_TOLERANCE): Promise<OutputDiff[]> {
  const a = await runOnCpu(before, feeds, EXACT);
  const b = await runOnCpu(after, feeds, EXACT);
  return Object.keys(a).map((name) => {
    const elements = a[name]!.dims.reduce((x, y) => x * y, 1);
    if (!b[name]) return { name, elements, maxAbsDiff: Infinity, mismatches: elements };
    const c = compareTensors(b[name]!, a[name]!, tolerance);
    return { name, elements, maxAbsDiff: maxAbsDiff(a[name]!, b[name]!), mismatches: c.mismatches };
  });
}

const DTYPES: Record<number, FloatDType> = { [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.FLOAT16]: 'float16' };

const label = (p: ChangeProbe) => (p.change.added.length === 1 ? p.change.added[0]! : p.change.removed.join(', ') || p.change.added.join(', ') || p.change.rule);

/**
 * Checks each probe of a rewritten `model` (in memory, as the rewrite left it)
 * on `feeds`: the change's output against the reference kernel applied to its
 * input. `encode` turns the probing copy into what ORT runs (external data
 * inline); it defaults to plain encoding.
 */
export async function checkChanges(
  model: Model,
  probes: readonly ChangeProbe[],
  feeds: Record<string, TensorLike>,
  options: { tolerance?: Tolerance; encode?: (m: Model) => Uint8Array } = {},
): Promise<{ nodes: NodeCheck[]; unchecked: UncheckedChange[] }> {
  const tolerance = options.tolerance ?? VERIFY_TOLERANCE;
  const unchecked: UncheckedChange[] = [];
  const observed: { probe: ChangeProbe; dtype: FloatDType }[] = [];
  const added: Value[] = [];
  const main = model.graph;
  for (const p of probes) {
    const refuse = (reason: string) => unchecked.push({ node: label(p), location: p.change.location, reason });
    if (p.graph !== main) {
      refuse(p.change.location.startsWith('function') ? 'inside a function body: its values cannot be observed from outside' : 'inside an If/Loop/Scan body: its values cannot be exposed as graph outputs');
      continue;
    }
    const et = p.input.dtype;
    const dtype = et === undefined ? undefined : DTYPES[et];
    if (!dtype) {
      refuse(et === undefined ? `the element type of '${p.input.name}' is unknown` : `the reference kernel does not read element type ${et}`);
      continue;
    }
    for (const v of [p.input, p.output]) {
      if (main.outputs.includes(v) || added.includes(v)) continue;
      added.push(v);
      main.outputs.push(v);
      main.outputInfos.set(v, onnx.ValueInfoProto.create({ name: v.name, type: { tensorType: { elemType: et } } }) as ValueInfoProto);
    }
    observed.push({ probe: p, dtype });
  }
  if (observed.length === 0) return { nodes: [], unchecked };
  let out: Record<string, TensorLike>;
  try {
    out = await runOnCpu(options.encode ? options.encode(model) : encodeModel(modelToProto(model)), feeds, EXACT);
  } finally {
    // the probing outputs were for this run only
    main.outputs = main.outputs.filter((v) => !added.includes(v));
    for (const v of added) main.outputInfos.delete(v);
  }
  const nodes = observed.map(({ probe: p, dtype }) => {
    const x = out[p.input.name]!;
    const y = out[p.output.name]!;
    const expected = thresholdedReluReference(x.data as never, p.alpha, dtype);
    const c = compareTensors(y, { type: x.type, data: expected as TensorLike['data'], dims: x.dims }, tolerance);
    return { node: label(p), location: p.change.location, elements: c.elements, maxAbsDiff: c.maxAbsDiff, mismatches: c.mismatches, ok: c.ok };
  });
  return { nodes, unchecked };
}

/** Whether a verify passed: outputs equal (when they must be), every checked change within tolerance, and every change checked (unless allowed). */
export function verifyPassed(v: VerifyReport, mode: 'equal' | 'reference', allowUnchecked: boolean): boolean {
  if (mode === 'equal' && v.outputs.some((o) => (o.mismatches ?? (o.maxAbsDiff === 0 ? 0 : 1)) > 0)) return false;
  if (v.nodes.some((n) => !n.ok)) return false;
  return allowUnchecked || v.nodes.length >= v.changed;
}
