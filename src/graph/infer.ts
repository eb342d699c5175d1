/**
 * Light type and shape inference: far enough to know element types and shapes
 * through the common ops of the sample and conformance models, and to say
 * "unknown" (undefined) honestly everywhere else. Declared types (graph
 * inputs/outputs, value_info, initializers) win over inferred ones.
 */
import Long from 'long';
import { AttributeType, DataType, type TensorProto } from '../onnx/proto.js';
import { has } from '../onnx/decode.js';
import { isExternal } from '../onnx/external-data.js';
import type { Graph } from './graph.js';
import type { Model } from './model.js';
import type { Node } from './node.js';
import type { Value } from './value.js';
import { topologicalOrder } from './toposort.js';

export type Dim = number | string | undefined;
export interface TensorInfo {
  elemType?: number;
  /** undefined: rank unknown. */
  shape?: Dim[];
}

export function inferTypes(model: Model): Map<Value, TensorInfo> {
  const info = new Map<Value, TensorInfo>();
  inferGraph(model.graph, info);
  // Function bodies are typed by their call sites: where every call passes the
  // same element type for a parameter, the body's input has that type.
  for (const fn of model.functions) {
    const calls = [...model.graph.allGraphs()].flatMap((g) => g.nodes).filter((n) => n.opType === fn.name && n.domain === fn.domain && n.overload === fn.overload);
    fn.body.inputs.forEach((param, i) => {
      const types = new Set(calls.map((c) => (c.inputs[i] ? info.get(c.inputs[i]!)?.elemType : undefined)));
      const [only] = types;
      if (calls.length && types.size === 1 && only !== undefined && !info.has(param)) info.set(param, { elemType: only });
    });
    inferGraph(fn.body, info);
  }
  return info;
}

function declared(v: Value): TensorInfo | undefined {
  if (v.initializer) return { elemType: v.initializer.dataType, shape: v.initializer.dims.map((d) => Long.fromValue(d).toNumber()) };
  const et = v.elemType;
  const shape = v.shape;
  if (et === undefined && shape === undefined) return undefined;
  return { elemType: et, shape };
}

function inferGraph(graph: Graph, info: Map<Value, TensorInfo>): void {
  let order: Node[];
  try {
    order = topologicalOrder(graph);
  } catch {
    order = graph.nodes; // a cycle: infer what a single pass in file order can
  }
  for (const v of [...graph.inputs, ...graph.initializers]) known(v, info);
  for (const node of order) inferNode(node, info);
}

/**
 * Types `nodes`, in the order given (producers before consumers), from what
 * `info` already knows about their inputs, and records their outputs in it.
 * For passes that add nodes to a typed graph: re-running inferTypes after
 * every addition is quadratic in the graph's size.
 */
export function inferNodes(nodes: Iterable<Node>, info: Map<Value, TensorInfo>): void {
  for (const node of nodes) inferNode(node, info);
}

/** What `info` knows about `v`, seeded from its declaration the first time. */
function known(v: Value | undefined, info: Map<Value, TensorInfo>): TensorInfo {
  if (!v) return {};
  let i = info.get(v);
  if (!i) {
    i = declared(v) ?? {};
    info.set(v, i);
  }
  return i;
}

function inferNode(node: Node, info: Map<Value, TensorInfo>): void {
  // Subgraphs first: they may read values inferred above, and If's outputs are its branches' outputs.
  for (const gs of node.subgraphs.values()) for (const g of gs) inferGraph(g, info);
  const ins = node.inputs.map((v) => known(v, info));
  let outs: TensorInfo[] | undefined;
  try {
    if (node.opType === 'If' && (node.domain === '' || node.domain === 'ai.onnx')) outs = ifOutputs(node, info);
    else outs = node.domain === '' || node.domain === 'ai.onnx' ? RULES[node.opType]?.(node, ins) : undefined;
  } catch {
    outs = undefined;
  }
  node.outputs.forEach((v, i) => {
    const d = declared(v);
    const inferred = outs?.[i] ?? {};
    info.set(v, { elemType: d?.elemType ?? inferred.elemType, shape: d?.shape ?? inferred.shape });
  });
}

type Rule = (node: Node, ins: TensorInfo[]) => TensorInfo[] | undefined;

