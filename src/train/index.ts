/** Gradient graphs: reverse-mode autodiff emitting standard ONNX ops. */
export { buildGradient, initializersToInputs, type GradientOptions, type GradientReport, type SharedParameter } from './autodiff.js';
export { appendLoss, LOSS_FUNCTIONS, type LossFunction } from './loss.js';
export { findPath, differentiableInput, type GradientPath } from './path.js';
export { parameterValue, type ExternalReader } from './parameter-values.js';
export { GRADIENT_RULES, maxPoolIndicesGrad, withRules } from './rules/index.js';
export { makeContext, type GradContext, type GradRule, type Saves } from './context.js';
export { checkGradients, parameterFeeds, verdict, type GradientCheck, type GradientCheckReport, type CheckOptions, type CheckVerdict } from './check.js';
export { toFloat64 } from './float64.js';
