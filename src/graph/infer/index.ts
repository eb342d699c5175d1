/**
 * Type and shape inference. `inferModel(model)` walks every graph (and
 * subgraph, and function body) in topological order and records on each
 * value what it finds (`value.inferred`; read `value.dtype` and
 * `value.shapeInfo`, which prefer what was declared). Element types come from
 * the onnx schemas' type constraints (op-types.generated.ts) for every
 * ai.onnx op; shapes from the rules in ./rules/ for the ops real models use,
 * following small constant tensors (Shape → Gather → Concat → Reshape) the way
 * onnx's data propagation does. What it cannot tell stays undefined: a rule
 * that meets something unexpected gives up rather than guesses.
 *
 *   const model = modelFromProto(proto);
 *   inferModel(model);
 *   node.outputs[0].dtype      // 1 (FLOAT)
 *   node.outputs[0].shapeInfo  // ['N', 64, 56, 56]
 */
import Long from 'long';
import { DataType } from '../../onnx/proto.js';
import type { Graph } from '../graph.js';
import type { Model } from '../model.js';
import type { Node } from '../node.js';
import type { Value } from '../value.js';
import { topologicalOrder } from '../toposort.js';
import { tensorInfo } from './constants.js';
import { outputElementTypes } from './element-types.js';
import { SHAPE_RULES } from './rules/index.js';
import type { Dim, RuleInput, TensorInfo } from './types.js';
import { isAiOnnxDomain, aiOnnxOpset } from '../../onnx/domain.js';

export type { Dim, TensorInfo } from './types.js';
export { broadcastShapes } from './dims.js';

/** What the declaration (value_info, graph input/output, initializer) says. */
function declared(v: Value): TensorInfo | undefined {
  if (v.initializer) return tensorInfo(v.initializer);
  if (v.sparseInitializer) return { elemType: v.sparseInitializer.values?.dataType, shape: v.sparseInitializer.dims.map((d) => Long.fromValue(d).toNumber()) };
  const elemType = v.elemType;
  const shape = v.shape;
  if (elemType === undefined && shape === undefined) return undefined;
  return { elemType, shape };
}

/** Declared wins; inference fills what the declaration leaves open (unknown dims of the same rank, the element values). */
function merge(d: TensorInfo | undefined, i: TensorInfo | undefined): TensorInfo {
  if (!d) return i ?? {};
  if (!i) return d;
  let shape = d.shape ?? i.shape;
  if (d.shape && i.shape && d.shape.length === i.shape.length) shape = d.shape.map((x, k) => x ?? i.shape![k]);
  return { elemType: d.elemType ?? i.elemType, shape, value: d.value ?? i.value };
}

/** Everything known about `v`: its declaration merged with what inference recorded. */
export function valueInfo(v: Value): TensorInfo {
  return merge(declared(v), v.inferred);
}

/** How a run reads and records what it knows (the model-wide pass, or the map-based compatibility API). */
interface Store {
  get(v: Value): TensorInfo;
  set(v: Value, info: TensorInfo): void;
}

const onValues: Store = { get: valueInfo, set: (v, info) => (v.inferred = info) };

function isOnnx(node: Node): boolean {
  return isAiOnnxDomain(node.domain);
}

/** Infers every value of the model; what was recorded by an earlier run is replaced. */
export function inferModel(model: Model): void {
  const opset = aiOnnxOpset(model.opsetImports);
  inferGraph(model.graph, onValues, opset);
  // Function bodies are typed by their call sites: where every call passes the
  // same element type for a parameter, the body's input has that type.
  for (const fn of model.functions) {
    const calls = [...model.graph.allGraphs()].flatMap((g) => g.nodes).filter((n) => n.opType === fn.name && n.domain === fn.domain && n.overload === fn.overload);
    fn.body.inputs.forEach((param, i) => {
      const types = new Set(calls.map((c) => (c.inputs[i] ? valueInfo(c.inputs[i]!).elemType : undefined)));
      const [only] = types;
      param.inferred = calls.length && types.size === 1 && only !== undefined ? { elemType: only } : undefined;
    });
    inferGraph(fn.body, onValues, aiOnnxOpset(fn.opsetImports) ?? opset);
  }
}

function inferGraph(graph: Graph, store: Store, opset: number | undefined): void {
  let order: Node[];
  try {
    order = topologicalOrder(graph);
  } catch {
    order = graph.nodes; // a cycle: infer what a single pass in file order can
  }
  for (const node of order) inferNode(node, store, opset);
}

