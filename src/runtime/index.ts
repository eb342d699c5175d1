/**
 * `onnx-trelu/runtime`: running on ONNX Runtime in Node (onnxruntime-node's cpu/webgpu/cuda/tensorrt,
 * onnxruntime-web's wasm): backends, the EP vocabulary, the kernel API, running and verifying models.
 * In a browser, use `onnx-trelu/web`.
 */
export { EP_NAMES, type EpName, type Backend, type BackendSession, type CreateSessionOptions, type NodePlacement } from './backend.js';
export { createBackends, type Backends } from './backends/index.js';
export { createKernels, createKernelsOn, thresholdedRelu, thresholdedReluGrad, type Kernels, type KernelOptions, type KernelEp, type KernelsConfig, type SimdThreads } from './kernel-api.js';
export { runModel, type EpRunResult, type RunModelOptions, type Timing, type PlacementSummary } from './run-model.js';
export { runOnce, runOnCpu } from './run-once.js';
export { compareModels, checkChanges, verifyPassed, maxAbsDiff, VERIFY_TOLERANCE, type VerifyReport, type OutputDiff, type NodeCheck, type UncheckedChange } from './verify.js';
export { compareTensors, TOLERANCES, type Comparison, type Tolerance } from './tolerance.js';
export { randomInputs, randomTensor, seededRandom, type RandomInputOptions } from './random-inputs.js';
export { buildFeeds, parseDims } from './feeds.js';
export { parseNpy, toNpy, parseTensorProto, parseJsonTensor, parseInputSpec, type InputSpec } from './inputs.js';
export { doctor, type DoctorReport } from './doctor.js';
export type { TensorLike, TensorType } from './tensor.js';
export { EPS, resolveEp, parseEps, splitEpList, type EpInfo } from './eps.js';
export { tensorStats, formatStats, type TensorStats } from './tensor-stats.js';