/** If: each output has its branches' type where both agree. */
function ifOutputs(node: Node, info: Map<Value, TensorInfo>): TensorInfo[] | undefined {
  const then = node.subgraphs.get('then_branch')?.[0];
  const els = node.subgraphs.get('else_branch')?.[0];
  if (!then || !els) return undefined;
  return node.outputs.map((_, i) => {
    const a = then.outputs[i] ? info.get(then.outputs[i]!) : undefined;
    const b = els.outputs[i] ? info.get(els.outputs[i]!) : undefined;
    const sameShape = a?.shape && b?.shape && JSON.stringify(a.shape) === JSON.stringify(b.shape);
    return { elemType: a?.elemType === b?.elemType ? a?.elemType : undefined, shape: sameShape ? a!.shape : undefined };
  });
}

const int = (node: Node, name: string, dflt: number): number => {
  const a = node.attribute(name);
  return a && a.type === AttributeType.INT ? Long.fromValue(a.i).toNumber() : dflt;
};
const ints = (node: Node, name: string): number[] | undefined => {
  const a = node.attribute(name);
  return a && a.type === AttributeType.INTS ? a.ints.map((i) => Long.fromValue(i).toNumber()) : undefined;
};

/** Numpy broadcasting of two shapes; undefined dims where it cannot tell. */
export function broadcastShapes(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 1 : a[i - (n - a.length)];
    const y = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === y) out.push(x);
    else if (typeof x === 'number' && typeof y !== 'number') out.push(x);
    else if (typeof y === 'number' && typeof x !== 'number') out.push(y);
    else out.push(undefined);
  }
  return out;
}

const same: Rule = (_n, ins) => [{ ...ins[0] }];
const broadcast: Rule = (_n, ins) => [{ elemType: ins[0]?.elemType, shape: ins.reduce<Dim[] | undefined>((s, i, k) => (k === 0 ? i.shape : broadcastShapes(s, i.shape)), undefined) }];
const compare: Rule = (n, ins) => [{ elemType: DataType.BOOL, shape: broadcast(n, ins)![0]!.shape }];

function convLike(node: Node, ins: TensorInfo[], outChannels: Dim | 'same'): TensorInfo[] {
  const x = ins[0]!;
  const s = x.shape;
  const autoPad = node.attribute('auto_pad');
  if (!s || s.length < 3 || (autoPad && new TextDecoder().decode(autoPad.s) !== 'NOTSET')) return [{ elemType: x.elemType }];
  const spatial = s.length - 2;
  const kernel = ints(node, 'kernel_shape') ?? (ins[1]?.shape?.slice(2) as number[] | undefined);
  const strides = ints(node, 'strides') ?? Array(spatial).fill(1);
  const dil = ints(node, 'dilations') ?? Array(spatial).fill(1);
  const pads = ints(node, 'pads') ?? Array(2 * spatial).fill(0);
  const ceil = int(node, 'ceil_mode', 0) === 1;
  const out: Dim[] = [s[0], outChannels === 'same' ? s[1] : outChannels];
  for (let i = 0; i < spatial; i++) {
    const d = s[2 + i];
    const k = kernel?.[i];
    if (typeof d !== 'number' || typeof k !== 'number') {
      out.push(undefined);
      continue;
    }
    const span = (k - 1) * dil[i]! + 1;
    const q = (d + pads[i]! + pads[i + spatial]! - span) / strides[i]!;
    out.push((ceil ? Math.ceil(q) : Math.floor(q)) + 1);
  }
  return [{ elemType: x.elemType, shape: out }];
}

function constantTensor(node: Node): TensorProto | undefined {
  const a = node.attribute('value');
  return a && a.type === AttributeType.TENSOR && a.t ? a.t : undefined;
}

const UNARY = ['Relu', 'LeakyRelu', 'ThresholdedRelu', 'Sigmoid', 'Tanh', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Elu', 'Selu', 'Celu', 'Softmax', 'LogSoftmax',
  'Identity', 'Clip', 'Erf', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Ceil', 'Floor', 'Round', 'Reciprocal', 'Sin', 'Cos', 'LRN', 'Gelu',
  'InstanceNormalization', 'LayerNormalization', 'BatchNormalization', 'Dropout', 'Sign', 'Mish', 'Shrink'];