/**
 * Infers `nodes`, in the order given (producers before consumers), from what
 * is known about their inputs. For passes that add nodes to an inferred
 * graph: re-running the whole inference after every addition is quadratic.
 */
export function inferNodesOnValues(nodes: Iterable<Node>, opset?: number): void {
  for (const node of nodes) inferNode(node, onValues, opset);
}

function inferNode(node: Node, store: Store, opset: number | undefined): void {
  const ins = node.inputs.map((v) => (v ? store.get(v) : {}));
  if (isOnnx(node) && node.opType === 'Loop') seedLoopBody(node, ins, store);
  // Subgraphs first: they may read values inferred above, and If's outputs are its branches' outputs.
  for (const gs of node.subgraphs.values()) for (const g of gs) inferGraph(g, store, opset);
  let outs: (TensorInfo | undefined)[] = [];
  if (isOnnx(node)) {
    const r: RuleInput = { node, ins, present: (i) => !!node.inputs[i], opset };
    outs = guarded(() => control(node, ins, store) ?? rule(r)) ?? [];
  }
  node.outputs.forEach((v, i) => store.set(v, sane(outs[i])));
}

/** A rule that throws (a malformed attribute, an odd input) knows nothing: inference never fails a command. */
function guarded<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function rule(r: RuleInput): TensorInfo[] {
  const types = guarded(() => outputElementTypes(r)) ?? [];
  const shapes = guarded(() => (Object.hasOwn(SHAPE_RULES, r.node.opType) ? SHAPE_RULES[r.node.opType] : undefined)?.(r)) ?? [];
  return r.node.outputs.map((_, i) => ({ elemType: types[i], shape: shapes[i]?.shape, value: shapes[i]?.value }));
}

/** Drops shapes a rule got wrong in a way that shows (negative or fractional dims: a model that would fail to run). */
function sane(info: TensorInfo | undefined): TensorInfo {
  if (!info) return {};
  const bad = (d: Dim) => typeof d === 'number' && (!Number.isInteger(d) || d < 0);
  const shape = info.shape?.some(bad) ? info.shape.map((d) => (bad(d) ? undefined : d)) : info.shape;
  return { elemType: info.elemType, shape, value: info.value };
}

/** If, Loop: outputs from the bodies. */
function control(node: Node, ins: TensorInfo[], store: Store): TensorInfo[] | undefined {
  if (node.opType === 'If') {
    const then = node.subgraphs.get('then_branch')?.[0];
    const els = node.subgraphs.get('else_branch')?.[0];
    if (!then || !els) return [];
    return node.outputs.map((_, i) => {
      const a = then.outputs[i] ? store.get(then.outputs[i]!) : undefined;
      const b = els.outputs[i] ? store.get(els.outputs[i]!) : undefined;
      const sameShape = a?.shape && b?.shape && a.shape.length === b.shape.length && a.shape.every((d, k) => d === b.shape![k]);
      return { elemType: a?.elemType === b?.elemType ? a?.elemType : undefined, shape: sameShape ? [...a!.shape!] : undefined };
    });
  }
  if (node.opType === 'Loop') {
    const body = node.subgraphs.get('body')?.[0];
    if (!body) return [];
    const carried = Math.max(node.inputs.length - 2, 0);
    return node.outputs.map((_, i) => {
      const out = body.outputs[i + 1] ? store.get(body.outputs[i + 1]!) : {};
      if (i < carried) return { elemType: out.elemType ?? ins[i + 2]?.elemType };
      return { elemType: out.elemType, shape: out.shape ? [undefined, ...out.shape] : undefined };
    });
  }
  if (node.opType === 'Scan') return [];
  return undefined;
}

/** A Loop body's inputs (iteration number, condition, carried values) typed from the Loop's inputs where they are not declared. */
function seedLoopBody(node: Node, ins: TensorInfo[], store: Store): void {
  const body = node.subgraphs.get('body')?.[0];
  if (!body) return;
  body.inputs.forEach((v, i) => {
    const t = i === 0 ? { elemType: DataType.INT64, shape: [] } : i === 1 ? { elemType: DataType.BOOL, shape: [] } : { elemType: ins[i]?.elemType };
    store.set(v, t);
  });
}

/** A Store over a caller's map (the compatibility API), also recording on the values. */
export function mapStore(info: Map<Value, TensorInfo>): Store {
  return {
    get: (v) => info.get(v) ?? valueInfo(v),
    set: (v, i) => {
      v.inferred = i;
      info.set(v, merge(declared(v), i));
    },
  };
}

export function inferNodesWith(nodes: Iterable<Node>, store: Store, opset?: number): void {
  for (const node of nodes) inferNode(node, store, opset);
}
