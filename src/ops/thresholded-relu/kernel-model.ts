/**
 * The one-node model the kernel API (and the web app's plot) runs on an ORT
 * EP: ThresholdedRelu(x), or its gradient ThresholdedReluGrad(x, dy) -> dx,
 * over 1-D inputs of any length ('N'). bfloat16 needs ai.onnx 22; the other
 * types are imported at 17.
 */
import Long from 'long';
import { onnx, AttributeType, DataType } from '../../onnx/proto.js';
import { encodeModel } from '../../onnx/encode.js';
import { modelFromProto } from '../../graph/from-proto.js';
import { modelToProto } from '../../graph/to-proto.js';
import { ensureThresholdedReluGradFunction, TRELU_DOMAIN, GRAD_OP_TYPE } from './grad-function.js';
import { FLOAT_DTYPE_TO_ONNX, type FloatDType } from '../types.js';


export function thresholdedReluKernelModel(op: 'forward' | 'grad', dtype: FloatDType, alpha: number): Uint8Array {
  const tt = { tensorType: { elemType: FLOAT_DTYPE_TO_ONNX[dtype], shape: { dim: [{ dimParam: 'N' }] } } };
  const opset = dtype === 'bfloat16' ? 22 : 17;
  const alphaAttr = [{ name: 'alpha', type: AttributeType.FLOAT, f: alpha }];
  const node = op === 'forward'
    ? { opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: alphaAttr }
    : { opType: GRAD_OP_TYPE, domain: TRELU_DOMAIN, input: ['x', 'dy'], output: ['y'], attribute: alphaAttr };
  const proto = onnx.ModelProto.create({
    irVersion: Long.fromNumber(8),
    opsetImport: [{ domain: '', version: Long.fromNumber(opset) }],
    graph: { name: `trelu_${op}`, node: [node], input: op === 'forward' ? [{ name: 'x', type: tt }] : [{ name: 'x', type: tt }, { name: 'dy', type: tt }], output: [{ name: 'y', type: tt }] },
  });
  const model = modelFromProto(proto as never);
  if (op === 'grad') ensureThresholdedReluGradFunction(model);
  return encodeModel(modelToProto(model));
}
