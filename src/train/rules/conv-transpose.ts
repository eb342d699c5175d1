/**
 * ConvTranspose (1-D and 2-D; groups, strides, dilations, pads, output_padding,
 * output_shape and auto_pad resolved to pads at build time). ConvTranspose is
 * the adjoint of the Conv C(Z) = Conv(Z, W) with the same attributes, taken
 * from Y's shape back to X's (W [C, M/g, k...] is exactly that Conv's weight):
 *
 *   dX = Conv(dY, W)                    same strides, dilations, pads, group
 *   dW = Conv's dW for input dY and output gradient X (conv.ts's rule run on a
 *        context that shows that Conv: the patches of dY against X)
 *   dB = ReduceSum(dY, [0, 2, ...])
 *
 * Every input element reaches the output (output_padding < stride, as ORT
 * requires), so that Conv's output has X's shape.
 */
import { TreluError } from '../../errors.js';
import { attr } from '../../graph/attributes.js';
import { NodeAttributes } from '../../graph/node-attributes.js';
import type { Value } from '../../graph/value.js';
import type { GradContext, GradRule, StaticInfo } from '../rule.js';
import { convGrad } from './conv.js';

/**
 * The explicit pads ORT 1.30 uses (measured on cpu, wasm and webgpu): with output_shape, or auto_pad
 * SAME_* (output = input * stride), the total padding is split with the odd element at the end for
 * SAME_UPPER and at the beginning otherwise (NOTSET with output_shape, SAME_LOWER), as in the spec.
 */
function resolvePads(autoPad: string, given: number[] | undefined, outShape: number[] | undefined, o: { x: number[]; k: number[]; s: number[]; d: number[]; op: number[] }, fail: (why: string) => never): number[] {
  const n = o.x.length;
  if (autoPad === 'VALID') return new Array(2 * n).fill(0);
  if (autoPad === 'NOTSET' && !outShape) return given ?? new Array(2 * n).fill(0);
  if (autoPad !== 'NOTSET' && autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') fail(`auto_pad '${autoPad}'`);
  const out = outShape ? outShape.slice(-n) : o.x.map((v, i) => v * o.s[i]!);
  const total = o.x.map((v, i) => o.s[i]! * (v - 1) + o.op[i]! + (o.k[i]! - 1) * o.d[i]! + 1 - out[i]!);
  if (total.some((t) => t < 0)) fail(`output size [${out.join(',')}] is larger than pads of 0 give; that needs output_padding, not pads`);
  const head = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : t - Math.floor(t / 2)));
  return [...head, ...total.map((t, i) => t - head[i]!)];
}

export const convTransposeGrad: GradRule = {
  opType: 'ConvTranspose',
  saves: { inputs: [0, 1] }, // X for dW (and its shape), W for dX
  backward(ctx) {
    const { b, dY, needs, ints, unsupported, attrs, saved, inputInfo, hasInput } = ctx;
    const xInfo = inputInfo(0);
    const wInfo = inputInfo(1);
    const xs = xInfo.shape;
    const ws = wInfo.shape;
    if (!xs || (xs.length !== 3 && xs.length !== 4) || !ws) return unsupported('only 1-D and 2-D transposed convolutions with known input and weight shapes');
    if (!xs.slice(1).every((v) => typeof v === 'number') || !ws.every((v) => typeof v === 'number')) unsupported('channel, kernel and spatial sizes must be known');
    const bad = (why: string): never => { throw new TreluError('E_GRAPH', `ConvTranspose node '${ctx.name}': ${why}`); };
    const n = xs.length - 2;
    const spatial = xs.slice(2) as number[];
    const kernel = (ws as number[]).slice(2);
    const ones = new Array(n).fill(1);
    const s = attrs.ints('strides', ones);
    const d = attrs.ints('dilations', ones);
    const op = attrs.ints('output_padding', new Array(n).fill(0));
    const group = attrs.int('group', 1);
    const given = attrs.ints('pads');
    const outShape = attrs.ints('output_shape');
    if ([s, d, op].some((a) => a.length !== n) || (given && given.length !== 2 * n) || (outShape && outShape.length !== n && outShape.length !== n + 2)) bad(`strides, dilations, output_padding need ${n} values and pads ${2 * n} for a ${n}-D input`);
    if (![...s, ...d].every((v) => Number.isInteger(v) && v >= 1) || !op.every((v) => Number.isInteger(v) && v >= 0) || (given && !given.every((p) => Number.isInteger(p) && p >= 0))) bad('strides and dilations must be >= 1, pads and output_padding >= 0');
    const pads = resolvePads(attrs.string('auto_pad', 'NOTSET'), given, outShape, { x: spatial, k: kernel, s, d, op }, unsupported);
    const c = xs[1] as number;
    if (!Number.isInteger(group) || group < 1 || c % group !== 0 || ws[0] !== c) bad(`W [${ws.join(',')}] and group ${group} do not fit ${c} input channels`);
    // ORT refuses output_padding >= stride (its output then has rows no input reaches: "may be too large for stride").
    if (op.some((v, i) => v >= s[i]!)) unsupported(`output_padding [${op.join(',')}] is not below the strides [${s.join(',')}]`);
    const convAttrs = [attr.ints('strides', s), attr.ints('dilations', d), attr.ints('pads', pads), attr.int('group', group), attr.ints('kernel_shape', kernel)];
    const out: (Value | undefined)[] = [undefined, undefined, undefined];
    if (needs(0)) out[0] = b.op('Conv', [dY[0], saved.input(1)], { name: 'convt_dx', attributes: convAttrs });
    if (needs(1)) {
      // The adjoint Conv as conv.ts's rule sees a Conv: input dY (Y's shape, from the attributes: inference may
      // not have followed it), weight W, output X; its output gradient is X.
      const ys = spatial.map((v, i) => s[i]! * (v - 1) + op[i]! + (kernel[i]! - 1) * d[i]! + 1 - pads[i]! - pads[n + i]!);
      const yInfo: StaticInfo = { name: ctx.outputInfo(0).name, dtype: xInfo.dtype, shape: [xs[0], (ws[1] as number) * group, ...ys], rank: n + 2 };
      const none: StaticInfo = { name: undefined, dtype: undefined, shape: undefined, rank: undefined };
      const adjoint: GradContext = {
        ...ctx,
        opType: 'Conv',
        attrs: new NodeAttributes({ attributes: convAttrs, opType: 'Conv', name: ctx.name }),
        attributes: convAttrs,
        inputCount: 2,
        hasInput: (i) => i < 2,
        inputInfo: (i) => (i === 0 ? yInfo : i === 1 ? wInfo : none),
        outputInfo: (i) => (i === 0 ? xInfo : none),
        dY: [saved.input(0)],
        needs: (i) => i === 1,
        saved: {
          ...saved,
          input: (i) => (i === 0 ? dY[0]! : saved.input(i)),
          optionalInput: (i) => (i === 0 ? dY[0] : i === 1 ? saved.input(1) : undefined),
        },
      };
      out[1] = convGrad.backward(adjoint)[1];
    }
    if (hasInput(2) && needs(2)) out[2] = b.op('ReduceSum', [dY[0], ints([0, ...[...Array(n).keys()].map((i) => i + 2)])], { name: 'convt_db', attributes: { keepdims: 0 } });
    return out;
  },
};