const BINARY = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'Mod'];
const COMPARE = ['Greater', 'Less', 'Equal', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor'];

const RULES: Record<string, Rule> = {
  ...Object.fromEntries(UNARY.map((op) => [op, same])),
  ...Object.fromEntries(BINARY.map((op) => [op, broadcast])),
  ...Object.fromEntries(COMPARE.map((op) => [op, compare])),
  Not: (_n, ins) => [{ elemType: DataType.BOOL, shape: ins[0]?.shape }],
  IsNaN: (_n, ins) => [{ elemType: DataType.BOOL, shape: ins[0]?.shape }],
  IsInf: (_n, ins) => [{ elemType: DataType.BOOL, shape: ins[0]?.shape }],
  Where: (_n, ins) => [{ elemType: ins[1]?.elemType ?? ins[2]?.elemType, shape: broadcastShapes(broadcastShapes(ins[0]?.shape, ins[1]?.shape), ins[2]?.shape) }],
  Cast: (n, ins) => [{ elemType: int(n, 'to', 0) || undefined, shape: ins[0]?.shape }],
  CastLike: (_n, ins) => [{ elemType: ins[1]?.elemType, shape: ins[0]?.shape }],
  Shape: (n, ins) => {
    const rank = ins[0]?.shape?.length;
    if (rank === undefined) return [{ elemType: DataType.INT64, shape: [undefined] }];
    // opset 15 start/end: a slice of the dims, clamped like Python slicing
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
    const start = clamp(int(n, 'start', 0));
    const end = clamp(int(n, 'end', rank));
    return [{ elemType: DataType.INT64, shape: [Math.max(end - start, 0)] }];
  },
  Constant: (n) => {
    const t = constantTensor(n);
    if (t) return [{ elemType: t.dataType, shape: t.dims.map((d) => Long.fromValue(d).toNumber()) }];
    if (n.attribute('value_float')) return [{ elemType: DataType.FLOAT, shape: [] }];
    if (n.attribute('value_int')) return [{ elemType: DataType.INT64, shape: [] }];
    if (n.attribute('value_floats')) return [{ elemType: DataType.FLOAT, shape: [n.attribute('value_floats')!.floats.length] }];
    if (n.attribute('value_ints')) return [{ elemType: DataType.INT64, shape: [n.attribute('value_ints')!.ints.length] }];
    return undefined;
  },
  ConstantOfShape: (n, ins) => {
    const t = constantTensor(n);
    return [{ elemType: t?.dataType ?? DataType.FLOAT, shape: ins[0]?.shape?.[0] !== undefined && typeof ins[0].shape[0] === 'number' ? Array(ins[0].shape[0]).fill(undefined) : undefined }];
  },
  MatMul: (_n, ins) => {
    const a = ins[0]?.shape;
    const b = ins[1]?.shape;
    if (!a || !b || a.length < 1 || b.length < 1) return [{ elemType: ins[0]?.elemType }];
    const a2 = a.length === 1 ? [1, a[0]] : a;
    const b2 = b.length === 1 ? [b[0], 1] : b;
    const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2)) ?? [];
    const out: Dim[] = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
    if (a.length === 1) out.splice(out.length - 2, 1);
    if (b.length === 1) out.splice(out.length - 1, 1);
    return [{ elemType: ins[0]?.elemType, shape: out }];
  },
  Gemm: (n, ins) => {
    const a = ins[0]?.shape;
    const b = ins[1]?.shape;
    const m = a ? (int(n, 'transA', 0) ? a[1] : a[0]) : undefined;
    const nn = b ? (int(n, 'transB', 0) ? b[0] : b[1]) : undefined;
    return [{ elemType: ins[0]?.elemType, shape: a && b ? [m, nn] : undefined }];
  },
  Conv: (n, ins) => convLike(n, ins, ins[1]?.shape?.[0]),
  ConvTranspose: (_n, ins) => [{ elemType: ins[0]?.elemType }],
  MaxPool: (n, ins) => convLike(n, ins, 'same'),
  AveragePool: (n, ins) => convLike(n, ins, 'same'),
  GlobalAveragePool: (_n, ins) => [{ elemType: ins[0]?.elemType, shape: ins[0]?.shape ? [...ins[0].shape.slice(0, 2), ...ins[0].shape.slice(2).map(() => 1)] : undefined }],
  GlobalMaxPool: (_n, ins) => [{ elemType: ins[0]?.elemType, shape: ins[0]?.shape ? [...ins[0].shape.slice(0, 2), ...ins[0].shape.slice(2).map(() => 1)] : undefined }],
  Flatten: (n, ins) => {
    const s = ins[0]?.shape;
    if (!s) return [{ elemType: ins[0]?.elemType }];
    let axis = int(n, 'axis', 1);
    if (axis < 0) axis += s.length;
    const prod = (ds: Dim[]) => ds.reduce<Dim>((p, d) => (typeof p === 'number' && typeof d === 'number' ? p * d : undefined), 1);
    return [{ elemType: ins[0]?.elemType, shape: [prod(s.slice(0, axis)), prod(s.slice(axis))] }];
  },
  Transpose: (n, ins) => {
    const s = ins[0]?.shape;
    const perm = ints(n, 'perm') ?? s?.map((_, i) => s.length - 1 - i);
    return [{ elemType: ins[0]?.elemType, shape: s && perm ? perm.map((p) => s[p]) : undefined }];
  },
  Concat: (n, ins) => {
    const shapes = ins.map((i) => i.shape);
    if (shapes.some((s) => !s)) return [{ elemType: ins[0]?.elemType }];
    const rank = shapes[0]!.length;
    let axis = int(n, 'axis', 0);
    if (axis < 0) axis += rank;
    const out = [...shapes[0]!];
    out[axis] = shapes.reduce<Dim>((sum, s) => (typeof sum === 'number' && typeof s![axis] === 'number' ? sum + (s![axis] as number) : undefined), 0);
    return [{ elemType: ins[0]?.elemType, shape: out }];
  },
  Reshape: (n, ins) => {
    const target = constantIntsOf(n.inputs[1]);
    const s = ins[0]?.shape;
    if (!target) return [{ elemType: ins[0]?.elemType }];
    const allowZero = int(n, 'allowzero', 0) === 1;
    const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? s?.[i] : d === -1 ? undefined : d));
    const known = (ds: Dim[] | undefined) => ds?.every((d) => typeof d === 'number') ? (ds as number[]).reduce((a, b) => a * b, 1) : undefined;
    const total = known(s);
    const rest = known(out.filter((_, i) => target[i] !== -1));
    const minus = target.indexOf(-1);
    if (minus >= 0 && total !== undefined && rest) out[minus] = total / rest;
    return [{ elemType: ins[0]?.elemType, shape: out }];
  },
  Squeeze: (_n, ins) => [{ elemType: ins[0]?.elemType }],
  Unsqueeze: (_n, ins) => [{ elemType: ins[0]?.elemType }],
  Gather: (_n, ins) => [{ elemType: ins[0]?.elemType }],
  Slice: (_n, ins) => [{ elemType: ins[0]?.elemType, shape: ins[0]?.shape?.map(() => undefined) }],
  ReduceSum: reduceLike,
  ReduceMean: reduceLike,
  ReduceMax: reduceLike,
  ReduceProd: reduceLike,
  SoftmaxCrossEntropyLoss: (n, ins) => {
    const reduction = n.attribute('reduction') ? new TextDecoder().decode(n.attribute('reduction')!.s) : 'mean';
    return [{ elemType: ins[0]?.elemType, shape: reduction === 'none' ? ins[1]?.shape : [] }, { elemType: ins[0]?.elemType, shape: ins[0]?.shape }];
  },
  Expand: (_n, ins) => [{ elemType: ins[0]?.elemType }],
};

