/**
 * Conv (2-D, explicit pads, any groups, strides, dilations):
 *   dX = ConvTranspose(dY, W) with output_padding chosen to give X's size back;
 *   dW = per group, Conv(X^T, dY^T) with strides and dilations swapped,
 *        transposed back and cut to the kernel size;
 *   dB = ReduceSum(dY, [0, 2, 3]).
 * Needs the spatial sizes of X and Y at build time.
 */
import Long from 'long';
import { attr } from '../../graph/attributes.js';
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../context.js';

export const convGrad: GradRule = {
  opType: 'Conv',
  backward({ node, b, dY, needs, info, ints, unsupported }) {
    const [x, w, bias] = node.inputs as Value[];
    const xs = info(x!)?.shape;
    const ws = info(w!)?.shape;
    const ys = info(node.outputs[0]!)?.shape;
    if (!xs || xs.length !== 4 || !ws || !ys) return unsupported('only 2-D convolutions with known shapes');
    const autoPad = node.attribute('auto_pad');
    if (autoPad && new TextDecoder().decode(autoPad.s) !== 'NOTSET') unsupported('auto_pad other than NOTSET');
    const list = (n: string, d: number[]) => node.attribute(n)?.ints.map((i) => Long.fromValue(i).toNumber()) ?? d;
    const group = node.attribute('group') ? Long.fromValue(node.attribute('group')!.i).toNumber() : 1;
    const strides = list('strides', [1, 1]);
    const dil = list('dilations', [1, 1]);
    const pads = list('pads', [0, 0, 0, 0]);
    const [, C, H, W] = xs;
    const [M, , KH, KW] = ws;
    const [, , OH, OW] = ys;
    const nums = [C, H, W, M, KH, KW, OH, OW];
    if (!nums.every((v) => typeof v === 'number')) unsupported('channel, kernel and spatial sizes must be known');
    const [c, h, wd, m, kh, kw, oh, ow] = nums as number[];
    const out: (Value | undefined)[] = [undefined, undefined, undefined];
    if (needs(0)) {
      const span = (k: number, d: number) => (k - 1) * d + 1;
      const opad = [h! - (strides[0]! * (oh! - 1) + span(kh!, dil[0]!) - pads[0]! - pads[2]!), wd! - (strides[1]! * (ow! - 1) + span(kw!, dil[1]!) - pads[1]! - pads[3]!)];
      out[0] = b.op('ConvTranspose', [dY[0], w], {
        name: 'conv_dx',
        attributes: [attr.ints('strides', strides), attr.ints('pads', pads), attr.ints('dilations', dil), attr.int('group', group), attr.ints('output_padding', opad), attr.ints('kernel_shape', [kh!, kw!])],
      });
    }
    if (needs(1)) {
      const cg = c! / group;
      const mg = m! / group;
      const perGroup: Value[] = [];
      for (let g = 0; g < group; g++) {
        const sl = (v: Value, size: number, name: string) => (group === 1 ? v : b.op('Slice', [v, ints([g * size]), ints([(g + 1) * size]), ints([1])], { name }));
        const xT = b.op('Transpose', [sl(x!, cg, 'conv_xg')], { name: 'conv_xt', attributes: [attr.ints('perm', [1, 0, 2, 3])] });
        const dyT = b.op('Transpose', [sl(dY[0]!, mg, 'conv_dyg')], { name: 'conv_dyt', attributes: [attr.ints('perm', [1, 0, 2, 3])] });
        const r = b.op('Conv', [xT, dyT], { name: 'conv_dw_raw', attributes: [attr.ints('strides', dil), attr.ints('dilations', strides), attr.ints('pads', pads)] });
        const rt = b.op('Transpose', [r], { name: 'conv_dw_t', attributes: [attr.ints('perm', [1, 0, 2, 3])] });
        perGroup.push(b.op('Slice', [rt, ints([0, 0]), ints([kh!, kw!]), ints([2, 3])], { name: 'conv_dw_cut' }));
      }
      out[1] = group === 1 ? perGroup[0] : b.op('Concat', perGroup, { name: 'conv_dw', attributes: [attr.int('axis', 0)] });
    }
    if (bias && needs(2)) out[2] = b.op('ReduceSum', [dY[0], ints([0, 2, 3])], { name: 'conv_db', attributes: [attr.int('keepdims', 0)] });
    return out;
  },
};
