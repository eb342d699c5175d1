/** The original model with a checkpoint's trained values in its initializers; or a PyTorch state_dict. */
import { TreluError } from '../../errors.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { Manifest } from '../artifacts/manifest.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../checkpoint/safetensors.js';
import { parseCheckpointMetadata, type CheckpointMeta } from '../checkpoint/metadata.js';
import { withInitializers } from './trainer.js';

/** Reads a checkpoint of these artifacts: its parameters and buffers by initializer name. */
export function checkpointValues(manifest: Manifest, bytes: Uint8Array, source: string): { meta: CheckpointMeta; values: Map<string, Float32Array> } {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const meta = parseCheckpointMetadata(metadata, source);
  if (meta.artifacts !== manifest.id) throw new TreluError('E_CHECKPOINT', `${source} belongs to other training artifacts (id ${meta.artifacts}, these are ${manifest.id})`);
  const values = new Map<string, Float32Array>();
  for (const p of manifest.parameters) {
    if (p.role === 'frozen') continue;
    const t = tensors.get(p.checkpointKey);
    if (!t || !(t.data instanceof Float32Array) || t.dims.join() !== p.shape.join()) throw new TreluError('E_CHECKPOINT', `${source}: '${p.checkpointKey}' is missing or not float32 [${p.shape.join(',')}]`);
    values.set(p.initializer, t.data);
  }
  return { meta, values };
}

export function exportTrainedModel(original: ModelProto, manifest: Manifest, checkpoint: Uint8Array, source = '<checkpoint>'): ModelProto {
  const names = new Set(original.graph?.initializer.map((t) => t.name));
  const { values } = checkpointValues(manifest, checkpoint, source);
  for (const n of values.keys()) if (!names.has(n)) throw new TreluError('E_CHECKPOINT', `the model has no initializer '${n}' (is it the model the artifacts were built from?)`);
  return withInitializers(original, values);
}

/** Parameters and buffers keyed by PyTorch state_dict key where known (else initializer name), with `format: pt`. */
export function exportStateDict(manifest: Manifest, checkpoint: Uint8Array, source = '<checkpoint>'): Uint8Array {
  const { values } = checkpointValues(manifest, checkpoint, source);
  const tensors: NamedTensor[] = manifest.parameters.filter((p) => values.has(p.initializer)).map((p) => ({ name: p.torchKey ?? p.initializer, dims: p.shape, data: values.get(p.initializer)! }));
  return encodeSafetensors(tensors, { format: 'pt' });
}
