/**
 * ORT's on-device training checkpoint (FlatBuffer, file identifier ODTC,
 * schema src/train/ort/schema/ort_training_checkpoint.fbs), written and read
 * with the code flatc generates from ORT's schema. Browser-safe: bytes in,
 * bytes out.
 *
 * What ORT's runtime (orttraining/training_api/checkpoint.cc) expects, and
 * what this writer does the same way:
 *  - version 2 (checkpoint_version.h: "Version 2: ... is_nominal_state"); ORT
 *    refuses any other;
 *  - module_state with both tensor vectors present (an absent vector is
 *    "Checkpoint file is invalid"), tensors sorted by name as ORT saves them;
 *  - optimizer groups: ORT's Optimizer reads only "group0"; each parameter's
 *    state holds tensors named by momentum key ("momentum0", "momentum1" for
 *    AdamW, "momentum0" for SGD), shaped like the parameter;
 *  - property bag: int64, float and string properties, sorted by name.
 */
import * as flatbuffers from 'flatbuffers';
import { TreluError } from '../../errors.js';
import { rawByteLength, dataTypeName } from '../../onnx/dtypes.js';
import { Checkpoint } from './generated/onnxruntime/fbs/checkpoint.js';
import { ModuleState } from './generated/onnxruntime/fbs/module-state.js';
import { OptimizerGroup } from './generated/onnxruntime/fbs/optimizer-group.js';
import { ParameterOptimizerState } from './generated/onnxruntime/fbs/parameter-optimizer-state.js';
import { PropertyBag } from './generated/onnxruntime/fbs/property-bag.js';
import { IntProperty } from './generated/onnxruntime/fbs/int-property.js';
import { FloatProperty } from './generated/onnxruntime/fbs/float-property.js';
import { StringProperty } from './generated/onnxruntime/fbs/string-property.js';
import { Tensor } from './generated/onnxruntime/fbs/tensor.js';
import { verifyCheckpointBuffer, CHECKPOINT_IDENTIFIER } from './verify.js';

/** The checkpoint format version ORT 1.17–1.19 write and accept (and nothing else). */
export const ORT_CHECKPOINT_VERSION = 2;
/** The only optimizer group ORT's training runtime uses. */
export const OPTIMIZER_GROUP = 'group0';

/** A named tensor as the checkpoint stores it: the ONNX DataType number, dims, little-endian bytes. */
export interface CheckpointTensor {
  name: string;
  dataType: number;
  dims: number[];
  data: Uint8Array;
}

export interface OptimizerGroupState {
  name: string;
  /** Optimizer steps taken so far (ORT feeds step + 1 to the optimizer model). */
  step: number;
  initialLearningRate: number;
  /** Per trainable parameter: its moment tensors by momentum key. */
  parameters: { name: string; momentums: CheckpointTensor[] }[];
}

export interface PropertyBagState {
  ints: Record<string, bigint>;
  floats: Record<string, number>;
  strings: Record<string, string>;
}

export interface OrtCheckpoint {
  version: number;
  trainable: CheckpointTensor[];
  frozen: CheckpointTensor[];
  /** Tensors are named but empty (ORT's nominal checkpoints); such a checkpoint cannot start training. */
  isNominalState: boolean;
  optimizerGroups: OptimizerGroupState[];
  properties: PropertyBagState;
}

export function emptyProperties(): PropertyBagState {
  return { ints: {}, floats: {}, strings: {} };
}

/** Sets an own property even for names like `__proto__` (names come from files). */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

