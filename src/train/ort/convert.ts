/**
 * ORT checkpoints as plain name → tensor maps: to and from safetensors
 * (lossless both ways: the optimizer state and the property bag travel too),
 * into TensorProtos for an inference model, and matched against a model.
 *
 * In safetensors (the codec of src/train/checkpoint/safetensors.ts),
 * parameters keep their names; optimizer moments are stored as
 * `__ort_optimizer__/<group>/<momentum key>/<param>`; metadata holds
 * `ort.trainable` and `ort.frozen` (JSON lists), `ort.optimizer_groups`
 * (JSON: name, step, initial_learning_rate) and `ort.property_bag` (JSON).
 * A `trelu train` checkpoint (metadata format `onnx-trelu-checkpoint`) reads
 * too: `<param>.exp_avg` / `.exp_avg_sq` become ORT's momentum0 / momentum1,
 * `.momentum_buffer` momentum0; parameters with optimizer state are the
 * trainable ones, the rest (BatchNorm statistics, frozen) frozen.
 */
import { TreluError } from '../../errors.js';
import type { TensorProto } from '../../onnx/proto.js';
import { dataTypeName } from '../../onnx/dtypes.js';
import type { Model } from '../../graph/model.js';
import { ORT_CHECKPOINT_VERSION, emptyProperties, setOwn, type CheckpointTensor, type OrtCheckpoint, type OptimizerGroupState } from './checkpoint.js';
import { DataType } from '../../onnx/proto.js';
import { CHECKPOINT_FORMAT, checkpointMetadata } from '../checkpoint/metadata.js';
import type { Manifest } from '../artifacts/manifest.js';
import type { NamedTensor, Safetensors } from '../checkpoint/safetensors.js';
import { tensorProtoFromCheckpoint, checkpointTensorFromProto } from './tensors.js';

const OPT_PREFIX = '__ort_optimizer__/';
/** trelu train's optimizer state slots (torch's names) → ORT's momentum keys. */
const TRELU_SLOTS: Record<string, string> = { exp_avg: 'momentum0', exp_avg_sq: 'momentum1', momentum_buffer: 'momentum0' };

/** A safetensors file as checkpoint tensors (name, ONNX data type, dims, raw bytes). */
export interface SafetensorsFile {
  tensors: CheckpointTensor[];
  metadata: Record<string, string>;
}

const TYPE_OF: Record<string, number> = { Float32Array: DataType.FLOAT, Float64Array: DataType.DOUBLE, BigInt64Array: DataType.INT64, Int32Array: DataType.INT32 };

export function fromSafetensors(st: Safetensors): SafetensorsFile {
  const tensors = [...st.tensors.values()].map((t) => ({
    name: t.name, dataType: TYPE_OF[t.data.constructor.name]!, dims: [...t.dims],
    data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice(),
  }));
  return { tensors, metadata: { ...st.metadata } };
}

