/**
 * Reverse-mode automatic differentiation over an ONNX graph. The backward
 * pass is appended to the main graph as standard ONNX ops (plus this
 * project's ThresholdedReluGrad function), so the result runs in a stock
 * InferenceSession on any EP, in Node and in browsers.
 *
 *   forward:  x ─▶ f ─▶ g ─▶ loss
 *   appended: dloss = 1 ─▶ g' ─▶ f' ─▶ x_grad   (fan-out summed, saved values read from the forward graph)
 */
import { TreluError } from '../errors.js';
import type { Model } from '../graph/model.js';
import { Builder } from '../graph/builder.js';
import { inferModel } from '../graph/infer/index.js';
import type { TensorInfo } from '../graph/infer/types.js';
import type { Value } from '../graph/value.js';
import { upgradeOpset } from '../rewrite/opset-upgrade.js';
import type { GradRule } from './rule.js';
import { GRADIENT_RULES } from './rules/index.js';
import { appendLoss, type LossFunction } from './loss.js';
import { lowerBatchNormTraining } from './artifacts/batch-norm-training.js';
import { findPath, FLOAT_TYPES } from './path.js';
import { parameterInitializers } from './parameters.js';
import { backpropagate } from './backpropagate.js';
import { finish, type Finished } from './finish.js';
import { sharedParameters, untie, type SharedParameter } from './shared-weights.js';
import { isAiOnnxDomain } from '../onnx/domain.js';

export { initializersToInputs } from './finish.js';
export type { SharedParameter } from './shared-weights.js';

export interface GradientOptions {
  /** An existing scalar output (or tensor) to differentiate. */
  loss?: string;
  /** Or: append this loss on output `on`. */
  lossFn?: LossFunction;
  on?: string;
  /**
   * Tensor names, or 'params': the model's weights (parameters.ts): every
   * non-empty float initializer that some node reads at a differentiable
   * input, except inputs a rule declares settings or statistics (BatchNormalization's
   * running mean and var, Clip's bounds), as PyTorch's parameters() leaves out buffers.
   */
  wrt: readonly string[] | 'params';
  /** Keep the model's original outputs next to the loss and gradients. */
  keepOutputs?: boolean;
  /**
   * Give each reader of a shared initializer its own copy (and gradient), as
   * in the source model where an exporter merged weights that were equal.
   */
  untie?: boolean;
  /**
   * The gradient rules, one per op (default GRADIENT_RULES). Add or replace
   * one with `withRules(GRADIENT_RULES, myRule)`; a rule is written against
   * src/train/rule.ts.
   */
  rules?: readonly GradRule[];
}

export interface GradientReport extends Finished {
  /** Differentiated initializers that feed several nodes (summed gradient unless untied). */
  shared: SharedParameter[];
  opsetUpgrade?: { from: number; to: number };
  /** Things to know about the gradient model (an op some EP cannot run, say). */
  warnings: string[];
}

const FLOAT = FLOAT_TYPES;
/** Our rules emit ReduceSum with axes as an input (13) and Scatter* with reduction (16). */
const MIN_OPSET = 16;

/**
 * Appends the backward pass to `model` (tfjs's tape, in three steps): find the
 * differentiable path from the --wrt tensors to the loss (path.ts), run each
 * node's rule in reverse order (backpropagate), then make the gradient model
 * (finish: gradients as outputs, differentiated initializers as inputs).
 */
export function buildGradient(model: Model, options: GradientOptions): GradientReport {
  const graph = model.graph;
  const nodesBefore = graph.nodeCount;
  let opsetUpgrade: GradientReport['opsetUpgrade'];
  const opset = model.onnxOpset ?? 0;
  if (opset < MIN_OPSET) {
    upgradeOpset(model, MIN_OPSET);
    opsetUpgrade = { from: opset, to: MIN_OPSET };
  }
  const all = () => [...graph.inputs, ...graph.initializers, ...graph.nodes.flatMap((n) => n.outputs)];
  const find = (name: string) => all().find((v) => v.name === name);

  let loss: Value;
  if (options.lossFn) {
    if (!options.on) throw new TreluError('E_USAGE', '--loss-fn needs --on <output>');
    loss = appendLoss(model, options.lossFn, options.on);
  } else {
    if (!options.loss) throw new TreluError('E_USAGE', 'name the loss: --loss <output>, or --loss-fn mse|cross-entropy --on <output>');
    loss = find(options.loss) ?? (() => { throw new TreluError('E_USAGE', `no tensor named '${options.loss}'`); })();
  }
  // BatchNormalization exported in training mode (batch statistics, as torch's model.train()):
  // lowered to standard ops (i13's lowering), which the existing rules differentiate.
  inferModel(model);
  const trainingNorms = graph.nodes.filter((n) => n.opType === 'BatchNormalization' && isAiOnnxDomain(n.domain) && (n.attrs.int('training_mode', 0) === 1 || n.outputs.length > 1));
  if (trainingNorms.length) {
    for (const n of trainingNorms) lowerBatchNormTraining(model, n, staticInfo);
    inferModel(model);
  }
  const lossInfo = staticInfo(loss);
  if (lossInfo.elemType !== undefined && !FLOAT.includes(lossInfo.elemType)) throw new TreluError('E_USAGE', `the loss '${loss.name}' is not a float tensor`);
  if (lossInfo.shape && lossInfo.shape.some((d) => d !== 1)) throw new TreluError('E_USAGE', `the loss '${loss.name}' is not a scalar (shape [${lossInfo.shape.join(',')}])`, { hint: 'reduce it to a scalar, or use --loss-fn' });

  const rules = options.rules ?? GRADIENT_RULES;
  let wrt = options.wrt === 'params'
    ? parameterInitializers(graph, rules)
    : options.wrt.map((n) => find(n) ?? (() => { throw new TreluError('E_USAGE', `no tensor named '${n}' to differentiate with respect to`); })());
  if (wrt.length === 0) throw new TreluError('E_USAGE', 'nothing to differentiate: no float initializers found', { hint: 'name tensors with --wrt' });
  for (const v of wrt) {
    const et = v.dtype;
    if (et !== undefined && !FLOAT.includes(et)) throw new TreluError('E_USAGE', `'${v.name}' is not a float tensor; gradients flow only into float tensors`);
  }
  const shared = sharedParameters(wrt);
  if (options.untie && shared.length) wrt = untie(model, wrt, shared);

  // The three steps: the path, the walk back along it, the gradient model.
  const path = findPath(graph, wrt, loss, staticInfo);
  const b = new Builder(model, graph);
  const ruleOpset = model.onnxOpset ?? MIN_OPSET;
  const back = backpropagate(model, b, { path, loss, forwardInfo: staticInfo, rules, opset: ruleOpset });
  const done = finish(model, b, { ...back, forwardInfo: staticInfo, wrt, loss, keepOutputs: !!options.keepOutputs, nodesBefore, opset: ruleOpset });
  return { ...done, shared, opsetUpgrade, warnings: back.warnings };
}

/** What the values carry (declared, else inferred): the type and shape the rules and the checks read. */
function staticInfo(v: Value): TensorInfo {
  return { elemType: v.dtype, shape: v.shapeInfo };
}
