/** Ops whose output has the shape of an input, or of their inputs broadcast together. */
import { broadcastAll } from '../dims.js';
import type { ShapeRule } from '../types.js';

/** Output 0 (and any further output) has input 0's shape. */
export const sameShape: ShapeRule = (r) => r.node.outputs.map(() => (r.ins[0]?.shape ? { shape: [...r.ins[0].shape] } : undefined));

/** One output: the broadcast of all (present) inputs' shapes. */
export const broadcast: ShapeRule = (r) => [{ shape: broadcastAll(r.ins.filter((_, i) => r.present(i)).map((i) => i.shape)) }];

/** Same shape as input 0 and, for unary integer arithmetic on shapes, the same elements mapped. */
const UNARY_SAME = [
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BitwiseNot', 'Ceil', 'Celu', 'Cos', 'Cosh', 'CumSum', 'Elu', 'Erf', 'Exp',
  'Floor', 'Gelu', 'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'InstanceNormalization', 'IsInf', 'IsNaN', 'LRN', 'LeakyRelu', 'Log',
  'LogSoftmax', 'LpNormalization', 'MeanVarianceNormalization', 'Mish', 'Neg', 'Not', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Shrink',
  'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softmax', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh', 'ThresholdedRelu', 'Clip', 'CastLike', 'Cast',
  'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'EyeLike', 'DequantizeLinear', 'QuantizeLinear', 'ScatterElements', 'Scatter',
  'ScatterND', 'ReverseSequence', 'Trilu', 'Binarizer', 'ImageScaler',
];
const BROADCAST = [
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'And', 'Or', 'Xor', 'Equal', 'Greater', 'Less',
  'GreaterOrEqual', 'LessOrEqual', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'Where',
];

const ARITH: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => Math.trunc(a / b),
};

/** Add/Sub/Mul/Div on shape values (a scalar or a vector, with a scalar broadcast), as onnx's data propagation does. */
const shapeArithmetic = (op: string): ShapeRule => (r) => {
  const out = broadcast(r)![0]!;
  const [a, b] = [r.ins[0]?.value, r.ins[1]?.value];
  const f = ARITH[op]!;
  if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return [out];
  const n = Math.max(a.length, b.length);
  const value = Array.from({ length: n }, (_, i) => {
    const x = a[a.length === 1 ? 0 : i];
    const y = b[b.length === 1 ? 0 : i];
    if (typeof x !== 'number' || typeof y !== 'number' || (op === 'Div' && y === 0)) return undefined;
    return f(x, y);
  });
  return [{ ...out, value: r.ins[0]!.elemType === 7 || r.ins[0]!.elemType === 6 ? value : undefined }];
};

const passValue: ShapeRule = (r) => [{ shape: r.ins[0]?.shape ? [...r.ins[0].shape] : undefined, value: r.ins[0]?.value }];

export const ELEMENTWISE_RULES: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY_SAME.map((op) => [op, sameShape])),
  ...Object.fromEntries(BROADCAST.map((op) => [op, broadcast])),
  ...Object.fromEntries(Object.keys(ARITH).map((op) => [op, shapeArithmetic(op)])),
  Identity: passValue,
  DynamicQuantizeLinear: (r) => [r.ins[0]?.shape ? { shape: [...r.ins[0].shape] } : undefined, { shape: [] }, { shape: [] }],
  Cast: (r) => {
    const to = r.node.attrs.int('to');
    const integral = to === 6 || to === 7;
    return [{ shape: r.ins[0]?.shape ? [...r.ins[0].shape] : undefined, value: integral ? r.ins[0]?.value?.map((d) => (typeof d === 'number' ? Math.trunc(d) : d)) : undefined }];
  },
  Dropout: (r) => [r.ins[0]?.shape ? { shape: [...r.ins[0].shape] } : undefined, r.ins[0]?.shape ? { shape: [...r.ins[0].shape] } : undefined],
};