/** Reduce*: axes from the attribute (older opsets) or a constant second input. */
function reduceLike(n: Node, ins: TensorInfo[]): TensorInfo[] {
  const s = ins[0]?.shape;
  const elemType = ins[0]?.elemType;
  const axes = n.inputs[1] ? constantIntsOf(n.inputs[1]) : ints(n, 'axes') ?? [];
  if (!s || !axes) return [{ elemType }];
  if (axes.length === 0 && int(n, 'noop_with_empty_axes', 0) === 1) return [{ elemType, shape: s }];
  const reduced = new Set((axes.length ? axes : s.map((_, i) => i)).map((a) => (a < 0 ? a + s.length : a)));
  const keep = int(n, 'keepdims', 1) === 1;
  return [{ elemType, shape: s.flatMap((d, i) => (reduced.has(i) ? (keep ? [1] : []) : [d])) }];
}

/** The int64 values `v` holds when it is an initializer or a Constant's output (a shape or axes input). */
function constantIntsOf(v: Value | undefined): number[] | undefined {
  const p = v?.producer();
  return constantInts(v?.initializer ?? (p?.opType === 'Constant' ? constantTensor(p) : undefined));
}

/** Element values of a small constant int64 tensor (for shape inputs), if it is one. */
export function constantInts(t: TensorProto | undefined): number[] | undefined {
  if (!t || isExternal(t) || t.dataType !== DataType.INT64) return undefined;
  if (has(t, 'rawData')) {
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Array.from({ length: t.rawData.length / 8 }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
  }
  return t.int64Data.map((v) => Long.fromValue(v).toNumber());
}

