/** Gradient graphs: reverse-mode autodiff emitting standard ONNX ops. */
export { buildGradient, initializersToInputs, type GradientOptions, type GradientReport } from './autodiff.js';
export { appendLoss, type LossFunction } from './loss.js';
export { GRADIENT_RULES, maxPoolIndicesGrad, withRules } from './rules/index.js';
export { makeContext, type GradContext, type GradRule, type Saves } from './context.js';
export { checkGradients, parameterFeeds, type GradientCheck, type GradientCheckReport, type CheckOptions } from './check.js';
export { toFloat64 } from './float64.js';
