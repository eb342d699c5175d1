/**
 * Proving a rewrite by execution: the original and the rewritten model run in
 * onnxruntime-node (CPU EP, graph optimizations off) on the same seeded inputs, and each output's
 * largest absolute difference is reported. For nodes a rewrite added on
 * purpose (replace, insert), their outputs are checked against the reference
 * kernel instead, on the values that actually reach them.
 */
import { onnx, DataType, type ValueInfoProto } from '../onnx/proto.js';
import { decodeModel } from '../onnx/decode.js';
import { encodeModel } from '../onnx/encode.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import { inferTypes } from '../graph/infer.js';
import { float16ToNumber } from '../ops/float16.js';
import { thresholdedRelu } from '../ops/thresholded-relu/definition.js';
import { thresholdedReluReference } from '../ops/thresholded-relu/reference.js';
import type { FloatDType } from '../ops/types.js';
import { runOnCpu } from './run-once.js';
import type { TensorLike } from './tensor.js';

/**
 * Op by op, as written. With ORT's optimizer on, Conv+Relu becomes an NCHWc
 * kernel but Conv+ThresholdedRelu does not, which moves results by ~1e-7 for
 * reasons that are ORT's, not the rewrite's.
 */
const EXACT = { graphOptimizationLevel: 'disabled' } as const;

export interface OutputDiff {
  name: string;
  elements: number;
  /** Largest |before - after|; NaN on both sides counts as equal, NaN on one side as Infinity. */
  maxAbsDiff: number;
}

export interface NodeCheck {
  node: string;
  elements: number;
  /** Largest |ORT output - reference kernel| for this node. */
  maxAbsDiff: number;
}

export interface VerifyReport {
  outputs: OutputDiff[];
  /** Present when new nodes were checked against the reference kernel. */
  nodes?: NodeCheck[];
  /** New nodes that could not be checked (not in the main graph, or of an unknown type). */
  unchecked?: string[];
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

export async function compareModels(before: Uint8Array | string, after: Uint8Array | string, feeds: Record<string, TensorLike>): Promise<OutputDiff[]> {
  const a = await runOnCpu(before, feeds, EXACT);
  const b = await runOnCpu(after, feeds, EXACT);
  return Object.keys(a).map((name) => ({ name, elements: a[name]!.dims.reduce((x, y) => x * y, 1), maxAbsDiff: b[name] ? maxAbsDiff(a[name]!, b[name]!) : Infinity }));
}

const DTYPES: Record<string, FloatDType> = { float32: 'float32', float64: 'float64', float16: 'float16' };

/**
 * Runs `after` with the inputs and outputs of the named ThresholdedRelu nodes
 * exposed as extra graph outputs, and compares each node's output with the
 * reference kernel applied to its input.
 */
export async function checkNodesAgainstReference(after: Uint8Array, nodeNames: readonly string[], feeds: Record<string, TensorLike>): Promise<{ nodes: NodeCheck[]; unchecked: string[] }> {
  const model = modelFromProto(decodeModel(after));
  const types = inferTypes(model);
  const probes: { node: string; x: string; y: string; alpha: number }[] = [];
  const unchecked: string[] = [];
  for (const name of nodeNames) {
    const node = model.graph.nodes.find((n) => n.name === name && n.opType === 'ThresholdedRelu');
    const x = node?.inputs[0];
    const y = node?.outputs[0];
    const et = x ? types.get(x)?.elemType : undefined;
    if (!node || !x || !y || et === undefined || ![DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16].includes(et)) {
      unchecked.push(name);
      continue;
    }
    for (const v of [x, y]) {
      if (!model.graph.outputs.includes(v)) {
        model.graph.outputs.push(v);
        model.graph.outputInfos.set(v, onnx.ValueInfoProto.create({ name: v.name, type: { tensorType: { elemType: et } } }) as ValueInfoProto);
      }
    }
    probes.push({ node: name, x: x.name, y: y.name, alpha: thresholdedRelu.parseAttributes(node.attributes).alpha });
  }
  if (probes.length === 0) return { nodes: [], unchecked };
  const out = await runOnCpu(encodeModel(modelToProto(model)), feeds, EXACT);
  const nodes = probes.map((p) => {
    const x = out[p.x]!;
    const y = out[p.y]!;
    const dtype = DTYPES[x.type as string]!;
    const expected = thresholdedReluReference(x.data as never, p.alpha, dtype);
    return { node: p.node, elements: x.dims.reduce((a, b) => a * b, 1), maxAbsDiff: maxAbsDiff(y, { type: x.type, data: expected as TensorLike['data'], dims: x.dims }) };
  });
  return { nodes, unchecked };
}
