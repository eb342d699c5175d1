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
import Long from 'long';
import type { TensorProto } from '../onnx/proto.js';
import { decodeModel } from '../onnx/decode.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import type { Model, OnnxFunction } from '../graph/model.js';
import { inlineFunctionCalls, NotInlinable, type InlinedCall } from './verify-inline.js';
import type { Graph } from '../graph/graph.js';
import { Value } from '../graph/value.js';
import { Builder } from '../graph/builder.js';
import { attr } from '../graph/attributes.js';
import { graphPlaces } from '../graph/locations.js';
import { inferModel } from '../graph/infer/index.js';
import { float16ToNumber } from '../ops/float16.js';
import { thresholdedReluReference } from '../ops/thresholded-relu/reference.js';
import type { FloatDType } from '../ops/types.js';
import type { ChangeProbe } from '../rewrite/rule.js';
import { runOnCpu } from './run-once.js';
import type { TensorLike } from './tensor.js';
import { compareTensors, VERIFY_TOLERANCE, type Tolerance } from './tolerance.js';
import { isAiOnnxDomain } from '../onnx/domain.js';
import { floatDTypeOf } from '../ops/types.js';
import { dataTypeName } from '../onnx/dtypes.js';

/**
 * Op by op, as written. With ORT's optimizer on, Conv+Relu becomes an NCHWc
 * kernel but Conv+ThresholdedRelu does not, which moves results by ~1e-7 for
 * reasons that are ORT's, not the rewrite's.
 */
const EXACT = { graphOptimizationLevel: 'disabled' } as const;

export { VERIFY_TOLERANCE };

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


const label = (p: ChangeProbe) => (p.change.added.length === 1 ? p.change.added[0]! : p.change.removed.join(', ') || p.change.added.join(', ') || p.change.rule);

/** A change that cannot be observed by running the model, and why. */
class Unobservable extends Error {}

/**
 * Makes `v` (defined in a subgraph of `model`) observable as a value of the
 * main graph, by threading it out through each enclosing node:
 *
 *   Loop body:  a new body output is a new scan output of the Loop: every
 *               iteration's value, stacked on a new first axis;
 *   If branch:  a new output of both branches (the other one gives an empty
 *               tensor), so the If's new output is the value when that
 *               branch ran and empty when it did not.
 *
 * Scan bodies and function bodies are not threaded (Unobservable).
 */
function lift(model: Model, v: Value, elemType: number): Value {
  let cur = v;
  let g = v.graph!;
  while (g !== model.graph) {
    const p = g.parentNode;
    if (!p || !p.graph) throw new Unobservable('not in the main graph or one of its subgraphs');
    const onnxOp = isAiOnnxDomain(p.domain);
    // a value listed twice among a subgraph's outputs crashes onnxruntime-node 1.30 (SIGSEGV): output a copy
    if (g.outputs.includes(cur)) cur = new Builder(model, g).op('Identity', [cur], { name: `${cur.name}_seen` });
    const typed = (x: Value, graph: typeof g) => graph.outputInfos.set(x, onnx.ValueInfoProto.create({ name: x.name, type: { tensorType: { elemType } } }) as ValueInfoProto);
    if (onnxOp && p.opType === 'Loop') {
      g.outputs.push(cur);
      typed(cur, g);
    } else if (onnxOp && p.opType === 'If') {
      const then = p.subgraphs.get('then_branch')?.[0];
      const other = g === then ? p.subgraphs.get('else_branch')?.[0] : then;
      if (!other) throw new Unobservable('inside an If without both branches');
      const empty = new Builder(model, other).op('Constant', [], { name: 'verify_branch_not_taken', attributes: [attr.tensor('value', onnx.TensorProto.create({ dataType: elemType, dims: [Long.ZERO] }) as TensorProto)] });
      g.outputs.push(cur);
      other.outputs.push(empty);
      typed(cur, g);
      typed(empty, other);
    } else {
      throw new Unobservable(`inside a ${p.opType} body: only If and Loop bodies are observed`);
    }
    const out = new Value(model.valueNames.unique(`${cur.name}_observed`));
    p.appendOutput(out);
    cur = out;
    g = p.graph;
  }
  return cur;
}

/** The value named `name` visible in `graph` (its own, or an enclosing graph's). */
function visible(graph: Graph, name: string): Value | undefined {
  for (let g: Graph | undefined = graph; g; g = g.parent) {
    const v = [...g.inputs, ...g.initializers].find((x) => x.name === name) ?? g.nodes.flatMap((n) => n.outputs).find((x) => x.name === name);
    if (v) return v;
  }
  return undefined;
}

/**
 * Checks each probe of a rewritten `model` (in memory, as the rewrite left it;
 * it is not modified) on `feeds`: the change's output against the reference
 * kernel applied to its input, both observed in one run of a copy that has
 * them as extra outputs. `encode` turns the copy into what ORT runs (external
 * data inline); it defaults to plain encoding.
 */
