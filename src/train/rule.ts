/**
 * The gradient rule interface: what a rule declares and what its backward
 * function is given (tfjs's gradient configs, `gradFunc(dy, saved, attrs)`).
 * A rule sees the forward node through `ForwardNodeInfo` (its attributes,
 * counts, and what is known at build time about each input and output) and
 * reads forward values only through `saved`, which holds exactly what its
 * `saves` declares: those are the values that must stay alive between the
 * forward and the backward pass.
 *
 *   // Sigmoid: dX = dY * Y * (1 - Y)
 *   export const sigmoidGrad: GradRule = {
 *     opType: 'Sigmoid',
 *     saves: { outputs: [0] },
 *     backward({ b, dY, saved, scalar }) {
 *       const y = saved.output(0);
 *       const d = b.op('Mul', [y, b.op('Sub', [scalar(1, y), y])]);
 *       return [b.op('Mul', [dY[0], d], { name: 'sigmoid_grad' })];
 *     },
 *   };
 *
 *   buildGradient(model, { loss: 'loss', wrt: 'params', rules: withRules(GRADIENT_RULES, sigmoidGrad) });
 *
 * Implementation: context.ts (makeContext is buildGradient's own).
 */
import type { AttributeProto } from '../onnx/proto.js';
import type { Builder } from '../graph/builder.js';
import type { NodeAttributes } from '../graph/node-attributes.js';
import type { Value } from '../graph/value.js';
import type { Dim } from '../graph/infer/types.js';

export type { Dim } from '../graph/infer/types.js';

/**
 * What is known at build time about one forward input or output (declared
 * types, else type and shape inference): reading it adds nothing to the
 * graph and needs nothing saved. An omitted optional input, or a position the
 * node does not have, has every field undefined.
 */
export interface StaticInfo {
  /** The tensor's name, for messages. */
  readonly name: string | undefined;
  /** TensorProto.DataType (1 = FLOAT, 11 = DOUBLE, ...); undefined where unknown. */
  readonly dtype: number | undefined;
  /** One entry per axis: a number (fixed), a string (symbolic) or undefined (unknown); undefined where the rank is unknown. */
  readonly shape: readonly Dim[] | undefined;
  /** shape.length; undefined where the rank is unknown. */
  readonly rank: number | undefined;
}

/** What a rule knows about the forward node without reading any of its values: also what a `saves` function gets. */
export interface ForwardNodeInfo {
  readonly opType: string;
  readonly domain: string;
  /** The node's name, or its first output's name where the node has none (for messages). */
  readonly name: string;
  /** Typed attribute reads (`attrs.int('axis', 1)`), the same accessor as `node.attrs`. */
  readonly attrs: NodeAttributes;
  /**
   * The attribute protos as written, for a rule that emits the forward op
   * again with the same attributes (Resize's rule resizes an index tensor the
   * way the node resized X) or derives them (a 1-D node run as 2-D). Read
   * values through `attrs`.
   */
  readonly attributes: readonly AttributeProto[];
  /** The number of input positions (an omitted optional input in the middle counts; omitted trailing ones do not). */
  readonly inputCount: number;
  /** The number of output positions, as the node has them now (saved.ensureOutput adds one). */
  readonly outputCount: number;
  /** Whether input i is given (false for an omitted optional input, and past inputCount). */
  hasInput(i: number): boolean;
  hasOutput(i: number): boolean;
  /** Static type and shape of input i. */
  inputInfo(i: number): StaticInfo;
  /** Static type and shape of output i. */
  outputInfo(i: number): StaticInfo;
  /**
   * The elements of input i where it is a constant known at build time (an
   * initializer that is not a graph input, a Constant node, a Cast or Expand
   * of one): axes, pads, repeats, indices, as a fresh array. undefined
   * otherwise. Build-time knowledge, like an attribute: it needs nothing saved.
   */
  constantInput(i: number): number[] | undefined;
  /** The model's ai.onnx opset. */
  readonly opset: number;
}

