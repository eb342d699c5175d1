/**
 * Conv (2-D, explicit pads, any groups, strides, dilations):
 *   dX = ConvTranspose(dY, W), output_padding chosen to give X's size back. No
 *        work on W: the flipped, channel-swapped W' of a Conv(dY, W') took a
 *        Transpose and a Gather over every weight per step, 60-90% of
 *        resnet18's backward at batch 2 (bench:grad-compare);
 *   dW = the patches of X times dY, summed over the batch:
 *          patches = Conv of each channel of X with one-hot kernels   [N*C, kh*kw, OH, OW]
 *                    (1x1 without pads: X itself, or a strided Slice of it)
 *          group 1:  dW = Gemm(dY as [M, N*P], patches as [C*kh*kw, N*P], transB)
 *          one output channel per group (depthwise): dW_g = patches_g [cg*kh*kw, N*P] @ dY_g [N*P, 1]
 *          otherwise, per group: (patches_g @ dY_g^T)^T
 *        (P = OH*OW; the batch folded into the contraction). The operands are laid out by
 *        Transposes that move whole rows of P elements; the results need no Transpose;
 *   dB = ReduceSum(dY, [0, 2, 3]).
 * Needs the channel, kernel and spatial sizes at build time. 1-D: through the
 * 2-D rule with a unit axis (lift-1d.ts).
 */
import { TreluError } from '../../errors.js';
import { attr } from '../../graph/attributes.js';
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../rule.js';
import { oneHotKernels } from './one-hot-kernels.js';
import { backwardAs2d, isOneD } from './lift-1d.js';

