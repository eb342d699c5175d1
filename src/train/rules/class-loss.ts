/**
 * What SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss share: per
 * element i (over N and any d1..dk), loss_i = -w_i * x[i, y_i] with
 * w_i = weight[y_i] (1 without weights) and 0 where y_i == ignore_index.
 * Reductions: none (loss_i), sum, mean = sum / Σ w_i (PyTorch's and ONNX's
 * weighted mean: ignored rows leave the denominator). d loss / d x[i, c] is
 * -coef_i * onehot(y_i)[c], coef_i = w_i * dLoss_i (/ Σ w for the mean).
 */
import { DataType } from '../../onnx/proto.js';
import { MAX_CONSTANT_ELEMENTS } from '../../graph/limits.js';
import type { Value } from '../../graph/value.js';
import type { GradContext } from '../rule.js';

export interface ClassLossParts {
  /** [N, C, d..] float (like x): 1 at each element's label (0 on ignored elements: their label is clamped to 0 and coef is 0). */
  onehot: Value;
  /** The per-element factor, shaped to broadcast against x ([N, 1, d..]), or a scalar where every element has the same one. */
  coef: Value;
}

/** For the loss node of `ctx` (inputs: x [N, C, d..], labels [N, d..], weight [C]?; all three saved). */
export function classLossParts(ctx: GradContext): ClassLossParts {
  const { attrs, b, dY, saved, inputInfo, ints } = ctx;
  const [x, labels, weights] = [saved.input(0), saved.input(1), saved.optionalInput(2)];
  const reduction = attrs.string('reduction', 'mean');
  if (!['mean', 'sum', 'none'].includes(reduction)) ctx.unsupported(`reduction '${reduction}'`);
  const ignoreIndex = attrs.int('ignore_index');
  if (weights && ctx.needs(2)) ctx.unsupported('a gradient with respect to the class weights');
  const labels64 = inputInfo(1).dtype === DataType.INT64 ? labels : b.op('Cast', [labels], { name: 'loss_labels', attributes: { to: DataType.INT64 } });
  let mask: Value | undefined;
  let safe = labels64;
  if (ignoreIndex !== undefined) {
    mask = b.op('Not', [b.op('Equal', [labels64, ints([ignoreIndex], 'loss_ignore')], { name: 'loss_kept' })], { name: 'loss_kept' });
    safe = b.op('Where', [mask, labels64, ints([0], 'loss_zero')], { name: 'loss_labels' });
  }
  const onehot = oneHot(ctx, x, safe);
  // w_i over the labels' shape, when it is not 1 everywhere.
  let w: Value | undefined = weights ? b.op('Gather', [weights, safe], { name: 'loss_w', attributes: { axis: 0 } }) : undefined;
  if (mask) {
    const m = b.op('CastLike', [mask, x], { name: 'loss_mask' });
    w = w ? b.op('Mul', [w, m], { name: 'loss_w' }) : m;
  }
  let coef: Value;
  if (reduction === 'none') {
    coef = w ? b.op('Mul', [dY[0], w], { name: 'loss_coef' }) : dY[0]!;
  } else {
    let scale = dY[0]!;
    if (reduction === 'mean') {
      const labelDims = inputInfo(1).shape;
      const denom = w
        ? b.op('ReduceSum', [w], { name: 'loss_denom', attributes: { keepdims: 0 } })
        : labelDims?.every((d) => typeof d === 'number')
          ? ctx.scalar((labelDims as number[]).reduce((p, d) => p * d, 1), x)
          : b.op('CastLike', [b.op('Size', [labels], { name: 'loss_count' }), x], { name: 'loss_count' });
      scale = b.op('Div', [scale, denom], { name: 'loss_scale' });
    }
    coef = w ? b.op('Mul', [w, scale], { name: 'loss_coef' }) : scale;
  }
  // Per-element factors broadcast against x along the class axis.
  if (w || reduction === 'none') coef = b.op('Unsqueeze', [coef, ints([1], 'loss_axis')], { name: 'loss_coef' });
  return { onehot, coef };
}

/** onehot(labels) along axis 1 of x (input 0), in x's type: Equal against 0..C-1 (ORT's OneHot is ~10x slower) where the rank is known. */
function oneHot(ctx: GradContext, x: Value, labels: Value): Value {
  const { b, inputInfo, ints } = ctx;
  const shape = inputInfo(0).shape;
  const c = shape?.[1];
  let classes: Value;
  // A constant 0..C-1 for a sane C; a huge (or malformed) declared C is computed at run time instead
  // of built here: a fuzzed C of 2^31-1 ran the builder out of memory.
  if (typeof c === 'number' && Number.isSafeInteger(c) && c >= 0 && c <= MAX_CONSTANT_ELEMENTS) classes = ints([...Array(c).keys()], 'loss_classes');
  else {
    const cDim = b.op('Squeeze', [b.op('Gather', [b.op('Shape', [x], { name: 'grad_shape' }), ints([1])], { name: 'loss_c', attributes: { axis: 0 } }), ints([0])], { name: 'loss_c' });
    classes = b.op('Range', [b.op('Squeeze', [ints([0])], { name: 'loss_0' }), cDim, b.op('Squeeze', [ints([1])], { name: 'loss_1' })], { name: 'loss_classes' });
  }
  let hot: Value;
  if (shape) {
    // labels [N, d..] → [N, 1, d..]; classes [C] → [C, 1.. (rank - 2 ones)]
    const column = b.op('Unsqueeze', [labels, ints([1], 'loss_axis')], { name: 'loss_labels' });
    const cls = shape.length > 2 ? b.op('Unsqueeze', [classes, ints([...Array(shape.length - 2).keys()].map((i) => i + 1))], { name: 'loss_classes' }) : classes;
    hot = b.op('Equal', [column, cls], { name: 'loss_onehot' });
  } else {
    // rank unknown: OneHot along axis 1
    const depth = b.op('Gather', [b.op('Shape', [x], { name: 'grad_shape' }), ints([1])], { name: 'loss_c', attributes: { axis: 0 } });
    hot = b.op('OneHot', [labels, depth, ints([0, 1])], { name: 'loss_onehot', attributes: { axis: 1 } });
  }
  return b.op('CastLike', [hot, x], { name: 'loss_onehot' });
}
