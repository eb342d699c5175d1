/**
 * `onnx-trelu/web`: everything of onnx-trelu that runs in a browser, with
 * onnxruntime-web's wasm and webgpu EPs as backends. No Node built-ins (the
 * build fails if one reaches the bundle: scripts/build-web.mjs).
 *
 *   import { decodeModel, modelFromProto, replaceActivations, modelToProto, encodeModel,
 *            createWebBackends, runModel } from 'onnx-trelu/web';
 *   const model = modelFromProto(decodeModel(bytes));
 *   replaceActivations(model, { from: ['Relu'], alpha: 0.5 });
 *   const out = encodeModel(modelToProto(model));
 *   const { outputs, timing } = await runModel(createWebBackends().get('webgpu'), out, feeds, { repeat: 10 });
 *
 * onnxruntime-web is imported by its bare name on first use (an import map or
 * your bundler resolves it); it is not inside this bundle.
 */
export * from '../onnx/index.js';
export * from '../graph/index.js';
export { TreluError, isTreluError, type TreluErrorCode } from '../errors.js';
export * from '../ops/index.js';
export * from '../validate/index.js';
export * from '../rewrite/index.js';

// Gradients (the checker runs on onnxruntime-node, so it is not here).
export { buildGradient, initializersToInputs, type GradientOptions, type GradientReport } from '../train/autodiff.js';
export { appendLoss, type LossFunction } from '../train/loss.js';
export { GRADIENT_RULES, maxPoolIndicesGrad, withRules } from '../train/rules/index.js';
export { toFloat64 } from '../train/float64.js';

// Running.
export { EP_NAMES, type EpName, type Backend, type BackendSession, type CreateSessionOptions, type NodePlacement } from '../runtime/backend.js';
export { OrtWebBackend, loadOrtWeb, type OrtWeb, type OrtWebEp, type OrtWebBackendOptions } from '../runtime/backends/ort-web.js';
export { backendRegistry, type Backends } from '../runtime/backends/registry.js';
export { createWebBackends } from './backends.js';
export { runModel, type EpRunResult, type RunModelOptions, type Timing } from '../runtime/run-model.js';
export { compareTensors, TOLERANCES, type Comparison } from '../runtime/tolerance.js';
export { randomInputs, randomTensor, seededRandom, type RandomInputOptions } from '../runtime/random-inputs.js';
export { buildFeeds, parseDims } from '../runtime/feeds.js';
export type { TensorLike, TensorType } from '../runtime/tensor.js';
export { tensorStats, type TensorStats } from '../runtime/tensor-stats.js';
export { verifyRewrite, runOnceOn, type PageVerifyReport, type PageCheck } from './verify.js';
export { referenceKernel, simdKernel, epKernel, thresholdedReluModel } from './kernels.js';
export { createKernelsOn, type Kernels, type KernelOptions, type KernelEp, type KernelsConfig } from '../runtime/kernels.js';

// Plots.
export { lineChartSvg, niceTicks, PALETTE, type LineChartOptions, type LineSeries } from '../plot/line-chart.js';
export { activationPlotSvg, samplePoints, sampleKernel, lookAlikes, withJumps, type ActivationKernel, type ActivationSamples } from '../plot/activation.js';
export { panelsSvg } from '../plot/panels.js';
export { applyPageRewrite, type RewriteKind, type RewriteParams, type PageRewriteResult } from './rewrites.js';

// Training in the page (src/train/artifacts, src/train/trainer).
export { buildTrainingArtifacts, ARTIFACT_FILES, type TrainingArtifacts, type TrainingArtifactsOptions } from '../train/artifacts/build.js';
export { Trainer, type TrainerArtifacts, type TrainerOptions, type Batch, type StepResult } from '../train/trainer/trainer.js';
export { toDataset, batchOf, type Dataset } from '../train/trainer/dataset.js';
export { gunzip, parseLabelledCsv, classifierArtifacts, createTrainer, datasetFor, trainSteps, evaluateAll, type StepInfo, type PageTrainingOptions } from './train.js';
