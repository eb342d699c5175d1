/**
 * Proving a rewrite in the page, the way `trelu <rewrite> --verify` does in
 * Node, on an onnxruntime-web backend (wasm or webgpu, graph optimizations
 * off) and seeded inputs:
 * - 'equal' (fuse, decompose): both models run; every output must be
 *   bit-for-bit equal (NaN matches NaN).
 * - 'reference' (replace, insert, which change the function on purpose):
 *   the rewritten model runs with each new ThresholdedRelu node's input and
 *   output exposed as graph outputs, and each output must equal the
 *   reference kernel applied to that input.
 *
 * (src/runtime/verify.ts is the Node version, on onnxruntime-node's CPU EP.)
 */
import { onnx, DataType, type ValueInfoProto } from '../onnx/proto.js';
import { decodeModel } from '../onnx/decode.js';
import { encodeModel } from '../onnx/encode.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import { inferModel } from '../graph/infer/index.js';
import { thresholdedReluOp } from '../ops/thresholded-relu/definition.js';
import { thresholdedReluReference } from '../ops/thresholded-relu/reference.js';
import type { FloatDType } from '../ops/types.js';
import type { Backend } from '../runtime/backend.js';
import type { TensorLike } from '../runtime/tensor.js';
import { compareTensors } from '../runtime/tolerance.js';

export interface PageCheck {
  /** An output name ('equal') or a node name ('reference'). */
  name: string;
  elements: number;
  maxAbsDiff: number;
  /** Elements that are not bit-for-bit equal. */
  mismatches: number;
}

export interface PageVerifyReport {
  ep: string;
  mode: 'equal' | 'reference';
  checks: PageCheck[];
  /** New nodes that could not be checked (not in the main graph, or not float32/float64/float16). */
  unchecked: string[];
  /** At least one check, and every check exact. */
  ok: boolean;
}

/** Creates, runs once, copies the outputs out of ORT's memory, releases. */
export async function runOnceOn(backend: Backend, model: Uint8Array, feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>> {
  const session = await backend.createSession(model, { graphOptimizationLevel: 'disabled' });
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type, dims: [...t.dims], data: (t.data as Float32Array).slice() }]));
  } finally {
    await session.release();
  }
}

function exact(name: string, actual: TensorLike | undefined, expected: TensorLike): PageCheck {
  const elements = expected.dims.reduce((a, b) => a * b, 1);
  if (!actual) return { name, elements, maxAbsDiff: Infinity, mismatches: elements };
  // compareTensors with zero tolerance: NaN matches NaN, shapes and types must agree.
  const c = compareTensorsExact(actual, expected);
  return { name, elements, maxAbsDiff: c.maxAbsDiff, mismatches: c.mismatches };
}

function compareTensorsExact(actual: TensorLike, expected: TensorLike): { maxAbsDiff: number; mismatches: number } {
  const c = compareTensors(actual, expected);
  if (c.maxAbsDiff === Infinity) return c;
  const a = actual.data as ArrayLike<number>;
  const b = expected.data as ArrayLike<number>;
  let mismatches = 0;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) mismatches++;
  return { maxAbsDiff: c.maxAbsDiff, mismatches };
}

const DTYPES: Record<string, FloatDType> = { float32: 'float32', float64: 'float64', float16: 'float16' };

/** The rewritten model with the named ThresholdedRelu nodes' inputs and outputs as extra graph outputs. */
function withProbes(after: Uint8Array, nodeNames: readonly string[]): { bytes: Uint8Array; probes: { node: string; x: string; y: string; alpha: number }[]; unchecked: string[] } {
  const model = modelFromProto(decodeModel(after));
  inferModel(model);
  const probes: { node: string; x: string; y: string; alpha: number }[] = [];
  const unchecked: string[] = [];
  for (const name of nodeNames) {
    const node = model.graph.nodes.find((n) => n.name === name && n.opType === 'ThresholdedRelu');
    const x = node?.inputs[0];
    const y = node?.outputs[0];
    const et = x?.dtype;
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
    probes.push({ node: name, x: x.name, y: y.name, alpha: thresholdedReluOp.parseAttributes(node.attributes).alpha });
  }
  return { bytes: encodeModel(modelToProto(model)), probes, unchecked };
}

export async function verifyRewrite(backend: Backend, before: Uint8Array, after: Uint8Array, feeds: Record<string, TensorLike>, options: { mode: 'equal' | 'reference'; newNodes?: readonly string[] }): Promise<PageVerifyReport> {
  if (options.mode === 'equal') {
    const a = await runOnceOn(backend, before, feeds);
    const b = await runOnceOn(backend, after, feeds);
    const checks = Object.keys(a).map((name) => exact(name, b[name], a[name]!));
    return { ep: backend.name, mode: 'equal', checks, unchecked: [], ok: checks.length > 0 && checks.every((c) => c.mismatches === 0) };
  }
  const { bytes, probes, unchecked } = withProbes(after, options.newNodes ?? []);
  const out = probes.length ? await runOnceOn(backend, bytes, feeds) : {};
  const checks = probes.map((p) => {
    const x = out[p.x]!;
    const expected = thresholdedReluReference(x.data as never, p.alpha, DTYPES[x.type as string]!);
    return exact(p.node, out[p.y], { type: x.type, dims: x.dims, data: expected as TensorLike['data'] });
  });
  return { ep: backend.name, mode: 'reference', checks, unchecked, ok: checks.length > 0 && checks.every((c) => c.mismatches === 0) };
}
