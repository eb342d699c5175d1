/**
 * ORT checkpoints as plain name → tensor maps: to and from safetensors
 * (lossless both ways: the optimizer state and the property bag travel too),
 * into TensorProtos for an inference model, and matched against a model.
 *
 * In safetensors, parameters keep their names; optimizer moments are stored as
 * `__ort_optimizer__/<group>/<momentum key>/<param>`; metadata holds
 * `ort.trainable` and `ort.frozen` (JSON lists), `ort.optimizer_groups`
 * (JSON: name, step, initial_learning_rate) and `ort.property_bag` (JSON).
 */
import { TreluError } from '../../errors.js';
import type { TensorProto } from '../../onnx/proto.js';
import { dataTypeName } from '../../onnx/dtypes.js';
import type { Model } from '../../graph/model.js';
import { ORT_CHECKPOINT_VERSION, emptyProperties, type CheckpointTensor, type OrtCheckpoint, type OptimizerGroupState } from './checkpoint.js';
import type { SafetensorsFile } from './safetensors.js';
import { tensorProtoFromCheckpoint, checkpointTensorFromProto } from './tensors.js';

const OPT_PREFIX = '__ort_optimizer__/';

export function ortToSafetensors(ckpt: OrtCheckpoint): SafetensorsFile {
  const tensors: CheckpointTensor[] = [...ckpt.trainable, ...ckpt.frozen].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const g of ckpt.optimizerGroups) {
    for (const p of g.parameters) for (const m of p.momentums) tensors.push({ ...m, name: `${OPT_PREFIX}${g.name}/${m.name}/${p.name}` });
  }
  const metadata: Record<string, string> = {
    format: 'ort-training-checkpoint',
    'ort.version': String(ckpt.version),
    'ort.trainable': JSON.stringify(ckpt.trainable.map((t) => t.name)),
    'ort.frozen': JSON.stringify(ckpt.frozen.map((t) => t.name)),
  };
  if (ckpt.optimizerGroups.length) metadata['ort.optimizer_groups'] = JSON.stringify(ckpt.optimizerGroups.map((g) => ({ name: g.name, step: g.step, initial_learning_rate: g.initialLearningRate })));
  const p = ckpt.properties;
  if (Object.keys(p.ints).length + Object.keys(p.floats).length + Object.keys(p.strings).length) {
    metadata['ort.property_bag'] = JSON.stringify({ ints: Object.fromEntries(Object.entries(p.ints).map(([k, v]) => [k, v.toString()])), floats: p.floats, strings: p.strings });
  }
  return { tensors, metadata };
}

/**
 * A checkpoint from safetensors. Trainable parameters: `trainable` if given,
 * else the file's `ort.trainable` metadata, else every float tensor.
 */
export function safetensorsToOrt(file: SafetensorsFile, options: { trainable?: readonly string[] } = {}): OrtCheckpoint {
  const params = file.tensors.filter((t) => !t.name.startsWith(OPT_PREFIX));
  const json = <T>(key: string): T | undefined => {
    const text = file.metadata[key];
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new TreluError('E_DECODE', `safetensors metadata '${key}' is not JSON`);
    }
  };
  const isFloat = (t: CheckpointTensor) => ['FLOAT', 'DOUBLE', 'FLOAT16', 'BFLOAT16'].includes(dataTypeName(t.dataType));
  const trainableNames = new Set(options.trainable ?? json<string[]>('ort.trainable') ?? params.filter(isFloat).map((t) => t.name));
  for (const n of trainableNames) if (!params.some((t) => t.name === n)) throw new TreluError('E_USAGE', `trainable parameter '${n}' is not in the file`);
  const groups = new Map<string, OptimizerGroupState>();
  for (const g of json<{ name: string; step: number; initial_learning_rate: number }[]>('ort.optimizer_groups') ?? []) {
    groups.set(g.name, { name: g.name, step: g.step, initialLearningRate: g.initial_learning_rate, parameters: [] });
  }
  for (const t of file.tensors.filter((x) => x.name.startsWith(OPT_PREFIX))) {
    const [group, key, ...rest] = t.name.slice(OPT_PREFIX.length).split('/');
    const param = rest.join('/');
    if (!group || !key || !param) throw new TreluError('E_DECODE', `safetensors tensor '${t.name}' is not <group>/<momentum>/<param>`);
    const g = groups.get(group) ?? { name: group, step: 0, initialLearningRate: 0.001, parameters: [] };
    groups.set(group, g);
    let p = g.parameters.find((x) => x.name === param);
    if (!p) g.parameters.push((p = { name: param, momentums: [] }));
    p.momentums.push({ ...t, name: key });
  }
  const properties = emptyProperties();
  const bag = json<{ ints?: Record<string, string>; floats?: Record<string, number>; strings?: Record<string, string> }>('ort.property_bag');
  if (bag) {
    for (const [k, v] of Object.entries(bag.ints ?? {})) properties.ints[k] = BigInt(v);
    Object.assign(properties.floats, bag.floats ?? {});
    Object.assign(properties.strings, bag.strings ?? {});
  }
  return {
    version: ORT_CHECKPOINT_VERSION,
    trainable: params.filter((t) => trainableNames.has(t.name)),
    frozen: params.filter((t) => !trainableNames.has(t.name)),
    isNominalState: false,
    optimizerGroups: [...groups.values()],
    properties,
  };
}

