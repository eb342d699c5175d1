/**
 * ThresholdedReluGrad(X, dY) -> dX, attribute alpha: the gradient as a
 * model-local function (FunctionProto) in this project's domain, built only
 * from standard ops, so that ONNX Runtime inlines it and any execution
 * provider runs it. (onnxruntime-node cannot load native custom-op libraries
 * and onnxruntime-web never could.)
 *
 *   alpha_f = Constant <value_float = @alpha>
 *   alpha_x = CastLike(alpha_f, X)        # alpha rounded to X's type, as the forward op does
 *   mask    = Less(alpha_x, X)            # X > alpha; false for NaN
 *   zero    = CastLike(Constant <value_float = 0>, dY)
 *   dX      = Where(mask, dY, zero)
 *
 * CastLike needs ai.onnx 15 or later in the model. dY may be any shape that
 * broadcasts to X's (Where broadcasts); dX then has X's shape. For alpha >= 0
 * the first input may be Y = ThresholdedRelu(X) instead of X: Y > alpha
 * exactly when X > alpha (the gradient rules use that).
 */
import { TreluError } from '../../errors.js';
import { onnx, AttributeType, type AttributeProto } from '../../onnx/proto.js';
import { Graph } from '../../graph/graph.js';
import { Model, OnnxFunction } from '../../graph/model.js';
import { Node } from '../../graph/node.js';
import { Value } from '../../graph/value.js';
import { attr } from '../../graph/attributes.js';

/** The domain of this project's own ops. */
export const TRELU_DOMAIN = 'com.onnx-trelu';
export const TRELU_DOMAIN_VERSION = 1;
export const GRAD_OP_TYPE = 'ThresholdedReluGrad';
/** CastLike arrived in ai.onnx 15. */
export const GRAD_MIN_OPSET = 15;

/** Builds the function body for a model whose ai.onnx opset is `opset`. */
export function thresholdedReluGradFunction(opset: number): OnnxFunction {
  if (opset < GRAD_MIN_OPSET) {
    throw new TreluError('E_UNSUPPORTED', `${GRAD_OP_TYPE} needs ai.onnx opset ${GRAD_MIN_OPSET} or later (CastLike); the model imports ${opset}`, {
      hint: 'upgrade the model\'s opset first',
    });
  }
  const body = new Graph({ name: GRAD_OP_TYPE });
  const x = new Value('X');
  const dy = new Value('dY');
  body.addInput(x);
  body.addInput(dy);
  const node = (opType: string, inputs: Value[], output: string, attributes: AttributeProto[] = []) => {
    const out = new Value(output);
    body.append(new Node({ opType, inputs, outputs: [out], attributes }));
    return out;
  };
  const alphaRef = onnx.AttributeProto.create({ name: 'value_float', type: AttributeType.FLOAT, refAttrName: 'alpha' }) as AttributeProto;
  const alphaF = node('Constant', [], 'alpha_f', [alphaRef]);
  const alphaX = node('CastLike', [alphaF, x], 'alpha_x');
  const mask = node('Less', [alphaX, x], 'mask');
  const zeroF = node('Constant', [], 'zero_f', [attr.float('value_float', 0)]);
  const zero = node('CastLike', [zeroF, dy], 'zero');
  body.outputs.push(node('Where', [mask, dy, zero], 'dX'));
  return new OnnxFunction({
    domain: TRELU_DOMAIN,
    name: GRAD_OP_TYPE,
    attributeNames: ['alpha'],
    opsetImports: new Map([['', opset]]),
    body,
  });
}

/**
 * Makes `model` able to run ThresholdedReluGrad nodes: adds the function and
 * the opset import for TRELU_DOMAIN, once. Returns whether anything was added.
 */
export function ensureThresholdedReluGradFunction(model: Model): boolean {
  const opset = model.onnxOpset;
  if (opset === undefined) throw new TreluError('E_GRAPH', 'the model imports no ai.onnx opset');
  let changed = false;
  if (!model.functions.some((f) => f.domain === TRELU_DOMAIN && f.name === GRAD_OP_TYPE)) {
    model.functions.push(thresholdedReluGradFunction(opset));
    changed = true;
  }
  if (model.opsetImports.get(TRELU_DOMAIN) !== TRELU_DOMAIN_VERSION) {
    model.opsetImports.set(TRELU_DOMAIN, TRELU_DOMAIN_VERSION);
    changed = true;
  }
  if (model.irVersion < 8) {
    model.irVersion = 8; // model-local functions arrived in IR 8
    changed = true;
  }
  return changed;
}
