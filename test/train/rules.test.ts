// Every gradient rule on a small fixture: loss = ReduceSum(op(...) * R) with R
// random, gradients from the appended backward graph (run in ORT) against
// central differences of the loss in float64 (ORT cpu). Ops ORT cannot run in
// double (Conv, AveragePool, ConvTranspose-based) are checked against naive
// float64 references written here instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { DataType, AttributeType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { buildGradient, parameterFeeds, GRADIENT_RULES, maxPoolIndicesGrad, withRules } from '../../src/train/index.js';
import { runOnCpu } from '../../src/runtime/index.js';
import { checkWithOrt, f32, fixtureModel, flt, gradientOf, i64, int, ints, randomArray, size, str, type Fixture, type N } from './rule-fixtures.js';
import { thresholdedReluGradReference } from '../../src/ops/thresholded-relu/reference.js';

const FIXTURES: Record<string, Fixture> = {
  ThresholdedRelu: { nodes: [{ opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: [flt('alpha', 0.3)] }], x: [3, 4], y: [3, 4] },
  'ThresholdedRelu (alpha < 0)': { nodes: [{ opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: [flt('alpha', -0.7)] }], x: [3, 4], y: [3, 4] },
  Relu: { nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4] },
  LeakyRelu: { nodes: [{ opType: 'LeakyRelu', input: ['x'], output: ['y'], attribute: [flt('alpha', 0.2)] }], x: [3, 4], y: [3, 4] },
  Sigmoid: { nodes: [{ opType: 'Sigmoid', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4] },
  Tanh: { nodes: [{ opType: 'Tanh', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4] },
  Softmax: { nodes: [{ opType: 'Softmax', input: ['x'], output: ['y'], attribute: [int('axis', 1)] }], x: [3, 4], y: [3, 4] },
  LogSoftmax: { nodes: [{ opType: 'LogSoftmax', input: ['x'], output: ['y'], attribute: [int('axis', -1)] }], x: [2, 3, 4], y: [2, 3, 4] },
  Gemm: { nodes: [{ opType: 'Gemm', input: ['x', 'W', 'C'], output: ['y'], attribute: [int('transB', 1), flt('alpha', 0.7), flt('beta', 1.3)] }], x: [3, 4], y: [3, 5], params: [{ name: 'W', dims: [5, 4] }, { name: 'C', dims: [5] }] },
  'Gemm (transA, broadcast C)': { nodes: [{ opType: 'Gemm', input: ['x', 'W', 'C'], output: ['y'], attribute: [int('transA', 1)] }], x: [4, 3], y: [3, 5], params: [{ name: 'W', dims: [4, 5] }, { name: 'C', dims: [1, 5] }] },
  'Gemm (transA, transB, alpha, beta)': { nodes: [{ opType: 'Gemm', input: ['x', 'W', 'C'], output: ['y'], attribute: [int('transA', 1), int('transB', 1), flt('alpha', -0.6), flt('beta', 2)] }], x: [4, 3], y: [3, 5], params: [{ name: 'W', dims: [5, 4] }, { name: 'C', dims: [3, 1] }] },
  'MatMul (batched, broadcast)': { nodes: [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], x: [2, 3, 4], y: [2, 3, 5], params: [{ name: 'W', dims: [4, 5] }] },
  'Add (broadcast)': { nodes: [{ opType: 'Add', input: ['x', 'B'], output: ['y'] }], x: [3, 4], y: [3, 4], params: [{ name: 'B', dims: [1, 4] }] },
  Sub: { nodes: [{ opType: 'Sub', input: ['B', 'x'], output: ['y'] }], x: [3, 4], y: [3, 4], params: [{ name: 'B', dims: [4] }] },
  Mul: { nodes: [{ opType: 'Mul', input: ['x', 'B'], output: ['y'] }], x: [3, 4], y: [3, 4], params: [{ name: 'B', dims: [3, 1] }] },
  Div: { nodes: [{ opType: 'Div', input: ['x', 'B'], output: ['y'] }], x: [3, 4], y: [3, 4], params: [{ name: 'B', dims: [4], lo: 1, hi: 2 }] },
  Neg: { nodes: [{ opType: 'Neg', input: ['x'], output: ['y'] }], x: [5], y: [5] },
  Exp: { nodes: [{ opType: 'Exp', input: ['x'], output: ['y'] }], x: [5], y: [5] },
  Log: { nodes: [{ opType: 'Log', input: ['x'], output: ['y'] }], x: [5], y: [5], xRange: [0.5, 2] },
  Sqrt: { nodes: [{ opType: 'Sqrt', input: ['x'], output: ['y'] }], x: [5], y: [5], xRange: [0.5, 2] },
  'Pow (base)': { nodes: [{ opType: 'Pow', input: ['x', 'e'], output: ['y'] }], x: [5], y: [5], xRange: [0.5, 2], constants: [f32('e', [], Float32Array.of(2.5))] },
  Reshape: { nodes: [{ opType: 'Reshape', input: ['x', 's'], output: ['y'] }], x: [2, 6], y: [3, 4], constants: [i64('s', [2], [3, 4])] },
  Flatten: { nodes: [{ opType: 'Flatten', input: ['x'], output: ['y'] }], x: [2, 2, 3], y: [2, 6] },
  Transpose: { nodes: [{ opType: 'Transpose', input: ['x'], output: ['y'], attribute: [ints('perm', [2, 0, 1])] }], x: [2, 3, 4], y: [4, 2, 3] },
  'Squeeze/Unsqueeze': { nodes: [{ opType: 'Unsqueeze', input: ['x', 'a'], output: ['u'] }, { opType: 'Squeeze', input: ['u', 'a'], output: ['y'] }], x: [3, 4], y: [3, 4], constants: [i64('a', [1], [1])] },
  Concat: { nodes: [{ opType: 'Concat', input: ['x', 'B'], output: ['y'], attribute: [int('axis', 1)] }], x: [2, 3], y: [2, 5], params: [{ name: 'B', dims: [2, 2] }] },
  Slice: { nodes: [{ opType: 'Slice', input: ['x', 'st', 'en', 'ax'], output: ['y'] }], x: [4, 5], y: [2, 3], constants: [i64('st', [2], [1, 1]), i64('en', [2], [3, -1]), i64('ax', [2], [0, 1])] },
  Gather: { nodes: [{ opType: 'Gather', input: ['x', 'idx'], output: ['y'], attribute: [int('axis', 1)] }], x: [3, 4], y: [3, 3], constants: [i64('idx', [3], [0, 2, 2])] },
  ReduceSum: { nodes: [{ opType: 'ReduceSum', input: ['x', 'a'], output: ['y'], attribute: [int('keepdims', 0)] }], x: [3, 4], y: [4], constants: [i64('a', [1], [0])] },
  ReduceMean: { nodes: [{ opType: 'ReduceMean', input: ['x'], output: ['y'], attribute: [ints('axes', [1]), int('keepdims', 1)] }], x: [3, 4], y: [3, 1] },
  Identity: { nodes: [{ opType: 'Identity', input: ['x'], output: ['y'] }], x: [3], y: [3] },
  'BatchNormalization (inference)': { nodes: [{ opType: 'BatchNormalization', input: ['x', 'sc', 'bi', 'mu', 'va'], output: ['y'], attribute: [flt('epsilon', 1e-3)] }], x: [2, 3, 2, 2], y: [2, 3, 2, 2], params: [{ name: 'sc', dims: [3] }, { name: 'bi', dims: [3] }, { name: 'mu', dims: [3] }, { name: 'va', dims: [3], lo: 0.5, hi: 2 }] },
  'Dropout (inference)': { nodes: [{ opType: 'Dropout', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4] },
  'MaxPool (tiling windows)': { nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] }], x: [2, 2, 4, 6], y: [2, 2, 2, 3] },
  'MaxPool (1-D, gaps between windows)': { nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [2]), ints('strides', [3])] }], x: [2, 3, 9], y: [2, 3, 3] },
  'MaxPool (overlapping windows, padding)': { nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])] }], x: [1, 2, 5, 5], y: [1, 2, 3, 3] },
  GlobalAveragePool: { nodes: [{ opType: 'GlobalAveragePool', input: ['x'], output: ['y'] }], x: [2, 3, 3, 3], y: [2, 3, 1, 1] },
  SoftmaxCrossEntropyLoss: { nodes: [{ opType: 'SoftmaxCrossEntropyLoss', input: ['x', 'lab'], output: ['loss'], attribute: [str('reduction', 'mean')] }], x: [4, 5], y: [], ownLoss: true, constants: [i64('lab', [4], [1, 0, 4, 2])] },
  'SoftmaxCrossEntropyLoss (int32 labels, sum)': { nodes: [{ opType: 'SoftmaxCrossEntropyLoss', input: ['x', 'lab'], output: ['loss'], attribute: [str('reduction', 'sum')] }], x: [3, 4], y: [], ownLoss: true, constants: [{ name: 'lab', dataType: DataType.INT32, dims: [Long.fromNumber(3)], int32Data: [3, 0, 1] }] },
  'MSE (as --loss-fn mse appends it)': { nodes: [{ opType: 'Sub', input: ['x', 'T'], output: ['d'] }, { opType: 'Mul', input: ['d', 'd'], output: ['d2'] }, { opType: 'ReduceMean', input: ['d2'], output: ['loss'], attribute: [int('keepdims', 0)] }], x: [3, 4], y: [], ownLoss: true, constants: [f32('T', [3, 4], randomArray(12, 5))] },
  // ---- issue 10: what real networks put on the path ----
  'Clip (ReLU6: min, max as inputs)': { nodes: [{ opType: 'Clip', input: ['x', 'lo', 'hi'], output: ['y'] }], x: [3, 4], y: [3, 4], xRange: [-1, 7], constants: [f32('lo', [], Float32Array.of(0)), f32('hi', [], Float32Array.of(6))] },
  'Clip (max only)': { nodes: [{ opType: 'Clip', input: ['x', '', 'hi'], output: ['y'] }], x: [6], y: [6], constants: [f32('hi', [], Float32Array.of(0.5))] },
  // --wrt params on an exported ReLU6 reaches its bounds: min and max differentiated too.
  'Clip (min, max differentiated)': { nodes: [{ opType: 'Clip', input: ['x', 'lo', 'hi'], output: ['y'] }], x: [3, 4], y: [3, 4], xRange: [-2, 2], params: [{ name: 'lo', dims: [], lo: -0.9, hi: -0.3 }, { name: 'hi', dims: [], lo: 0.3, hi: 0.9 }] },
  Erf: { nodes: [{ opType: 'Erf', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4], float32: true },
  'GELU as exporters write it (Div, Erf, Add, Mul, Mul)': {
    nodes: [{ opType: 'Div', input: ['x', 'r2'], output: ['a'] }, { opType: 'Erf', input: ['a'], output: ['e'] }, { opType: 'Add', input: ['e', 'one'], output: ['e1'] }, { opType: 'Mul', input: ['x', 'e1'], output: ['xe'] }, { opType: 'Mul', input: ['xe', 'half'], output: ['y'] }],
    x: [3, 4], y: [3, 4], float32: true, constants: [f32('r2', [], Float32Array.of(Math.SQRT2)), f32('one', [], Float32Array.of(1)), f32('half', [], Float32Array.of(0.5))],
  },
  'LayerNormalization (axis -1)': { nodes: [{ opType: 'LayerNormalization', input: ['x', 'sc', 'bi'], output: ['y'], attribute: [int('axis', -1), flt('epsilon', 1e-5)] }], x: [2, 3, 4], y: [2, 3, 4], params: [{ name: 'sc', dims: [4] }, { name: 'bi', dims: [4] }] },
  'LayerNormalization (axis 1, two axes)': { nodes: [{ opType: 'LayerNormalization', input: ['x', 'sc', 'bi'], output: ['y'], attribute: [int('axis', 1)] }], x: [2, 3, 4], y: [2, 3, 4], params: [{ name: 'sc', dims: [3, 4] }, { name: 'bi', dims: [3, 4] }] },
  Abs: { nodes: [{ opType: 'Abs', input: ['x'], output: ['y'] }], x: [7], y: [7] },
  'MatMul (both batched, broadcast batch)': { nodes: [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], x: [2, 3, 4], y: [2, 3, 5], params: [{ name: 'W', dims: [1, 4, 5] }] },
  'MatMul (1-D weight)': { nodes: [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], x: [2, 3, 4], y: [2, 3], params: [{ name: 'W', dims: [4] }] },
  'MatMul (1-D input)': { nodes: [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }], x: [4], y: [5], params: [{ name: 'W', dims: [4, 5] }] },
  'Slice (steps -2: scattered back)': { nodes: [{ opType: 'Slice', input: ['x', 'st', 'en', 'ax', 'sp'], output: ['y'] }], x: [4, 5], y: [4, 2], constants: [i64('st', [1], [-1]), i64('en', [1], [0]), i64('ax', [1], [1]), i64('sp', [1], [-2])] },
  'Conv (1-D, stride 2, pads, bias)': { nodes: [{ opType: 'Conv', input: ['x', 'W', 'B'], output: ['y'], attribute: [ints('kernel_shape', [3]), ints('strides', [2]), ints('pads', [1, 1])] }], x: [2, 3, 7], y: [2, 4, 4], float32: true, params: [{ name: 'W', dims: [4, 3, 3] }, { name: 'B', dims: [4] }] },
  'MaxPool (ceil_mode, overlapping)': { nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), int('ceil_mode', 1)] }], x: [1, 2, 6, 6], y: [1, 2, 3, 3] },
  'NegativeLogLikelihoodLoss (weight, ignore_index, mean)': {
    nodes: [{ opType: 'NegativeLogLikelihoodLoss', input: ['x', 'lab', 'w'], output: ['loss'], attribute: [str('reduction', 'mean'), int('ignore_index', -100)] }],
    x: [4, 3], y: [], ownLoss: true, constants: [i64('lab', [4], [2, -100, 0, 1]), f32('w', [3], Float32Array.of(0.5, 2, 1.5))],
  },
  'NegativeLogLikelihoodLoss (rank 3, none, summed with weights)': {
    nodes: [{ opType: 'NegativeLogLikelihoodLoss', input: ['x', 'lab'], output: ['l'], attribute: [str('reduction', 'none')] }, { opType: 'Mul', input: ['l', 'k'], output: ['lk'] }, { opType: 'ReduceSum', input: ['lk'], output: ['loss'], attribute: [int('keepdims', 0)] }],
    x: [2, 3, 2], y: [], ownLoss: true, constants: [i64('lab', [2, 2], [0, 2, 1, 1]), f32('k', [2, 2], Float32Array.of(1, -2, 0.5, 3))],
  },
  'SoftmaxCrossEntropyLoss (log_prob reaches the loss)': {
    nodes: [{ opType: 'SoftmaxCrossEntropyLoss', input: ['x', 'lab'], output: ['ce', 'lp'], attribute: [int('ignore_index', -100)] }, { opType: 'Mul', input: ['lp', 'k'], output: ['lpk'] }, { opType: 'ReduceSum', input: ['lpk'], output: ['s'], attribute: [int('keepdims', 0)] }, { opType: 'Add', input: ['ce', 's'], output: ['loss'] }],
    x: [3, 4], y: [], ownLoss: true, constants: [i64('lab', [3], [1, -100, 3]), f32('k', [3, 4], randomArray(12, 5))],
  },
  'Where (bool condition, broadcast B)': { nodes: [{ opType: 'Where', input: ['c', 'x', 'B'], output: ['y'] }], x: [3, 4], y: [3, 4], params: [{ name: 'B', dims: [4] }], constants: [{ name: 'c', dataType: DataType.BOOL, dims: [Long.fromNumber(3), Long.fromNumber(4)], rawData: Uint8Array.from({ length: 12 }, (_, i) => (i * 5) % 3 === 0 ? 1 : 0) }] },
  Expand: { nodes: [{ opType: 'Expand', input: ['x', 's'], output: ['y'] }], x: [3, 1], y: [2, 3, 4], constants: [i64('s', [3], [2, 3, 4])] },
  'Cast (float → double → float)': { nodes: [{ opType: 'Cast', input: ['x'], output: ['d'], attribute: [int('to', DataType.DOUBLE)] }, { opType: 'Mul', input: ['d', 'd'], output: ['d2'] }, { opType: 'Cast', input: ['d2'], output: ['y'], attribute: [int('to', DataType.FLOAT)] }], x: [5], y: [5] },
  Softplus: { nodes: [{ opType: 'Softplus', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4], float32: true },
  Reciprocal: { nodes: [{ opType: 'Reciprocal', input: ['x'], output: ['y'] }], x: [5], y: [5], xRange: [0.5, 2] },
  HardSigmoid: { nodes: [{ opType: 'HardSigmoid', input: ['x'], output: ['y'], attribute: [flt('alpha', 0.4), flt('beta', 0.3)] }], x: [3, 4], y: [3, 4], xRange: [-3, 3], float32: true },
  HardSwish: { nodes: [{ opType: 'HardSwish', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4], xRange: [-5, 5], float32: true },
  Elu: { nodes: [{ opType: 'Elu', input: ['x'], output: ['y'], attribute: [flt('alpha', 0.7)] }], x: [3, 4], y: [3, 4], float32: true },
  Selu: { nodes: [{ opType: 'Selu', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4], float32: true },
  'PRelu (slope per channel)': { nodes: [{ opType: 'PRelu', input: ['x', 'S'], output: ['y'] }], x: [2, 3, 4], y: [2, 3, 4], params: [{ name: 'S', dims: [3, 1], lo: 0.1, hi: 0.5 }] },
  'Split (both halves used)': { nodes: [{ opType: 'Split', input: ['x', 'sp'], output: ['a', 'b'], attribute: [int('axis', 1)] }, { opType: 'Mul', input: ['a', 'b'], output: ['y'] }], x: [4, 6], y: [4, 3], constants: [i64('sp', [2], [3, 3])] },
  'Split (one output unused)': { nodes: [{ opType: 'Split', input: ['x', 'sp'], output: ['a', 'b'], attribute: [int('axis', 0)] }, { opType: 'Neg', input: ['b'], output: ['y'] }], x: [4, 3], y: [1, 3], constants: [i64('sp', [2], [3, 1])] },
  'ReduceMax (axis 1, keepdims 0)': { nodes: [{ opType: 'ReduceMax', input: ['x'], output: ['y'], attribute: [ints('axes', [1]), int('keepdims', 0)] }], x: [3, 4], y: [3] },
  'ReduceMin (all)': { nodes: [{ opType: 'ReduceMin', input: ['x'], output: ['y'], attribute: [int('keepdims', 1)] }], x: [3, 4], y: [1, 1] },
  'ReduceL2 (axis -1)': { nodes: [{ opType: 'ReduceL2', input: ['x'], output: ['y'], attribute: [ints('axes', [-1])] }], x: [2, 3, 4], y: [2, 3, 1] },
  ReduceL1: { nodes: [{ opType: 'ReduceL1', input: ['x'], output: ['y'], attribute: [ints('axes', [0]), int('keepdims', 0)] }], x: [3, 4], y: [4] },
  ReduceSumSquare: { nodes: [{ opType: 'ReduceSumSquare', input: ['x'], output: ['y'], attribute: [ints('axes', [1])] }], x: [3, 4], y: [3, 1] },
  ReduceLogSumExp: { nodes: [{ opType: 'ReduceLogSumExp', input: ['x'], output: ['y'], attribute: [ints('axes', [1]), int('keepdims', 0)] }], x: [3, 4], y: [3] },
  'Max (three inputs, broadcast)': { nodes: [{ opType: 'Max', input: ['x', 'B', 'C'], output: ['y'] }], x: [3, 4], y: [3, 4], params: [{ name: 'B', dims: [4] }, { name: 'C', dims: [3, 1] }] },
  Min: { nodes: [{ opType: 'Min', input: ['x', 'B'], output: ['y'] }], x: [3, 4], y: [3, 4], params: [{ name: 'B', dims: [3, 4] }] },
  Tile: { nodes: [{ opType: 'Tile', input: ['x', 'r'], output: ['y'] }], x: [2, 3], y: [4, 9], constants: [i64('r', [2], [2, 3])] },
  'Pad (constant)': { nodes: [{ opType: 'Pad', input: ['x', 'p'], output: ['y'], attribute: [str('mode', 'constant')] }], x: [2, 3], y: [3, 6], constants: [i64('p', [4], [1, 2, 0, 1])] },
  'Pad (reflect)': { nodes: [{ opType: 'Pad', input: ['x', 'p'], output: ['y'], attribute: [str('mode', 'reflect')] }], x: [3, 4], y: [5, 7], constants: [i64('p', [4], [1, 2, 1, 1])] },
  'Pad (edge)': { nodes: [{ opType: 'Pad', input: ['x', 'p'], output: ['y'], attribute: [str('mode', 'edge')] }], x: [3, 4], y: [4, 8], constants: [i64('p', [4], [0, 1, 1, 3])] },
  'Pad (constant, a negative pad)': { nodes: [{ opType: 'Pad', input: ['x', 'p'], output: ['y'], attribute: [str('mode', 'constant')] }], x: [3, 4], y: [4, 4], constants: [i64('p', [4], [1, -1, 0, 1])] },
  'GatherElements (negative indices)': { nodes: [{ opType: 'GatherElements', input: ['x', 'i'], output: ['y'], attribute: [int('axis', 1)] }], x: [2, 4], y: [2, 3], constants: [i64('i', [2, 3], [0, -1, 0, 3, 3, -4])] },
  'Gather (indices computed at run time: ArgMax of x)': {
    nodes: [{ opType: 'ArgMax', input: ['x'], output: ['am'], attribute: [int('axis', 1), int('keepdims', 0)] }, { opType: 'Gather', input: ['W', 'am'], output: ['g'], attribute: [int('axis', 0)] }, { opType: 'Mul', input: ['g', 'x'], output: ['y'] }],
    x: [3, 4], y: [3, 4], params: [{ name: 'W', dims: [4, 4] }],
  },
  'Resize (nearest, scales 2 x 1.5)': { nodes: [{ opType: 'Resize', input: ['x', '', 'sc'], output: ['y'], attribute: [str('mode', 'nearest')] }], x: [1, 2, 3, 4], y: [1, 2, 6, 6], float32: true, constants: [f32('sc', [4], Float32Array.of(1, 1, 2, 1.5))] },
  'Resize (nearest, downsampling by sizes, asymmetric, floor)': { nodes: [{ opType: 'Resize', input: ['x', '', '', 'sz'], output: ['y'], attribute: [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')] }], x: [1, 1, 5, 6], y: [1, 1, 2, 3], float32: true, constants: [i64('sz', [4], [1, 1, 2, 3])] },
  'Gelu-20 (none)': { nodes: [{ opType: 'Gelu', input: ['x'], output: ['y'] }], x: [3, 4], y: [3, 4], opset: 20, float32: true },
  'Gelu-20 (tanh)': { nodes: [{ opType: 'Gelu', input: ['x'], output: ['y'], attribute: [str('approximate', 'tanh')] }], x: [3, 4], y: [3, 4], opset: 20 },
};

for (const [label, f] of Object.entries(FIXTURES)) {
  test(`gradient rule: ${label} (float64 finite differences in ORT)`, () => checkWithOrt(label, f));
}

// ---- Conv and AveragePool: ORT's CPU EP has no double kernels, so float64 references here ----

function conv2d(x: Float64Array, xs: number[], w: Float64Array, ws: number[], bias: Float64Array | undefined, o: { strides: number[]; pads: number[]; dil: number[]; group: number }) {
  const [n, c, h, wd] = xs as [number, number, number, number];
  const [m, cg, kh, kw] = ws as [number, number, number, number];
  const oh = Math.floor((h + o.pads[0]! + o.pads[2]! - ((kh - 1) * o.dil[0]! + 1)) / o.strides[0]!) + 1;
  const ow = Math.floor((wd + o.pads[1]! + o.pads[3]! - ((kw - 1) * o.dil[1]! + 1)) / o.strides[1]!) + 1;
  const y = new Float64Array(n * m * oh * ow);
  const mg = m / o.group;
  for (let b = 0; b < n; b++) for (let mm = 0; mm < m; mm++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let s = bias ? bias[mm]! : 0;
    const g = Math.floor(mm / mg);
    for (let cc = 0; cc < cg; cc++) for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
      const hi = i * o.strides[0]! + a * o.dil[0]! - o.pads[0]!;
      const wi = j * o.strides[1]! + e * o.dil[1]! - o.pads[1]!;
      if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
      s += x[((b * c + g * cg + cc) * h + hi) * wd + wi]! * w[((mm * cg + cc) * kh + a) * kw + e]!;
    }
    y[((b * m + mm) * oh + i) * ow + j] = s;
  }
  return { y, dims: [n, m, oh, ow] };
}

for (const [label, o] of [
  ['Conv (pads, strides)', { strides: [2, 1], pads: [1, 0, 1, 1], dil: [1, 1], group: 1, x: [2, 2, 5, 5], w: [3, 2, 3, 2] }],
  ['Conv (groups 2, dilation 2)', { strides: [1, 1], pads: [1, 1, 1, 1], dil: [2, 2], group: 2, x: [1, 4, 6, 6], w: [4, 2, 2, 2] }],
  ['Conv (1x1, pads past the kernel: ConvTranspose for dX)', { strides: [1, 1], pads: [1, 0, 1, 2], dil: [1, 1], group: 1, x: [2, 3, 4, 4], w: [2, 3, 1, 1] }],
  ['Conv (stride 1, asymmetric pads, dilation)', { strides: [1, 1], pads: [2, 0, 1, 1], dil: [1, 2], group: 1, x: [2, 3, 5, 6], w: [2, 3, 3, 2] }],
  ['Conv (depthwise: one output channel per group, stride 2)', { strides: [2, 2], pads: [1, 1, 1, 1], dil: [1, 1], group: 4, x: [2, 4, 6, 6], w: [4, 1, 3, 3] }],
  ['Conv (groups 2, one output channel and two inputs per group)', { strides: [1, 1], pads: [0, 1, 1, 0], dil: [1, 1], group: 2, x: [2, 4, 5, 5], w: [2, 2, 3, 2] }],
  // 1x1 without pads: the rule takes X itself (stride 1) or a strided Slice of it as the patches.
  ['Conv (1x1, no pads: the patches are X)', { strides: [1, 1], pads: [0, 0, 0, 0], dil: [1, 1], group: 1, x: [2, 3, 4, 5], w: [4, 3, 1, 1] }],
  ['Conv (1x1, stride 2 on odd sizes, no pads: a strided Slice)', { strides: [2, 3], pads: [0, 0, 0, 0], dil: [1, 1], group: 1, x: [2, 3, 5, 7], w: [4, 3, 1, 1] }],
  ['Conv (1x1, groups 3, two outputs per group, stride 2)', { strides: [2, 2], pads: [0, 0, 0, 0], dil: [1, 1], group: 3, x: [2, 6, 5, 4], w: [6, 2, 1, 1] }],
  ['Conv (1x1 depthwise)', { strides: [1, 1], pads: [0, 0, 0, 0], dil: [1, 1], group: 4, x: [2, 4, 3, 3], w: [4, 1, 1, 1] }],
] as const) {
  test(`gradient rule: ${label} against a float64 reference`, async () => {
    const f: Fixture = {
      nodes: [{ opType: 'Conv', input: ['x', 'W', 'B'], output: ['y'], attribute: [ints('strides', [...o.strides]), ints('pads', [...o.pads]), ints('dilations', [...o.dil]), int('group', o.group)] }],
      x: [...o.x], y: [], params: [{ name: 'W', dims: [...o.w] }, { name: 'B', dims: [o.w[0]] }],
    };
    const opts = { strides: [...o.strides], pads: [...o.pads], dil: [...o.dil], group: o.group };
    const probe = conv2d(new Float64Array(size(f.x)), f.x, new Float64Array(size([...o.w])), [...o.w], undefined, opts);
    f.y = probe.dims;
    const { bytes, feeds } = gradientOf(f);
    const out = await runOnCpu(bytes, feeds);
    const R = Float64Array.from(randomArray(size(f.y), 99));
    const lossOf = (x: Float64Array, w: Float64Array, b: Float64Array) => conv2d(x, f.x, w, [...o.w], b, opts).y.reduce((s, v, i) => s + v * R[i]!, 0);
    const vals = { x: Float64Array.from(feeds.x!.data as Float32Array), W: Float64Array.from(feeds.W!.data as Float32Array), B: Float64Array.from(feeds.B!.data as Float32Array) };
    const h = 1e-6;
    for (const name of ['x', 'W', 'B'] as const) {
      const grad = out[`${name}_grad`]!.data as Float32Array;
      for (let k = 0; k < Math.min(12, grad.length); k++) {
        const i = (k * 7919) % grad.length;
        const plus = { ...vals, [name]: Float64Array.from(vals[name]) };
        const minus = { ...vals, [name]: Float64Array.from(vals[name]) };
        plus[name][i]! += h;
        minus[name][i]! -= h;
        const fd = (lossOf(plus.x, plus.W, plus.B) - lossOf(minus.x, minus.W, minus.B)) / (2 * h);
        assert.ok(Math.abs(fd - grad[i]!) <= 1e-4 * Math.max(1, Math.abs(fd)), `${label} d${name}[${i}]: fd ${fd}, graph ${grad[i]}`);
      }
    }
  });
}

test('gradient rule: AveragePool against a float64 reference', async () => {
  const f: Fixture = { nodes: [{ opType: 'AveragePool', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [1, 2])] }], x: [1, 2, 4, 5], y: [1, 2, 3, 2] };
  const { bytes, feeds } = gradientOf(f);
  const out = await runOnCpu(bytes, feeds);
  const R = Float64Array.from(randomArray(12, 99));
  // d loss / dx = sum over windows containing x of R / 4: exact, computed directly.
  const expected = new Float64Array(40);
  for (let c = 0; c < 2; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let a = 0; a < 2; a++) for (let e = 0; e < 2; e++) {
    expected[(c * 4 + i + a) * 5 + j * 2 + e] += R[(c * 3 + i) * 2 + j]! / 4;
  }
  const got = out.x_grad!.data as Float32Array;
  expected.forEach((v, i) => assert.ok(Math.abs(v - got[i]!) < 1e-6, `dx[${i}] ${got[i]} vs ${v}`));
});

test('MaxPool: each window\'s first maximum takes the gradient, through ArgMax (default, every EP) or Indices (maxPoolIndicesGrad)', async () => {
  const indicesRules = withRules(GRADIENT_RULES, maxPoolIndicesGrad);
  const cases = [
    { k: 2, st: 2, size: 4, rules: GRADIENT_RULES, op: 'ArgMax', warns: false },
    { k: 3, st: 3, size: 7, rules: GRADIENT_RULES, op: 'ArgMax', warns: false }, // a row and a column past the last window
    { k: 2, st: 3, size: 7, rules: GRADIENT_RULES, op: 'ArgMax', warns: false }, // gaps between windows
    { k: 2, st: 2, size: 4, rules: indicesRules, op: 'MaxUnpool', warns: false },
    { k: 2, st: 1, size: 4, rules: GRADIENT_RULES, op: 'ArgMax', warns: false }, // overlapping windows: ConvTranspose sums them
    { k: 3, st: 2, size: 6, rules: GRADIENT_RULES, op: 'ArgMax', warns: false }, // overlapping, a column past the last window
    { k: 2, st: 1, size: 4, rules: indicesRules, op: 'ScatterElements', warns: false }, // overlapping windows through Indices
  ];
  for (const c of cases) {
    const label = `kernel ${c.k} stride ${c.st}, ${c.op}`;
    const oh = Math.floor((c.size - c.k) / c.st) + 1;
    const f: Fixture = { nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [c.k, c.k]), ints('strides', [c.st, c.st])] }], x: [1, 2, c.size, c.size], y: [1, 2, oh, oh] };
    const m = modelFromProto(decodeModel(fixtureModel(f)));
    const report = buildGradient(m, { loss: 'loss', wrt: ['x'], rules: c.rules });
    assert.ok(m.graph.nodes.some((n) => n.opType === c.op), label);
    assert.equal(report.warnings.some((w) => /Indices output.*WebGPU/.test(w)), c.warns, label);
    const bytes = encodeModel(modelToProto(m));
    const R = randomArray(size(f.y), 99);
    const plane = c.size * c.size;
    // All equal: the first element of each window (row-major), as in ORT's Indices, takes it all.
    const flat = await runOnCpu(bytes, { x: { type: 'float32', data: new Float32Array(2 * plane).fill(0.5), dims: f.x } });
    const expected = new Float32Array(2 * plane);
    for (let ch = 0; ch < 2; ch++) for (let i = 0; i < oh; i++) for (let j = 0; j < oh; j++) expected[ch * plane + i * c.st * c.size + j * c.st] += R[(ch * oh + i) * oh + j]!;
    assert.deepEqual(Array.from(flat.x_grad!.data as Float32Array), Array.from(expected), `${label}, all equal`);
    // Distinct values: the gradient goes to each window's maximum.
    const xs = Float32Array.from({ length: 2 * plane }, (_, i) => ((i * 7919) % 97) / 97);
    const out = await runOnCpu(bytes, { x: { type: 'float32', data: xs, dims: f.x } });
    const want = new Float32Array(2 * plane);
    for (let ch = 0; ch < 2; ch++) for (let i = 0; i < oh; i++) for (let j = 0; j < oh; j++) {
      let best = -1;
      for (let a = 0; a < c.k; a++) for (let e = 0; e < c.k; e++) {
        const at = ch * plane + (i * c.st + a) * c.size + j * c.st + e;
        if (best < 0 || xs[at]! > xs[best]!) best = at;
      }
      want[best] += R[(ch * oh + i) * oh + j]!;
    }
    assert.deepEqual(Array.from(out.x_grad!.data as Float32Array), Array.from(want), `${label}, distinct values`);
  }
});