const byName = <T extends { name: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Serializes a checkpoint. Throws E_USAGE for a tensor whose bytes do not match its shape, or duplicate names. */
export function writeOrtCheckpoint(ckpt: OrtCheckpoint): Uint8Array {
  const seen = new Set<string>();
  for (const t of [...ckpt.trainable, ...ckpt.frozen]) {
    if (seen.has(t.name)) throw new TreluError('E_USAGE', `checkpoint: parameter '${t.name}' appears twice`);
    seen.add(t.name);
  }
  const builder = new flatbuffers.Builder(1024);
  const tensor = (t: CheckpointTensor) => {
    checkTensorBytes(t, 'checkpoint');
    const name = builder.createString(t.name);
    const dims = Tensor.createDimsVector(builder, t.dims.map((d) => BigInt(d)));
    const raw = Tensor.createRawDataVector(builder, t.data);
    Tensor.startTensor(builder);
    Tensor.addName(builder, name);
    Tensor.addDims(builder, dims);
    Tensor.addDataType(builder, t.dataType);
    Tensor.addRawData(builder, raw);
    return Tensor.endTensor(builder);
  };
  const trainable = ModuleState.createRequiresGradParamsVector(builder, byName(ckpt.trainable).map(tensor));
  const frozen = ModuleState.createFrozenParamsVector(builder, byName(ckpt.frozen).map(tensor));
  ModuleState.startModuleState(builder);
  ModuleState.addRequiresGradParams(builder, trainable);
  ModuleState.addFrozenParams(builder, frozen);
  if (ckpt.isNominalState) ModuleState.addIsNominalState(builder, true);
  const moduleState = ModuleState.endModuleState(builder);

  const groups = byName(ckpt.optimizerGroups).map((g) => {
    const states = byName(g.parameters).map((p) => {
      const momentums = ParameterOptimizerState.createMomentumsVector(builder, byName(p.momentums).map(tensor));
      const name = builder.createString(p.name);
      ParameterOptimizerState.startParameterOptimizerState(builder);
      ParameterOptimizerState.addParamName(builder, name);
      ParameterOptimizerState.addMomentums(builder, momentums);
      return ParameterOptimizerState.endParameterOptimizerState(builder);
    });
    const name = builder.createString(g.name);
    const statesVector = OptimizerGroup.createOptimizerStatesVector(builder, states);
    OptimizerGroup.startOptimizerGroup(builder);
    OptimizerGroup.addGroupName(builder, name);
    OptimizerGroup.addStep(builder, BigInt(g.step));
    OptimizerGroup.addInitialLearningRate(builder, g.initialLearningRate);
    OptimizerGroup.addOptimizerStates(builder, statesVector);
    return OptimizerGroup.endOptimizerGroup(builder);
  });
  const groupsVector = Checkpoint.createOptimizerGroupsVector(builder, groups);
  const bag = propertyBag(builder, ckpt.properties);

  Checkpoint.startCheckpoint(builder);
  Checkpoint.addVersion(builder, ckpt.version);
  Checkpoint.addModuleState(builder, moduleState);
  Checkpoint.addOptimizerGroups(builder, groupsVector);
  if (bag !== undefined) Checkpoint.addPropertyBag(builder, bag);
  Checkpoint.finishCheckpointBuffer(builder, Checkpoint.endCheckpoint(builder));
  return builder.asUint8Array().slice();
}

function propertyBag(builder: flatbuffers.Builder, p: PropertyBagState): flatbuffers.Offset | undefined {
  const keys = (o: object) => Object.keys(o).sort();
  if (!keys(p.ints).length && !keys(p.floats).length && !keys(p.strings).length) return undefined;
  const ints = keys(p.ints).map((k) => IntProperty.createIntProperty(builder, builder.createString(k), BigInt.asIntN(64, p.ints[k]!)));
  const floats = keys(p.floats).map((k) => FloatProperty.createFloatProperty(builder, builder.createString(k), p.floats[k]!));
  const strings = keys(p.strings).map((k) => {
    const name = builder.createString(k);
    return StringProperty.createStringProperty(builder, name, builder.createString(p.strings[k]!));
  });
  return PropertyBag.createPropertyBag(builder, PropertyBag.createIntsVector(builder, ints), PropertyBag.createFloatsVector(builder, floats), PropertyBag.createStringsVector(builder, strings));
}

/**
 * Parses a checkpoint after verifying every offset in it (see verify.ts).
 * Throws E_CHECKPOINT for anything that is not a well-formed ORT checkpoint
 * (truncated, corrupt, another file, another version, a tensor whose bytes
 * do not match its shape); `source` names the file in the message.
 */
export function readOrtCheckpoint(bytes: Uint8Array, source = 'checkpoint'): OrtCheckpoint {
  verifyCheckpointBuffer(bytes, source);
  const bb = new flatbuffers.ByteBuffer(bytes);
  if (!Checkpoint.bufferHasIdentifier(bb)) throw new TreluError('E_CHECKPOINT', `${source}: file identifier is not ${CHECKPOINT_IDENTIFIER}`);
  const root = Checkpoint.getRootAsCheckpoint(bb);
  const version = root.version();
  if (version !== ORT_CHECKPOINT_VERSION) {
    throw new TreluError('E_CHECKPOINT', `${source}: checkpoint version ${version}; ORT 1.17–1.19 read version ${ORT_CHECKPOINT_VERSION} only`);
  }
  const ms = root.moduleState();
  const isNominalState = ms?.isNominalState() ?? false;
  const readTensor = (t: Tensor | null, where: string, nominal = false): CheckpointTensor => {
    if (!t) throw new TreluError('E_CHECKPOINT', `${source}: a null tensor in ${where}`);
    const name = t.name();
    if (name === null) throw new TreluError('E_CHECKPOINT', `${source}: a tensor without a name in ${where}`);
    if (t.stringDataLength() > 0) throw new TreluError('E_UNSUPPORTED', `${source}: tensor '${name}' holds strings; parameters are numeric`);
    const dims: number[] = [];
    for (let i = 0; i < t.dimsLength(); i++) {
      const d = t.dims(i)!;
      if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) throw new TreluError('E_CHECKPOINT', `${source}: tensor '${name}' has dimension ${d}`);
      dims.push(Number(d));
    }
    const data = t.rawDataArray()?.slice() ?? new Uint8Array(0);
    const tensor = { name, dataType: t.dataType(), dims, data };
    // A nominal checkpoint names its tensors and leaves them empty.
    if (!(nominal && data.length === 0)) checkTensorBytes(tensor, source);
    return tensor;
  };
  const list = (n: number, get: (i: number) => Tensor | null, where: string, nominal = false) => Array.from({ length: n }, (_, i) => readTensor(get(i), where, nominal));

  const trainable = ms ? list(ms.requiresGradParamsLength(), (i) => ms.requiresGradParams(i), 'the trainable parameters', isNominalState) : [];
  const frozen = ms ? list(ms.frozenParamsLength(), (i) => ms.frozenParams(i), 'the frozen parameters', isNominalState) : [];

  const optimizerGroups: OptimizerGroupState[] = [];
  for (let g = 0; g < root.optimizerGroupsLength(); g++) {
    const group = root.optimizerGroups(g)!;
    const name = group.groupName() ?? '';
    const parameters: OptimizerGroupState['parameters'] = [];
    for (let p = 0; p < group.optimizerStatesLength(); p++) {
      const st = group.optimizerStates(p)!;
      const param = st.paramName();
      if (param === null) throw new TreluError('E_CHECKPOINT', `${source}: optimizer group '${name}' has a state without a parameter name`);
      parameters.push({ name: param, momentums: list(st.momentumsLength(), (i) => st.momentums(i), `the optimizer state of '${param}'`) });
    }
    optimizerGroups.push({ name, step: Number(group.step()), initialLearningRate: group.initialLearningRate(), parameters });
  }

  const properties = emptyProperties();
  const bag = root.propertyBag();
  if (bag) {
    for (let i = 0; i < bag.intsLength(); i++) { const p = bag.ints(i)!; setOwn(properties.ints, p.name() ?? '', p.value()); }
    for (let i = 0; i < bag.floatsLength(); i++) { const p = bag.floats(i)!; setOwn(properties.floats, p.name() ?? '', p.value()); }
    for (let i = 0; i < bag.stringsLength(); i++) { const p = bag.strings(i)!; setOwn(properties.strings, p.name() ?? '', p.value() ?? ''); }
  }
  return { version, trainable, frozen, isNominalState, optimizerGroups, properties };
}

/** ORT's LoadOrtTensorOrtFormat copies raw_data into a tensor of the stated shape: the sizes must agree. */
function checkTensorBytes(t: CheckpointTensor, source: string): void {
  const count = t.dims.reduce((a, b) => a * b, 1);
  const expected = rawByteLength(t.dataType, count);
  if (expected === undefined) throw new TreluError('E_UNSUPPORTED', `${source}: tensor '${t.name}' has element type ${dataTypeName(t.dataType)}`);
  if (t.data.length !== expected) {
    throw new TreluError('E_CHECKPOINT', `${source}: tensor '${t.name}' has ${t.data.length} bytes for ${dataTypeName(t.dataType)}[${t.dims.join(',')}] (${expected} expected)`);
  }
}
