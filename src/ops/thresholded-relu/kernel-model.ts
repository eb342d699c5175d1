/**
 * The model the kernel API (and the web app's plot) runs on an ORT EP:
 * ThresholdedRelu(x), or its gradient (x, dy) -> dx as plain ai.onnx nodes
 * (see gradNodes), over 1-D inputs of any length ('N'). bfloat16 needs
 * ai.onnx 22; the other types are imported at 17.
 */
import Long from 'long';
import { onnx, AttributeType } from '../../onnx/proto.js';
import { encodeModel } from '../../onnx/encode.js';
import { modelFromProto } from '../../graph/from-proto.js';
import { modelToProto } from '../../graph/to-proto.js';
import { FLOAT_DTYPE_TO_ONNX, type FloatDType } from '../types.js';

/**
 * Session options for these models: no graph optimizations (see gradNodes;
 * a model of one or a few nodes has nothing to gain from them anyway).
 */
export const KERNEL_MODEL_SESSION_OPTIONS = { graphOptimizationLevel: 'disabled' } as const;

export function thresholdedReluKernelModel(op: 'forward' | 'grad', dtype: FloatDType, alpha: number): Uint8Array {
  const tt = { tensorType: { elemType: FLOAT_DTYPE_TO_ONNX[dtype], shape: { dim: [{ dimParam: 'N' }] } } };
  const opset = dtype === 'bfloat16' ? 22 : 17;
  const alphaAttr = [{ name: 'alpha', type: AttributeType.FLOAT, f: alpha }];
  const nodes = op === 'forward' ? [{ opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: alphaAttr }] : gradNodes(alpha);
  const proto = onnx.ModelProto.create({
    irVersion: Long.fromNumber(8),
    opsetImport: [{ domain: '', version: Long.fromNumber(opset) }],
    graph: { name: `trelu_${op}`, node: nodes, input: op === 'forward' ? [{ name: 'x', type: tt }] : [{ name: 'x', type: tt }, { name: 'dy', type: tt }], output: [{ name: 'y', type: tt }] },
  });
  return encodeModel(modelToProto(modelFromProto(proto as never)));
}

/**
 * The gradient as plain nodes: y = Where(Not(alpha < x), 0, dy), the same
 * values as ThresholdedReluGrad's Where(alpha < x, dy, 0) (grad-function.ts),
 * with the selected side swapped. ORT's CPU Where (also the wasm EP's)
 * selects each side into its own tensor, unselected elements +0, and merges
 * them with `x != 0 ? x : y` (onnxruntime/core/providers/cpu/tensor/
 * where_op.cc), so a dY of -0 chosen as Where's X comes out as +0. Chosen as
 * Where's Y it is the merge's fall-through and keeps its bits: the kernel
 * API's ORT gradient is then bit-identical to the reference, -0 included.
 * Run it with KERNEL_MODEL_SESSION_OPTIONS: from 'basic' up, ORT's
 * NotWhereFusion turns Where(Not(c), a, b) back into Where(c, b, a).
 * The price is one more pass, over the 1-byte mask (bench:kernels).
 */
function gradNodes(alpha: number): object[] {
  const c = (output: string, value: number) => ({ opType: 'Constant', input: [], output: [output], attribute: [{ name: 'value_float', type: AttributeType.FLOAT, f: value }] });
  return [
    c('alpha_f', alpha),
    { opType: 'CastLike', input: ['alpha_f', 'x'], output: ['alpha_x'] }, // alpha rounded to x's type, as the forward op does
    { opType: 'Less', input: ['alpha_x', 'x'], output: ['pass'] }, // x > alpha; false for NaN
    { opType: 'Not', input: ['pass'], output: ['fail'] },
    c('zero_f', 0),
    { opType: 'CastLike', input: ['zero_f', 'dy'], output: ['zero'] },
    { opType: 'Where', input: ['fail', 'zero', 'dy'], output: ['y'] },
  ];
}