test('SoftmaxCrossEntropyLoss: the same gradient when the batch and class counts are symbolic', async () => {
  const f = FIXTURES.SoftmaxCrossEntropyLoss!;
  const gradient = async (symbolic: boolean) => {
    const proto = decodeModel(fixtureModel(f));
    if (symbolic) proto.graph!.input[0]!.type!.tensorType!.shape!.dim = [{ dimParam: 'N' }, { dimParam: 'C' }] as never;
    const m = modelFromProto(proto);
    buildGradient(m, { loss: 'loss', wrt: ['x'] });
    const ops = m.graph.nodes.map((n) => n.opType);
    const out = await runOnCpu(encodeModel(modelToProto(m)), { x: { type: 'float32', data: randomArray(20, 7, -2, 2), dims: [4, 5] } });
    return { ops, grad: Array.from(out.x_grad!.data as Float32Array) };
  };
  const fixed = await gradient(false);
  const symbolic = await gradient(true);
  assert.ok(!fixed.ops.includes('Shape'), 'known sizes are constants');
  assert.ok(symbolic.ops.includes('Range'), 'unknown class count: the classes come from Range');
  assert.deepEqual(symbolic.grad, fixed.grad);
});

test('ThresholdedRelu: the gradient reads Y for alpha >= 0 and X for alpha < 0, and equals the reference at the edges', async () => {
  // Edges: x exactly alpha, 0 and -0, NaN, and values just around them.
  const edges = (a: number) => Float32Array.of(a, Math.fround(a) + 1e-6, Math.fround(a) - 1e-6, 0, -0, NaN, 1, -1, 0.25, -0.25, 3, -3);
  for (const alpha of [0.25, 0, -0.25]) {
    const f: Fixture = { nodes: [{ opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: [flt('alpha', alpha)] }], x: [12], y: [12] };
    const m = modelFromProto(decodeModel(fixtureModel(f)));
    buildGradient(m, { loss: 'loss', wrt: ['x'] });
    const grad = m.graph.nodes.find((n) => n.opType === 'ThresholdedReluGrad')!;
    assert.equal(grad.inputs[0]!.name, alpha >= 0 ? 'y' : 'x', `alpha ${alpha}`);
    const x = edges(alpha);
    const out = await runOnCpu(encodeModel(modelToProto(m)), { x: { type: 'float32', data: x, dims: [12] } });
    const R = randomArray(12, 99);
    const expected = thresholdedReluGradReference(x, R, alpha, 'float32');
    assert.deepEqual(Array.from(out.x_grad!.data as Float32Array).map((v) => v + 0), Array.from(expected).map((v) => v + 0), `alpha ${alpha}`);
  }
});

