/**
 * onnx-trelu: read, validate, rewrite, run, differentiate and train ONNX
 * models around the ThresholdedRelu operator.
 *
 * The root is the short list for the common jobs. Each area has its own
 * entry point with all of its API:
 *
 *   onnx-trelu/onnx     the codec: decode/encode, the protobuf types, external-data rules
 *   onnx-trelu/graph    the IR (Model, Graph, Node, Value), Builder, passes, type inference
 *   onnx-trelu/rewrite  rules and patterns; replace, insert, fuse, decompose; opset upgrade
 *   onnx-trelu/train    gradients, losses, training artifacts, the Trainer, checkpoints
 *   onnx-trelu/runtime  onnxruntime-node / -web backends, EP names, kernels, run and verify
 *   onnx-trelu/node     files: models with external data, .npy, datasets, training folders
 *   onnx-trelu/web      the browser build (no Node built-ins), onnxruntime-web wasm + webgpu
 *
 * The op itself and the validator are here; `thresholdedRelu` is the kernel
 * (compute ThresholdedRelu on arrays or tensors), `thresholdedReluOp` the op
 * definition (versions, attributes).
 */
export { decodeModel, encodeModel, onnx, DataType, AttributeType, type ModelProto, type GraphProto, type NodeProto, type TensorProto } from './onnx/index.js';
export { Model, Graph, Node, Value, Builder, modelFromProto, modelToProto, attr, replaceAllUsesWith, runPasses, summarizeModel, inferModel, valueInfo, inferTypes, type ModelSummary, type TensorInfo } from './graph/index.js';
export { thresholdedReluOp, DEFAULT_ALPHA, thresholdedReluReference, thresholdedReluGradReference, ORT_THRESHOLDED_RELU_KERNELS, type FloatDType } from './ops/index.js';
export { validateModel, FINDING_CODES, type ValidateOptions, type ValidationReport, type Finding } from './validate/index.js';
export { replaceActivations, insertThresholdedRelu, fuse, decompose, upgradeOpset, type RewriteReport, type ReplaceOptions, type InsertOptions } from './rewrite/index.js';
export { buildGradient, appendLoss, checkGradients, buildTrainingArtifacts, Trainer, type GradientOptions, type GradientReport, type TrainingArtifacts } from './train/index.js';
export { createBackends, runModel, compareModels, checkChanges, createKernels, thresholdedRelu, thresholdedReluGrad, buildFeeds, EPS, type Backend, type Backends, type EpName, type TensorLike, type Kernels, type VerifyReport } from './runtime/index.js';
export { loadModelFile, saveModelFile, type LoadedModel, type SaveOptions } from './node/index.js';
export { TreluError, isTreluError, type TreluErrorCode } from './errors.js';
