/** ORT on-device training: the four artifacts ORT's training runtime loads, and its checkpoint format. */
export { buildOrtArtifacts, gradBufferName, gradAccumulatedName, LAZY_RESET_GRAD, type OrtArtifacts, type OrtArtifactsOptions } from './artifacts.js';
export { buildOptimizerModel, momentumKeys, ADAMW_DEFAULTS, ORT_DEFAULT_LEARNING_RATE, type OptimizerSpec } from './optimizer-model.js';
export { readOrtCheckpoint, writeOrtCheckpoint, emptyProperties, ORT_CHECKPOINT_VERSION, OPTIMIZER_GROUP, type OrtCheckpoint, type CheckpointTensor, type OptimizerGroupState, type PropertyBagState } from './checkpoint.js';
export { verifyCheckpointBuffer, CHECKPOINT_IDENTIFIER } from './verify.js';
export { ortToSafetensors, safetensorsToOrt, treluCheckpointFromOrt, fromSafetensors, toNamedTensors, type SafetensorsFile, checkpointParameters, matchCheckpointToModel, assertCheckpointMatchesModel, type ParameterMismatch } from './convert.js';
export { checkpointTensorFromProto, tensorProtoFromCheckpoint, checkpointFloat32 } from './tensors.js';