test('GlobalAveragePool feeding ThresholdedRelu: the gradient broadcasts inside ThresholdedReluGrad, with no Expand left', async () => {
  const f: Fixture = {
    nodes: [{ opType: 'ThresholdedRelu', input: ['x'], output: ['t'], attribute: [flt('alpha', 0.2)] }, { opType: 'GlobalAveragePool', input: ['t'], output: ['y'] }],
    x: [2, 3, 4, 4], y: [2, 3, 1, 1],
  };
  await checkWithOrt('GAP after ThresholdedRelu', f);
  const m = modelFromProto(decodeModel(fixtureModel(f)));
  buildGradient(m, { loss: 'loss', wrt: ['x'] });
  assert.ok(!m.graph.nodes.some((n) => n.opType === 'Expand'));
});

test('every rule reads from the forward pass only what its saves declare; a rule that reads more is caught', () => {
  // The fixtures above ran with the check on. A rule that declares less than it reads:
  const sneaky = { ...GRADIENT_RULES.find((r) => r.opType === 'Mul')!, saves: { inputs: [0] } };
  const f = FIXTURES.Mul!;
  const m = modelFromProto(decodeModel(fixtureModel(f)));
  // (rule-api.test.ts: the same for a rule that reaches a value around ctx.saved)
  assert.throws(() => buildGradient(m, { loss: 'loss', wrt: ['x'], rules: withRules(GRADIENT_RULES, sneaky) }), /the gradient rule for Mul reads input 1 of node '\w+' \(Mul\), which its saves do not declare/);
  for (const r of GRADIENT_RULES) assert.ok(r.saves, `${r.opType} declares what it saves`);
});

