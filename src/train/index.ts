/**
 * `onnx-trelu/train`: gradient graphs (reverse-mode autodiff emitting standard ONNX ops), training
 * artifacts, the Trainer and checkpoints. Browser-safe except checkGradients (it runs onnxruntime-node).
 * ORT's own artifact and checkpoint formats (issue 14) are re-exported from ./ort/index.js.
 */
export { buildGradient, initializersToInputs, type GradientOptions, type GradientReport, type SharedParameter } from './autodiff.js';
export { appendLoss, LOSS_FUNCTIONS, type LossFunction } from './loss.js';
export { findPath, differentiableInput, type GradientPath } from './path.js';
export { parameterValue, type ExternalReader } from './parameter-values.js';
export { GRADIENT_RULES, maxPoolIndicesGrad, withRules } from './rules/index.js';
// Rules are written against GradContext (rule.ts); makeContext is buildGradient's own.
export type { GradContext, GradRule, Saves, SavedValues, ForwardNodeInfo, StaticInfo } from './rule.js';
export { checkGradients, parameterFeeds, verdict, type GradientCheck, type GradientCheckReport, type CheckOptions, type CheckVerdict } from './check.js';
export { toFloat64 } from './float64.js';
export { untieSharedWeights } from './shared-weights.js';

// Training artifacts (train_step.onnx, eval.onnx, checkpoint, manifest) and the Trainer over any backend.
export { buildTrainingArtifacts, ARTIFACT_FILES, type TrainingArtifacts, type TrainingArtifactsOptions } from './artifacts/build.js';
export { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest, type IoEntry, type IoKind, type ParamEntry, type DropoutEntry } from './artifacts/manifest.js';
export { OPTIMIZER_KINDS, resolveOptimizer, type OptimizerKind, type OptimizerConfig } from './optim/optimizers.js';
export { Trainer, withInitializers, type TrainerArtifacts, type TrainerOptions, type Batch, type StepResult } from './trainer/trainer.js';
export { toDataset, batchOf, type Dataset } from './trainer/dataset.js';
export { trainLoop, batchesPerEpoch, type LoopOptions, type LoopHooks, type EpochMetrics } from './trainer/loop.js';
export { lrAt, LR_SCHEDULES, type LrSchedule } from './trainer/schedule.js';
export { epochOrder, dropoutMask } from './trainer/random.js';
export { exportTrainedModel, exportStateDict, checkpointValues } from './trainer/export.js';
export { encodeSafetensors, decodeSafetensors, type NamedTensor, type Safetensors } from './checkpoint/safetensors.js';
export { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, type CheckpointMeta } from './checkpoint/metadata.js';
// ORT's on-device training format: the four artifacts and its FlatBuffer checkpoint.
export * from './ort/index.js';
