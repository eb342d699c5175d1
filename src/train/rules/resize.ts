/**
 * Resize:
 *   nearest (any coordinate mode and rounding): the same Resize applied to the flat index of X (as
 *     float32: exact below 2^24 elements) says which element each output copies; dY is
 *     scatter-added there.
 *   linear, resizing at most the last two axes (N, C, H, W as torch's bilinear F.interpolate and
 *     nn.Upsample export it; or N, C, L): each plane is Y = A_h · X · A_w^T, with A_h [OH, H] and
 *     A_w [OW, W] the interpolation matrices ORT uses (computed at build time from the sizes, the
 *     scales and coordinate_transformation_mode half_pixel, pytorch_half_pixel, align_corners or
 *     asymmetric), so dX = A_h^T · dY · A_w: two MatMuls with constants.
 * Cubic and the other modes are refused, naming the node.
 */
import { checkedElementCount, MAX_CONSTANT_ELEMENTS } from '../../graph/limits.js';
import { attr } from '../../graph/attributes.js';
import type { Value } from '../../graph/value.js';
import { valueInfo } from '../../graph/infer/index.js';
import { makeTensor } from '../../onnx/tensor.js';
import type { GradContext, GradRule } from '../rule.js';
import { flatIndex, scatterAdd } from './scatter-add.js';


function nearestGrad(ctx: GradContext): Value {
  const { b, saved, inputInfo, inputCount, unsupported } = ctx;
  const x = saved.input(0);
  const dims = inputInfo(0).shape;
  const count = dims?.every((d) => typeof d === 'number') ? (dims as number[]).reduce((p, d) => p * d, 1) : undefined;
  if (count === undefined || count >= 2 ** 24) unsupported('needs the input size known and under 2^24 elements');
  const { index, size, shape } = flatIndex(ctx, x);
  const asFloat = b.op('Cast', [index], { name: 'resize_index', attributes: { to: 1 } });
  const rest = [...Array(inputCount).keys()].slice(1).map((i) => saved.optionalInput(i));
  const moved = b.op('Resize', [asFloat, ...rest], { name: 'resize_where', attributes: [...ctx.attributes] });
  const where = b.op('Cast', [moved], { name: 'resize_where', attributes: { to: 7 } });
  return scatterAdd(ctx, x, where, size, shape);
}

const COORDINATE_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'] as const;
type CoordinateMode = typeof COORDINATE_MODES[number];

/**
 * A [out, in] linear-interpolation matrix as ORT's CPU kernel computes it (upsamplebase.h, float32
 * arithmetic): the source coordinate clamped to [0, in - 1], weights 1 - frac and frac on its floor
 * and the next element (the last element alone at the edge).
 */
export function interpolationMatrix(inSize: number, outSize: number, scale: number, mode: CoordinateMode): Float32Array {
  const f = Math.fround;
  const a = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    let x: number;
    switch (mode) {
      case 'half_pixel': x = f(f(f(o + 0.5) / scale) - 0.5); break;
      case 'pytorch_half_pixel': x = outSize > 1 ? f(f(f(o + 0.5) / scale) - 0.5) : 0; break;
      case 'align_corners': x = outSize === 1 ? 0 : f(f(o * (inSize - 1)) / (outSize - 1)); break;
      case 'asymmetric': x = f(o / scale); break;
    }
    x = Math.max(0, Math.min(x, inSize - 1));
    const lo = Math.min(Math.floor(x), inSize - 1);
    const hi = Math.min(lo + 1, inSize - 1);
    const frac = f(x - lo);
    a[o * inSize + lo] += 1 - frac;
    a[o * inSize + hi] += frac;
  }
  return a;
}

const isIdentity = (a: Float32Array, n: number) => a.every((v, i) => v === (i % (n + 1) === 0 ? 1 : 0));

function linearGrad(ctx: GradContext): Value {
  const { attrs, b, dY, saved, inputInfo, outputInfo, hasInput, constantInput, unsupported } = ctx;
  const x = saved.input(0);
  if (attrs.int('antialias', 0) !== 0) unsupported('antialias');
  if (attrs.has('axes')) unsupported('the axes attribute (opset 18)');
  const mode = attrs.string('coordinate_transformation_mode', 'half_pixel');
  if (!(COORDINATE_MODES as readonly string[]).includes(mode)) unsupported(`mode 'linear' with coordinate_transformation_mode '${mode}' (the rule covers ${COORDINATE_MODES.join(', ')})`);
  const xShape = inputInfo(0).shape;
  const yShape = outputInfo(0).shape;
  if (!xShape || !yShape || xShape.length !== yShape.length || xShape.length === 0) unsupported('mode \'linear\' needs the input and output shapes known');
  const [xs, ys] = [xShape!, yShape!];
  const r = xs.length;
  const read = (i: number) => {
    const v = saved.optionalInput(i);
    // the element values inference followed (a Concat of Constants, as torch writes scales): recorded on the value
    const c = v ? constantInput(i) ?? valueInfo(v).value : undefined;
    return c && c.length === r && c.every((e) => typeof e === 'number') ? (c as number[]) : undefined;
  };
  const scales = read(2);
  if (hasInput(2) && !scales && !hasInput(3) && mode !== 'align_corners') unsupported('mode \'linear\' needs its scales known at build time');
  const first = Math.max(0, r - 2);
  for (let i = 0; i < first; i++) {
    if (xs[i] !== ys[i] || (scales && scales[i] !== 1)) unsupported('mode \'linear\' resizing an axis other than the last two');
  }
  let g = dY[0]!;
  // the last axis first: g [..., OH, OW] · A_w [OW, W]; then A_h^T [H, OH] · g
  for (const axis of [r - 1, r - 2].filter((a) => a >= first)) {
    const inSize = xs[axis];
    const outSize = ys[axis];
    if (typeof inSize !== 'number' || typeof outSize !== 'number') return unsupported(`mode 'linear' needs the sizes of axis ${axis} known`);
    checkedElementCount([outSize, inSize], `Resize node '${ctx.name}' interpolation matrix`, MAX_CONSTANT_ELEMENTS, 'the image is too large to differentiate this way (the gradient carries an [out, in] matrix per axis)');
    const a = interpolationMatrix(inSize, outSize, scales?.[axis] ?? outSize / inSize, mode as CoordinateMode);
    if (inSize === outSize && isIdentity(a, inSize)) continue;
    const last = axis === r - 1;
    const dims = last ? [outSize, inSize] : [inSize, outSize];
    const values = last ? a : transpose(a, outSize, inSize);
    const m = b.op('CastLike', [b.op('Constant', [], { name: 'resize_matrix', attributes: [attr.tensor('value', makeTensor('', dims, values))] }), x], { name: 'resize_matrix' });
    g = b.op('MatMul', last ? [g, m] : [m, g], { name: 'resize_grad' });
  }
  return g;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

export const resizeGrad: GradRule = {
  opType: 'Resize',
  // X for its shape and type; roi, scales, sizes for the index Resize (and the scales' propagated values)
  saves: (node) => ({ inputs: [...Array(Math.min(node.inputCount, 4)).keys()] }),
  backward(ctx) {
    const mode = ctx.attrs.string('mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear') ctx.unsupported(`mode '${mode}' (nearest and linear have rules)`);
    return [mode === 'nearest' ? nearestGrad(ctx) : linearGrad(ctx), undefined, undefined, undefined];
  },
};
