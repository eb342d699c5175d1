/**
 * The first step of building a gradient (tfjs's getFilteredNodesXToY): the
 * nodes on a differentiable path from a --wrt tensor to the loss. Only float
 * values on such a path need rules. Integer and bool values, the outputs of
 * Shape/Size/comparisons/ArgMax/NonZero/Range/ConstantOfShape/..., and the
 * shape and index inputs of Reshape/Expand/Slice/Pad/Resize/Gather/... carry
 * no gradient and never ask for one.
 */
import { DataType } from '../onnx/proto.js';
import type { Graph } from '../graph/graph.js';
import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';
import type { TensorInfo } from '../graph/infer/types.js';
import { topologicalOrder } from '../graph/toposort.js';
import { isAiOnnxDomain } from '../onnx/domain.js';
import { ARITHMETIC_FLOAT_TYPES } from '../onnx/dtypes.js';

/** The float types a gradient flows in (onnx/dtypes.ts's ARITHMETIC_FLOAT_TYPES: FLOAT, DOUBLE, FLOAT16, BFLOAT16). */
export const FLOAT_TYPES: readonly number[] = ARITHMETIC_FLOAT_TYPES;

/** Ops whose outputs carry no gradient: integer/bool results, or constant almost everywhere (as in PyTorch). */
const NO_GRADIENT_OUT = new Set([
  'Shape', 'Size', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf',
  'ArgMax', 'ArgMin', 'NonZero', 'Range', 'ConstantOfShape', 'EyeLike', 'OneHot', 'Sign', 'Floor', 'Ceil', 'Round',
  'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot',
]);

/** Inputs (by position) that are shapes, indices, axes, conditions or settings: no gradient flows into them. */
const NON_DIFFERENTIABLE_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1], Expand: [1], Tile: [1], Squeeze: [1], Unsqueeze: [1], Split: [1], Slice: [1, 2, 3, 4], Pad: [1, 2, 3],
  Resize: [1, 2, 3], Upsample: [1], Gather: [1], GatherElements: [1], GatherND: [1], ScatterElements: [1], ScatterND: [1],
  TopK: [1], CumSum: [1], Trilu: [1], Where: [0], Dropout: [1, 2], Compress: [1], ReverseSequence: [1],
  SoftmaxCrossEntropyLoss: [1], NegativeLogLikelihoodLoss: [1], CastLike: [1],
  ReduceSum: [1], ReduceMean: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1],
  ReduceLogSum: [1], ReduceLogSumExp: [1], ReduceSumSquare: [1],
};

const isOnnx = (n: Node) => isAiOnnxDomain(n.domain);

/** Whether input `i` of `node` can carry a gradient (by the op's definition, not by what feeds it). */
export function differentiableInput(node: Node, i: number): boolean {
  if (!isOnnx(node)) return true;
  if (NO_GRADIENT_OUT.has(node.opType)) return false;
  return !(Object.hasOwn(NON_DIFFERENTIABLE_INPUTS, node.opType) && NON_DIFFERENTIABLE_INPUTS[node.opType]!.includes(i));
}

export interface GradientPath {
  /** Values that depend differentiably on a --wrt tensor. */
  fromWrt: ReadonlySet<Value>;
  /** Nodes on a differentiable path from a --wrt tensor to the loss, in reverse topological order. */
  active: Node[];
  /** A readable path from a --wrt tensor to `node` ("x → Conv 'c1' → Erf 'e'"), for errors. */
  describe(node: Node): string;
}

/** A node's inputs, and for If/Loop/Scan the outer-scope values its subgraphs read (Silero VAD's LSTM sits in an If branch). */
const reads = (n: Node): readonly (Value | undefined)[] => (n.subgraphs.size ? [...n.inputs, ...n.outerScopeInputs()] : n.inputs);

export function findPath(graph: Graph, wrt: readonly Value[], loss: Value, info: (v: Value) => TensorInfo | undefined): GradientPath {
  const isFloat = (v: Value) => FLOAT_TYPES.includes(info(v)?.elemType ?? DataType.FLOAT);
  const order = topologicalOrder(graph);
  const fromWrt = new Set<Value>(wrt);
  const via = new Map<Value, { node: Node; input: Value }>();
  for (const n of order) {
    const src = reads(n).findIndex((v, i) => !!v && fromWrt.has(v) && differentiableInput(n, i));
    if (src < 0) continue;
    for (const v of n.outputs) {
      if (!v || !isFloat(v) || (isOnnx(n) && NO_GRADIENT_OUT.has(n.opType))) continue;
      fromWrt.add(v);
      via.set(v, { node: n, input: reads(n)[src]! });
    }
  }
  const toLoss = new Set<Value>([loss]);
  const active: Node[] = [];
  for (const n of [...order].reverse()) {
    if (!n.outputs.some((v) => v && toLoss.has(v) && fromWrt.has(v))) continue;
    reads(n).forEach((v, i) => v && differentiableInput(n, i) && toLoss.add(v));
    if (reads(n).some((v, i) => v && fromWrt.has(v) && differentiableInput(n, i))) active.push(n);
  }
  const label = (n: Node) => `${n.opType} '${n.name || n.outputs[0]?.name}'`;
  const describe = (node: Node): string => {
    const steps = [label(node)];
    let v = reads(node).find((x, i) => !!x && fromWrt.has(x) && differentiableInput(node, i));
    for (let guard = 0; v && guard < 10_000; guard++) {
      const step = via.get(v);
      if (!step) { steps.push(v.name); break; }
      steps.push(label(step.node));
      v = step.input;
    }
    steps.reverse();
    return (steps.length > 7 ? [...steps.slice(0, 2), `(${steps.length - 6} more)`, ...steps.slice(-4)] : steps).join(' → ');
  };
  return { fromWrt, active, describe };
}
