/** Op definitions, reference kernels and the gradient function. Browser-safe. */
export { thresholdedReluOp, DEFAULT_ALPHA, type ThresholdedReluAttributes } from './thresholded-relu/definition.js';
export { thresholdedReluReference, thresholdedReluGradReference, roundAlpha } from './thresholded-relu/reference.js';
export { thresholdedReluGradFunction, ensureThresholdedReluGradFunction, TRELU_DOMAIN, TRELU_DOMAIN_VERSION, GRAD_OP_TYPE, GRAD_MIN_OPSET } from './thresholded-relu/grad-function.js';
export { ORT_THRESHOLDED_RELU_KERNELS, ORT_GEMM_FUSION_VERSIONS, KNOWN_EPS, ortKernelFor, type OrtEp, type OrtKernelEntry } from './thresholded-relu/ort-kernels.js';
export { float16ToNumber, numberToFloat16, bfloat16ToNumber, numberToBfloat16, float16Table } from './float16.js';
export { resolveVersion, type OpDefinition, type OpVersion, type AttributeSpec, type FloatDType, type FloatArray } from './types.js';
export { thresholdedReluSimd, thresholdedReluGradSimd, simdAvailable, simdArray, freeSimdArray, inSimdArena } from './thresholded-relu/simd.js';