export async function checkChanges(
  model: Model,
  probes: readonly ChangeProbe[],
  feeds: Record<string, TensorLike>,
  options: { tolerance?: Tolerance; encode?: (m: Model) => Uint8Array } = {},
): Promise<{ nodes: NodeCheck[]; unchecked: UncheckedChange[] }> {
  const tolerance = options.tolerance ?? VERIFY_TOLERANCE;
  const unchecked: UncheckedChange[] = [];
  if (probes.length === 0) return { nodes: [], unchecked };
  const copy = modelFromProto(decodeModel(encodeModel(modelToProto(model))));
  inferModel(copy);
  const places = new Map(graphPlaces(copy).map((p) => [p.location, p]));
  const observed: { probe: ChangeProbe; dtype: FloatDType; pairs: { x: string; y: string }[] }[] = [];
  const main = copy.graph;
  const expose = (v: Value, et: number) => {
    if (main.outputs.includes(v)) return;
    main.outputs.push(v);
    main.outputInfos.set(v, onnx.ValueInfoProto.create({ name: v.name, type: { tensorType: { elemType: et } } }) as ValueInfoProto);
  };
  /** Both sides from the same graph, so that a Loop stacks them alike; then out to the main graph. */
  const observe = (x: Value, y: Value, et: number) => {
    const inner = x.graph === y.graph || y.graph === main ? x : new Builder(copy, y.graph!).op('Identity', [x], { name: `${x.name}_seen` });
    const xs = lift(copy, inner, et);
    const ys = lift(copy, y, et);
    expose(xs, et);
    expose(ys, et);
    return { x: xs.name, y: ys.name };
  };
  const inlined = new Map<OnnxFunction, InlinedCall[]>();
  for (const p of probes) {
    const refuse = (reason: string) => unchecked.push({ node: label(p), location: p.change.location, reason });
    const place = places.get(p.change.location);
    const x = place && visible(place.graph, p.input.name);
    const y = place && visible(place.graph, p.output.name);
    if (!place || !x || !y) {
      refuse('the rewritten model has no such values (a bug in the rewrite report)');
      continue;
    }
    const et = x.dtype ?? y.dtype ?? p.input.dtype;
    // bfloat16: ORT's CPU EP, which runs the copy, has no bfloat16 kernels for these ops
    const dtype = et === DataType.BFLOAT16 ? undefined : floatDTypeOf(et);
    if (!dtype || et === undefined) {
      refuse(et === undefined ? `the element type of '${x.name}' is unknown` : `ORT's CPU EP cannot run a ${dataTypeName(et)} model to observe it`);
      continue;
    }
    try {
      if (!place.fn) {
        observed.push({ probe: p, dtype, pairs: [observe(x, y, et)] });
        continue;
      }
      // a function body: observed at every call, once each call is inlined into the copy
      const fn = place.fn;
      if (place.graph !== fn.body) throw new Unobservable('inside a subgraph of a function body');
      let calls = inlined.get(fn);
      if (!calls) {
        try {
          calls = inlineFunctionCalls(copy, fn);
        } catch (e) {
          if (e instanceof NotInlinable) throw new Unobservable(`inside a function body that cannot be inlined (${e.message})`);
          throw e;
        }
        inlined.set(fn, calls);
        inferModel(copy);
      }
      if (calls.length === 0) throw new Unobservable('inside a function nothing calls');
      observed.push({ probe: p, dtype, pairs: calls.map((c) => observe(c.values.get(x) ?? x, c.values.get(y)!, et)) });
    } catch (e) {
      if (!(e instanceof Unobservable)) throw e;
      refuse(e.message);
    }
  }
  if (observed.length === 0) return { nodes: [], unchecked };
  const out = await runOnCpu(options.encode ? options.encode(copy) : encodeModel(modelToProto(copy)), feeds, EXACT);
  const nodes: NodeCheck[] = [];
  for (const { probe: p, dtype, pairs } of observed) {
    // an empty observation inside a subgraph or function is a branch or loop that did not run
    const all = pairs.map(({ x, y }) => ({ x: out[x]!, y: out[y]! }));
    const seen = p.change.location === 'graph' ? all : all.filter(({ x }) => x.dims.reduce((a, b) => a * b, 1) > 0);
    if (seen.length === 0) {
      unchecked.push({ node: label(p), location: p.change.location, reason: 'not reached on these inputs (its If branch did not run, or its Loop ran no iteration)' });
      continue;
    }
    const cs = seen.map(({ x, y }) => compareTensors(y, { type: x.type, data: thresholdedReluReference(x.data as never, p.alpha, dtype) as TensorLike['data'], dims: x.dims }, tolerance));
    const sum = (f: (c: (typeof cs)[number]) => number) => cs.reduce((a, c) => a + f(c), 0);
    const where = pairs.length > 1 ? ` (at ${seen.length} of ${pairs.length} calls)` : '';
    nodes.push({ node: label(p) + where, location: p.change.location, elements: sum((c) => c.elements), maxAbsDiff: Math.max(...cs.map((c) => c.maxAbsDiff)), mismatches: sum((c) => c.mismatches), ok: cs.every((c) => c.ok) });
  }
  return { nodes, unchecked };
}

/** Whether a verify passed: outputs equal (when they must be), every checked change within tolerance, and every change checked (unless allowed). */
export function verifyPassed(v: VerifyReport, mode: 'equal' | 'reference', allowUnchecked: boolean): boolean {
  if (mode === 'equal' && v.outputs.some((o) => (o.mismatches ?? (o.maxAbsDiff === 0 ? 0 : 1)) > 0)) return false;
  if (v.nodes.some((n) => !n.ok)) return false;
  return allowUnchecked || v.nodes.length >= v.changed;
}
