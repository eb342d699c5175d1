/**
 * Conv (2-D, explicit pads, any groups, strides, dilations):
 *   dX = ConvTranspose(dY, W) with output_padding chosen to give X's size back;
 *   dW = per group, dY (as an M x N*P matrix) times the patches of X
 *        (N*P x C*kh*kw), extracted by a Conv with a one-hot kernel;
 *   dB = ReduceSum(dY, [0, 2, 3]).
 * Needs the spatial sizes of X and Y at build time.
 */
import Long from 'long';
import { attr } from '../../graph/attributes.js';
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../context.js';
import { makeTensor } from '../../onnx/tensor.js';

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
      // dW = dY (an M x N*P matrix) @ patches (N*P x C*kh*kw), per group. The patches come from a
      // Conv of X with a one-hot kernel (each output element is 1 * one x: exact), which ORT runs
      // as fast as the forward Conv; gathering them (im2col by Gather) or convolving X^T with dY^T
      // as the kernel computes the same but ran 3-5x slower in ORT.
      const cg = c! / group;
      const mg = m! / group;
      const k = cg * kh! * kw!;
      const onehot = new Float32Array(k * k);
      for (let i = 0; i < k; i++) onehot[i * k + i] = 1;
      const eye = b.op('CastLike', [b.op('Constant', [], { name: 'conv_eye', attributes: [attr.tensor('value', makeTensor('', [k, cg, kh!, kw!], onehot))] }), x], { name: 'conv_eye' });
      const perGroup: Value[] = [];
      for (let g = 0; g < group; g++) {
        const sl = (v: Value, size: number, name: string) => (group === 1 ? v : b.op('Slice', [v, ints([g * size]), ints([(g + 1) * size]), ints([1])], { name }));
        const patches = b.op('Conv', [sl(x!, cg, 'conv_xg'), eye], {
          name: 'conv_patches', attributes: [attr.ints('strides', strides), attr.ints('pads', pads), attr.ints('dilations', dil), attr.ints('kernel_shape', [kh!, kw!])],
        });
        const pmat = b.op('Reshape', [b.op('Transpose', [patches], { name: 'conv_pt', attributes: [attr.ints('perm', [0, 2, 3, 1])] }), ints([-1, k])], { name: 'conv_pmat' });
        const dyg = b.op('Reshape', [b.op('Transpose', [sl(dY[0]!, mg, 'conv_dyg')], { name: 'conv_dyt', attributes: [attr.ints('perm', [1, 0, 2, 3])] }), ints([mg, -1])], { name: 'conv_dymat' });
        perGroup.push(b.op('Reshape', [b.op('MatMul', [dyg, pmat], { name: 'conv_dw_mm' }), ints([mg, cg, kh!, kw!])], { name: 'conv_dwg' }));
      }
      out[1] = group === 1 ? perGroup[0] : b.op('Concat', perGroup, { name: 'conv_dw', attributes: [attr.int('axis', 0)] });
    }
    if (bias && needs(2)) out[2] = b.op('ReduceSum', [dY[0], ints([0, 2, 3])], { name: 'conv_db', attributes: [attr.int('keepdims', 0)] });
    return out;
  },
};
