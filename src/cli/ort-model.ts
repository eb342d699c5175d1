/**
 * What to hand onnxruntime-node for a model. ORT resolves external data
 * against the working directory when it gets bytes, and refuses locations
 * that leave it ("escapes working directory"); it cannot be given the data
 * either (onnxruntime-node has no `externalData` session option). So a model
 * with external data goes to ORT with its tensors read back inline, from the
 * files next to the model they came from: every command that runs a model
 * (run, check-eps, --verify) then works from any directory.
 */
import { TreluError } from '../errors.js';
import { decodeModel } from '../onnx/decode.js';
import { encodeModel, MAX_PROTO_BYTES } from '../onnx/encode.js';
import { isExternal } from '../onnx/external-data.js';
import { forEachMessage } from '../onnx/walk.js';
import { DataLocation, type ModelProto, type TensorProto } from '../onnx/proto.js';
import { readExternalBytes, type LoadedModel } from '../node/model-file.js';

/**
 * `proto` (default: the loaded model itself) encoded with every external
 * tensor inline, its bytes read through `source` (the model the tensors'
 * locations are relative to). A model without external data is just encoded.
 */
export function ortModelBytes(source: LoadedModel, proto: ModelProto = source.model): Uint8Array {
  const bytes = encodeModel(proto);
  if (source.externalFiles.length === 0) return bytes;
  const copy = decodeModel(bytes); // fresh messages: the caller's model keeps its external references
  let total = bytes.length;
  forEachMessage('ModelProto', copy, 'TensorProto', (t) => {
    const tensor = t as unknown as TensorProto;
    if (!isExternal(tensor)) return;
    const data = readExternalBytes(source, tensor);
    total += data.length;
    if (total > MAX_PROTO_BYTES) {
      throw new TreluError('E_UNSUPPORTED', `${source.path}: too large to run with its external data inline (over 2 GiB)`, { hint: 'run it from its own directory with onnxruntime directly' });
    }
    tensor.rawData = data;
    tensor.externalData = [];
    tensor.dataLocation = DataLocation.DEFAULT;
  });
  return encodeModel(copy);
}

/** The model for ORT: its path when it has no external data (ORT reads it), else the bytes with the data inline. */
export function ortModelSource(loaded: LoadedModel): string | Uint8Array {
  return loaded.externalFiles.length === 0 ? loaded.path : ortModelBytes(loaded);
}