/** Every parameter (trainable and frozen) as a TensorProto by name: what `trelu export --checkpoint` puts into a model. */
export function checkpointParameters(ckpt: OrtCheckpoint): Map<string, TensorProto> {
  if (ckpt.isNominalState) throw new TreluError('E_USAGE', 'the checkpoint is nominal (named tensors without values)', { hint: 'use a checkpoint saved after training' });
  return new Map([...ckpt.trainable, ...ckpt.frozen].map((t) => [t.name, tensorProtoFromCheckpoint(t)]));
}

export interface ParameterMismatch {
  name: string;
  problem: string;
}

/**
 * Compares checkpoint parameters with a model's initializers (or graph inputs
 * of the same name, as in training/eval models): each parameter missing from
 * the model, or differing in element type or shape, is one entry.
 * Model initializers absent from the checkpoint are fine (constants).
 */
export function matchCheckpointToModel(params: ReadonlyMap<string, TensorProto>, model: Model): ParameterMismatch[] {
  const out: ParameterMismatch[] = [];
  const g = model.graph;
  for (const [name, t] of params) {
    const init = g.initializers.find((v) => v.name === name)?.initializer;
    const input = g.inputs.find((v) => v.name === name);
    const have = checkpointTensorFromProto(t);
    if (init) {
      const want = checkpointTensorFromProto(init);
      if (want.dataType !== have.dataType) out.push({ name, problem: `element type ${dataTypeName(have.dataType)} in the checkpoint, ${dataTypeName(want.dataType)} in the model` });
      else if (want.dims.join(',') !== have.dims.join(',')) out.push({ name, problem: `shape [${have.dims.join(',')}] in the checkpoint, [${want.dims.join(',')}] in the model` });
    } else if (input) {
      const tt = input.info?.type?.tensorType;
      const dims = (tt?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : -1));
      if (tt?.elemType !== undefined && tt.elemType !== have.dataType) out.push({ name, problem: `element type ${dataTypeName(have.dataType)} in the checkpoint, ${dataTypeName(tt.elemType ?? 0)} in the model` });
      else if (tt?.shape && (dims.length !== have.dims.length || dims.some((d, i) => d >= 0 && d !== have.dims[i]))) out.push({ name, problem: `shape [${have.dims.join(',')}] in the checkpoint, [${dims.map((d) => (d < 0 ? '?' : d)).join(',')}] in the model` });
    } else {
      out.push({ name, problem: 'not in the model' });
    }
  }
  return out;
}

/** Throws E_USAGE naming every mismatched parameter (one per line in the message). */
export function assertCheckpointMatchesModel(params: ReadonlyMap<string, TensorProto>, model: Model, source = 'checkpoint'): void {
  const bad = matchCheckpointToModel(params, model);
  if (bad.length) {
    throw new TreluError('E_USAGE', `${source}: ${bad.length} parameter(s) do not match the model: ${bad.map((m) => `'${m.name}' ${m.problem}`).join('; ')}`, { hint: 'was the checkpoint made for this model?' });
  }
}