/**
 * The forward values a rule declared in `saves`, by position. Asking for a
 * position it did not declare throws TreluError('E_INTERNAL') naming the
 * rule: what it does not declare, it cannot read.
 */
export interface SavedValues {
  /** Forward input i. Throws E_GRAPH where the node omits it; use optionalInput for an optional one. */
  input(i: number): Value;
  /** Forward input i, or undefined where the node omits it (an optional input). */
  optionalInput(i: number): Value | undefined;
  /** Forward output i. Throws E_GRAPH where the node does not have it; see ensureOutput. */
  output(i: number): Value;
  /**
   * Forward output i, added to the forward node where the model leaves this
   * optional output out (named `<output 0>_<suffix>`): computing it becomes
   * part of the forward pass, which is what saving it means
   * (SoftmaxCrossEntropyLoss's log_prob, MaxPool's Indices). Only the next
   * output position can be added.
   */
  ensureOutput(i: number, suffix: string): Value;
}

/** Forward values a rule's backward nodes read, by position on the forward node. */
export interface Saves {
  readonly inputs?: readonly number[];
  readonly outputs?: readonly number[];
}

/** What a rule's backward function gets. Everything of ForwardNodeInfo, plus: */
export interface GradContext extends ForwardNodeInfo {
  /** The builder to create the backward nodes with (placed after the forward pass). */
  readonly b: Builder;
  /**
   * Gradient of the loss with respect to each output; undefined where no
   * gradient flows there. Output 0's is never undefined (zeros where it does
   * not reach the loss).
   */
  readonly dY: readonly (Value | undefined)[];
  /** The forward values `saves` declares. */
  readonly saved: SavedValues;
  /** Whether input i needs a gradient (it lies on a differentiable path from a --wrt tensor). */
  needs(i: number): boolean;
  /** A scalar constant of `like`'s element type (a value the rule holds, or an input's or output's StaticInfo). */
  scalar(value: number, like: Value | StaticInfo): Value;
  /** A 1-D int64 constant. */
  ints(values: readonly number[], name?: string): Value;
  /**
   * Sums `grad` (shaped like a broadcast result) back to `input`'s shape:
   * statically where both shapes are known, else in the graph (reading
   * Shape(input), so `input` must be a saved value or one the rule built).
   */
  reduceTo(grad: Value, input: Value): Value;
  /** Zeros of `like`'s shape and type (not Mul(like, 0), which is NaN where like is infinite). */
  zerosLike(like: Value): Value;
  /** Fails (E_UNSUPPORTED) naming the node: the rule cannot handle this case. */
  unsupported(why: string): never;
  /** Notes something the user should know about the gradient model (in GradientReport.warnings). */
  warn(message: string): void;
}

/**
 * A gradient rule, in the style of tfjs's gradient configs: what it saves
 * from the forward pass (tfjs's inputsToSave / outputsToSave) and a function
 * that builds the backward nodes with the IR builder.
 */
export interface GradRule {
  /** The ai.onnx op type the rule differentiates. */
  readonly opType: string;
  /**
   * The forward values the backward nodes may read (values, or only their
   * shapes or types at run time: anything they take as an input). A function
   * where it depends on the node (ThresholdedRelu saves Y for alpha >= 0, X
   * below). Only these are reachable through `ctx.saved`, and buildGradient
   * also checks the nodes the rule built against them.
   */
  readonly saves: Saves | ((node: ForwardNodeInfo) => Saves);
  /**
   * Input positions that hold a statistic or a setting, not a weight
   * (BatchNormalization's running mean and var, torch buffers; Clip's bounds,
   * ReLU6's constants). `wrt: 'params'` leaves out an initializer that is
   * read only at such positions, as PyTorch's parameters() does; naming it in
   * `wrt` still differentiates it, so the rule must handle needs(i) there.
   */
  readonly nonParameterInputs?: readonly number[];
  /** Returns a gradient per input position (undefined where none is needed or defined). */
  backward(ctx: GradContext): (Value | undefined)[];
}