const conv2dGrad: GradRule = {
  opType: 'Conv',
  saves: { inputs: [0, 1] },
  backward({ name, attrs, b, dY, saved, hasInput, needs, inputInfo, outputInfo, ints, unsupported }) {
    const [x, w] = [saved.input(0), saved.input(1)];
    const xs = inputInfo(0).shape;
    const ws = inputInfo(1).shape;
    const ys = outputInfo(0).shape;
    if (!xs || xs.length !== 4 || !ws || !ys) return unsupported('only 1-D and 2-D convolutions with known shapes');
    if (attrs.string('auto_pad', 'NOTSET') !== 'NOTSET') unsupported('auto_pad other than NOTSET');
    const list = (n: string, d: number[]) => attrs.ints(n, d);
    const group = attrs.int('group', 1);
    const strides = list('strides', [1, 1]);
    const dil = list('dilations', [1, 1]);
    const pads = list('pads', [0, 0, 0, 0]);
    const [, C, H, W] = xs;
    const [M, , KH, KW] = ws;
    const [, , OH, OW] = ys;
    const nums = [C, H, W, M, KH, KW, OH, OW];
    if (!nums.every((v) => typeof v === 'number')) unsupported('channel, kernel and spatial sizes must be known');
    const [c, h, wd, m, kh, kw, oh, ow] = nums as number[];
    // Malformed attributes are the model's mistake: refuse them before any size is computed from them.
    const bad = (why: string): never => { throw new TreluError('E_GRAPH', `Conv node '${name}': ${why}`); };
    if (!nums.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) bad(`shapes [${xs.join(',')}] and [${ws.join(',')}] are not non-negative integers`);
    if (!Number.isInteger(group) || group < 1 || c! % group !== 0 || m! % group !== 0) bad(`group ${group} does not divide ${c} input and ${m} output channels`);
    if (strides.length !== 2 || dil.length !== 2 || pads.length !== 4) bad('strides and dilations need 2 values and pads 4 for a 2-D convolution');
    if (![...strides, ...dil].every((v) => Number.isInteger(v) && v >= 1) || !pads.every((p) => Number.isInteger(p) && p >= 0)) bad('strides and dilations must be >= 1 and pads >= 0');
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
      // The patches come from a Conv with one-hot kernels over each channel of X on its own
      // (channels moved into the batch: [N*C, 1, H, W]): each output is 1 * one element of X
      // (exact) for kh*kw multiplies. A dense one-hot Conv (C*kh*kw outputs from all C inputs)
      // costs C times more and ran 2.5x slower in ORT; a grouped Conv (group C) is as fast on
      // the CPU but ORT's WebGPU EP computes grouped Convs with 5-7 or 9 outputs per group
      // wrongly (ORT 1.30). im2col by Gather was slower still (bench:grad), and so was the
      // classic dW = Conv(X^T, dY^T as the kernel, strides and dilations swapped) for group 1:
      // its result needs a Transpose (and often a Slice) over every weight; resnet18's backward
      // kernels took 70 ms that way against 22 ms with the Gemm below, cnn.onnx's gradient
      // 33 ms against 25 ms (bench:grad-compare, one run, load 13).
      const cg = c! / group;
      const mg = m! / group;
      const taps = kh! * kw!;
      // A 1x1 kernel without pads takes each element once: the patches are X itself (stride 1), or
      // every stride-th element of it (a Slice): no Conv, no copy of X to lay them out.
      const pointwise = taps === 1 && pads.every((v) => v === 0);
      let patches: Value;
      if (pointwise && strides.every((v) => v === 1)) patches = x!;
      else if (pointwise) patches = b.op('Slice', [x, ints([0, 0]), ints([h!, wd!]), ints([2, 3]), ints(strides)], { name: 'conv_patches' });
      else {
        const eye = oneHotKernels(b, [kh!, kw!], x!, 'conv_eye');
        const perChannel = b.op('Reshape', [x, ints([-1, 1, h!, wd!])], { name: 'conv_xc' });
        patches = b.op('Conv', [perChannel, eye], {
          name: 'conv_patches', attributes: [attr.ints('strides', strides), attr.ints('pads', pads), attr.ints('dilations', dil), attr.ints('kernel_shape', [kh!, kw!])],
        });
      }
      const p = oh! * ow!;
      // [A, B, P] -> [B, A, P] -> [B, A*P]: moves runs of P elements (an element-wise transpose
      // of dY's last two axes took 22 ms of cnn.onnx's 35 ms backward at batch 128).
      const rows = (v: Value, dims: number[], perm: number[], to: number[], name: string) => b.op('Reshape', [b.op('Transpose', [b.op('Reshape', [v, ints(dims)], { name })], { name, attributes: { perm } }), ints(to)], { name });
      // dY's batch and channel axes swapped as they are. (A Reshape in ORT aliases its input
      // whoever else reads it; it copies only where its output is a graph output: conv_dw below,
      // a copy of every weight's gradient, since Gemm writes 2-D.)
      const dyRows = (to: number[]) => b.op('Reshape', [b.op('Transpose', [dY[0]!], { name: 'conv_dymat', attributes: { perm: [1, 0, 2, 3] } }), ints(to)], { name: 'conv_dymat' });
      // Pointwise patches are 4-D [N, C, OH, OW]: their batch and channel axes swapped as they are, like dY's.
      const channelRows = (v: Value, to: number[]) => b.op('Reshape', [b.op('Transpose', [v], { name: 'conv_pmat', attributes: { perm: [1, 0, 2, 3] } }), ints(to)], { name: 'conv_pmat' });
      if (group === 1) {
        const dyM = dyRows([m!, -1]);
        const pM = pointwise ? channelRows(patches, [c!, -1]) : rows(patches, [-1, c! * taps, p], [1, 0, 2], [c! * taps, -1], 'conv_pmat');
        out[1] = b.op('Reshape', [b.op('Gemm', [dyM, pM], { name: 'conv_dw_mm', attributes: { transB: 1 } }), ints([m!, c!, kh!, kw!])], { name: 'conv_dw' });
      } else {
        const pmat = pointwise ? channelRows(patches, [group, cg, -1]) : rows(patches, [-1, group, cg * taps, p], [1, 2, 0, 3], [group, cg * taps, -1], 'conv_pmat'); // [G, cg*taps, N*P]
        if (mg === 1) {
          const dyV = dyRows([group, -1, 1]); // [G, N*P, 1]
          out[1] = b.op('Reshape', [b.op('MatMul', [pmat, dyV], { name: 'conv_dw_mm' }), ints([m!, cg, kh!, kw!])], { name: 'conv_dw' });
        } else {
          const dyT = b.op('Reshape', [b.op('Transpose', [b.op('Reshape', [dY[0]!, ints([0, group, mg, p])], { name: 'conv_dymat' })], { name: 'conv_dyt', attributes: { perm: [1, 0, 3, 2] } }), ints([group, -1, mg])], { name: 'conv_dyt' });
          const summed = b.op('MatMul', [pmat, dyT], { name: 'conv_dw_mm' }); // [G, cg*taps, mg]
          const dwT = b.op('Transpose', [summed], { name: 'conv_dw_t', attributes: [attr.ints('perm', [0, 2, 1])] }); // [G, mg, cg*taps]
          out[1] = b.op('Reshape', [dwT, ints([m!, cg, kh!, kw!])], { name: 'conv_dw' });
        }
      }
    }
    if (hasInput(2) && needs(2)) out[2] = b.op('ReduceSum', [dY[0], ints([0, 2, 3])], { name: 'conv_db', attributes: [attr.int('keepdims', 0)] });
    return out;
  },
};

export const convGrad: GradRule = {
  opType: 'Conv',
  saves: { inputs: [0, 1] },
  backward: (ctx) => (isOneD(ctx) ? backwardAs2d(ctx, conv2dGrad, [0, 1]) : conv2dGrad.backward(ctx)),
};