test('Concat: sizes known at build time are a constant; a symbolic size is read from the graph, with the same gradient', async () => {
  const f = FIXTURES.Concat!;
  const gradient = async (symbolic: boolean) => {
    const proto = decodeModel(fixtureModel(f));
    if (symbolic) proto.graph!.input[0]!.type!.tensorType!.shape!.dim[1] = { dimParam: 'K' } as never;
    const m = modelFromProto(proto);
    const report = buildGradient(m, { loss: 'loss', wrt: ['x', 'B'] });
    const ops = m.graph.nodes.filter((n) => n.name.startsWith('concat_')).map((n) => n.opType);
    const out = await runOnCpu(encodeModel(modelToProto(m)), { x: { type: 'float32', data: randomArray(6, 7), dims: [2, 3] }, ...parameterFeeds(report) });
    return { ops, grads: [Array.from(out.x_grad!.data as Float32Array), Array.from(out.B_grad!.data as Float32Array)] };
  };
  const fixed = await gradient(false);
  const symbolic = await gradient(true);
  assert.deepEqual([fixed.ops.includes('Shape'), symbolic.ops.includes('Shape')], [false, true]);
  assert.deepEqual(symbolic.grads, fixed.grads);
});

test('an op without a rule on the path fails naming the op and the node; integer paths need none', async () => {
  const bad = fixtureModel({ nodes: [{ name: 'cos_node', opType: 'Cos', input: ['x'], output: ['y'] }], x: [3], y: [3] });
  assert.throws(() => buildGradient(modelFromProto(decodeModel(bad)), { loss: 'loss', wrt: ['x'] }), /no gradient rule for Cos \(node 'cos_node'\)/);
  // Shape arithmetic (integer) between x and the loss needs no rule: Reshape's shape input comes from Shape(x).
  const shapeOps = fixtureModel({ nodes: [{ opType: 'Shape', input: ['x'], output: ['s'] }, { opType: 'Reshape', input: ['x', 's'], output: ['y'] }], x: [2, 3], y: [2, 3] });
  const m = modelFromProto(decodeModel(shapeOps));
  const r = buildGradient(m, { loss: 'loss', wrt: ['x'] });
  assert.equal(r.gradients[0]!.connected, true);
});