/** For encodeSafetensors: typed arrays (FLOAT, DOUBLE, INT64, INT32; other types are refused there). */
export function toNamedTensors(file: SafetensorsFile): NamedTensor[] {
  return file.tensors.map((t) => {
    const buf = t.data.slice().buffer;
    const data = t.dataType === DataType.FLOAT ? new Float32Array(buf) : t.dataType === DataType.DOUBLE ? new Float64Array(buf)
      : t.dataType === DataType.INT64 ? new BigInt64Array(buf) : t.dataType === DataType.INT32 ? new Int32Array(buf) : undefined;
    if (!data) throw new TreluError('E_UNSUPPORTED', `tensor '${t.name}' is ${dataTypeName(t.dataType)}; the safetensors writer takes float32, float64, int64 and int32`);
    return { name: t.name, dims: t.dims, data };
  });
}

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
  if (file.metadata.format === CHECKPOINT_FORMAT) return treluCheckpointToOrt(file, options);
  const params = file.tensors.filter((t) => !t.name.startsWith(OPT_PREFIX));
  const json = <T>(key: string): T | undefined => {
    const text = file.metadata[key];
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new TreluError('E_CHECKPOINT', `safetensors metadata '${key}' is not JSON`);
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
    if (!group || !key || !param) throw new TreluError('E_CHECKPOINT', `safetensors tensor '${t.name}' is not <group>/<momentum>/<param>`);
    const g = groups.get(group) ?? { name: group, step: 0, initialLearningRate: 0.001, parameters: [] };
    groups.set(group, g);
    let p = g.parameters.find((x) => x.name === param);
    if (!p) g.parameters.push((p = { name: param, momentums: [] }));
    p.momentums.push({ ...t, name: key });
  }
  const properties = emptyProperties();
  const bag = json<{ ints?: Record<string, string>; floats?: Record<string, number>; strings?: Record<string, string> }>('ort.property_bag');
  if (bag) {
    try {
      for (const [k, v] of Object.entries(bag.ints ?? {})) setOwn(properties.ints, k, BigInt(v));
    } catch {
      throw new TreluError('E_CHECKPOINT', "safetensors metadata 'ort.property_bag' has an int property that is not an integer");
    }
    for (const [k, v] of Object.entries(bag.floats ?? {})) setOwn(properties.floats, k, Number(v));
    for (const [k, v] of Object.entries(bag.strings ?? {})) setOwn(properties.strings, k, String(v));
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

/** A `trelu train` checkpoint (issue 13's format) as an ORT checkpoint. */
function treluCheckpointToOrt(file: SafetensorsFile, options: { trainable?: readonly string[] }): OrtCheckpoint {
  const slotOf = (name: string) => Object.keys(TRELU_SLOTS).find((s) => name.endsWith(`.${s}`));
  const states = file.tensors.filter((t) => slotOf(t.name));
  const params = file.tensors.filter((t) => !slotOf(t.name));
  const byParam = new Map<string, CheckpointTensor[]>();
  for (const t of states) {
    const slot = slotOf(t.name)!;
    const param = t.name.slice(0, -slot.length - 1);
    if (!params.some((p) => p.name === param)) throw new TreluError('E_CHECKPOINT', `optimizer state '${t.name}' belongs to no parameter in the file`);
    byParam.set(param, [...(byParam.get(param) ?? []), { ...t, name: TRELU_SLOTS[slot]! }]);
  }
  const trainable = new Set(options.trainable ?? (byParam.size ? [...byParam.keys()] : params.filter((t) => t.dataType === DataType.FLOAT).map((t) => t.name)));
  const step = Number(file.metadata.step ?? 0);
  const lr = Number(file.metadata.lr ?? 0.001);
  return {
    version: ORT_CHECKPOINT_VERSION,
    trainable: params.filter((t) => trainable.has(t.name)),
    frozen: params.filter((t) => !trainable.has(t.name)),
    isNominalState: false,
    optimizerGroups: byParam.size ? [{ name: 'group0', step: Number.isFinite(step) ? step : 0, initialLearningRate: Number.isFinite(lr) ? lr : 0.001, parameters: [...byParam].map(([name, momentums]) => ({ name, momentums })) }] : [],
    properties: emptyProperties(),
  };
}

/** ORT momentum keys → trelu train's optimizer slots (torch's names), per optimizer. */
const SLOT_FROM_ORT: Record<string, Record<string, string>> = { adamw: { exp_avg: 'momentum0', exp_avg_sq: 'momentum1' }, momentum: { momentum_buffer: 'momentum0' }, sgd: {} };

/**
 * An ORT checkpoint as a `trelu train` checkpoint for the artifacts of
 * `manifest` (issue 13's format): every parameter, buffer and frozen tensor
 * the manifest lists must be in the ORT checkpoint with its shape (each one
 * missing or misshapen is named); optimizer state comes from ORT's group0
 * moments where the optimizers agree (AdamW), else starts at zero; step and
 * learning rate from the group. `trelu export <dir> --checkpoint` and
 * `trelu train --resume` then take it.
 */
export function treluCheckpointFromOrt(ckpt: OrtCheckpoint, manifest: Manifest, source = 'checkpoint'): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  const all = new Map([...ckpt.trainable, ...ckpt.frozen].map((t) => [t.name, t]));
  const problems: string[] = [];
  const tensors: NamedTensor[] = [];
  const f32 = (t: CheckpointTensor) => new Float32Array(t.data.slice().buffer);
  for (const p of manifest.parameters) {
    const t = all.get(p.initializer);
    if (!t) { problems.push(`'${p.initializer}' is not in the ORT checkpoint`); continue; }
    if (t.dataType !== DataType.FLOAT) { problems.push(`'${p.initializer}' is ${dataTypeName(t.dataType)}, the artifacts take FLOAT`); continue; }
    if (t.dims.join(',') !== p.shape.join(',')) { problems.push(`'${p.initializer}' has shape [${t.dims.join(',')}], the artifacts [${p.shape.join(',')}]`); continue; }
    tensors.push({ name: p.checkpointKey, dims: p.shape, data: f32(t) });
  }
  const group = ckpt.optimizerGroups.find((g) => g.name === 'group0');
  const slots = SLOT_FROM_ORT[manifest.optimizer.kind] ?? {};
  for (const s of manifest.optimizerState) {
    const shape = manifest.parameters.find((p) => p.initializer === s.param)?.shape ?? [];
    const fromOrt = group?.parameters.find((p) => p.name === s.param)?.momentums.find((m) => m.name === slots[s.slot]);
    if (fromOrt && fromOrt.dims.join(',') !== shape.join(',')) { problems.push(`optimizer state '${fromOrt.name}' of '${s.param}' has shape [${fromOrt.dims.join(',')}], the parameter [${shape.join(',')}]`); continue; }
    tensors.push({ name: s.checkpointKey, dims: shape, data: fromOrt ? f32(fromOrt) : new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  }
  if (problems.length) throw new TreluError('E_CHECKPOINT', `${source}: does not fit these artifacts: ${problems.join('; ')}`, { hint: 'was the ORT checkpoint made for the same model?' });
  return {
    tensors,
    metadata: checkpointMetadata({ artifacts: manifest.id, step: group?.step ?? 0, epoch: 0, position: 0, lr: group?.initialLearningRate ?? manifest.optimizer.lr, seed: 0 }),
  };
}
