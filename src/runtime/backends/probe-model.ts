/** A one-node float32 model (Y = Relu(X)), which every EP has a kernel for: used to check that an EP can start. */
import Long from 'long';
import { onnx } from '../../onnx/proto.js';

const tt = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: Long.fromNumber(1) }] } } };
export const PROBE_MODEL: Uint8Array = onnx.ModelProto.encode({
  irVersion: Long.fromNumber(8),
  opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
  graph: { name: 'probe', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: tt }], output: [{ name: 'y', type: tt }] },
}).finish();