test('fan-out accumulates (Sum) and symbolic batch sizes work', async () => {
  // y = x * x + x: dy/dx = 2x + 1, with x used three times.
  const f: Fixture = { nodes: [{ opType: 'Mul', input: ['x', 'x'], output: ['x2'] }, { opType: 'Add', input: ['x2', 'x'], output: ['y'] }], x: [4], y: [4] };
  await checkWithOrt('fan-out', f);
  const m = modelFromProto(decodeModel(fixtureModel(f)));
  buildGradient(m, { loss: 'loss', wrt: ['x'] });
  assert.ok(m.graph.nodes.some((n) => n.opType === 'Sum'));
});

test('stop-gradients: Shape, Gather of a shape, Cast to int, ArgMax, Equal, ConstantOfShape on the way need no rule and add nothing', async () => {
  // y = (x * float(Shape(x)[0]) + float(ArgMax(x) == 0)) * ConstantOfShape(Shape(x), 1): dy/dx = 3 everywhere.
  const f: Fixture = {
    nodes: [
      { opType: 'Shape', input: ['x'], output: ['s'] },
      { opType: 'Gather', input: ['s', 'i0'], output: ['n'], attribute: [int('axis', 0)] },
      { opType: 'Cast', input: ['n'], output: ['nf'], attribute: [int('to', DataType.FLOAT)] },
      { opType: 'Mul', input: ['x', 'nf'], output: ['y1'] },
      { opType: 'ArgMax', input: ['x'], output: ['am'], attribute: [int('axis', 1)] },
      { opType: 'Equal', input: ['am', 'i0'], output: ['eq'] },
      { opType: 'Cast', input: ['eq'], output: ['eqf'], attribute: [int('to', DataType.FLOAT)] },
      { opType: 'Add', input: ['y1', 'eqf'], output: ['y2'] },
      { opType: 'Cast', input: ['x'], output: ['xi'], attribute: [int('to', DataType.INT64)] },
      { opType: 'ConstantOfShape', input: ['s'], output: ['ones'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: f32('', [1], Float32Array.of(1)) }] },
      { opType: 'Mul', input: ['y2', 'ones'], output: ['y'] },
    ],
    x: [3, 4], y: [3, 4], constants: [i64('i0', [], [0])],
  };
  const { report, bytes, feeds } = gradientOf(f);
  assert.equal(report.gradients[0]!.connected, true);
  const out = await runOnCpu(bytes, feeds);
  const R = randomArray(12, 99);
  assert.deepEqual(Array.from(out.x_grad!.data as Float32Array), Array.from(R, (r) => Math.fround(3 * r)));
});

test('no rule on a float path: the error names the op, the node and the path from the --wrt tensor', () => {
  const bad = fixtureModel({ nodes: [{ name: 'r', opType: 'Relu', input: ['x'], output: ['h'] }, { name: 'c', opType: 'Cos', input: ['h'], output: ['y'] }], x: [3], y: [3] });
  assert.throws(() => buildGradient(modelFromProto(decodeModel(bad)), { loss: 'loss', wrt: ['x'] }), (e: Error) => {
    assert.match(e.message, /no gradient rule for Cos \(node 'c'\).*on the path x → Relu 'r' → Cos 'c'/);
    return true;
  });
});
