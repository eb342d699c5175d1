/**
 * AveragePool (2-D): dX = ConvTranspose(dY, ones / (kh*kw)) per channel. Exact
 * when every window divides by kh*kw: no padding, or count_include_pad = 1.
 */
import { attr } from '../../graph/attributes.js';
import { checkedElementCount, MAX_CONSTANT_ELEMENTS } from '../../graph/limits.js';
import { makeTensor } from '../../onnx/tensor.js';
import type { GradRule } from '../rule.js';

export const averagePoolGrad: GradRule = {
  opType: 'AveragePool',
  saves: {},
  backward({ name, attrs, b, dY, inputInfo, outputInfo, unsupported }) {
    const list = (n: string, d: number[]) => attrs.ints(n, d);
    const k = list('kernel_shape', []);
    const strides = list('strides', [1, 1]);
    const pads = list('pads', [0, 0, 0, 0]);
    const includePad = attrs.int('count_include_pad', 0) === 1;
    if (k.length !== 2) unsupported('only 2-D pooling');
    if (pads.some((p) => p !== 0) && !includePad) unsupported('padding with count_include_pad = 0 divides windows unequally');
    if (attrs.int('ceil_mode', 0) === 1) unsupported('ceil_mode');
    const xs = inputInfo(0).shape;
    const ys = outputInfo(0).shape;
    const c = xs?.[1];
    if (!xs || !ys || typeof c !== 'number' || ![xs[2], xs[3], ys[2], ys[3]].every((d) => typeof d === 'number')) unsupported('channels and spatial sizes must be known');
    if (inputInfo(0).dtype !== 1) unsupported('float32 only');
    const [h, w, oh, ow] = [xs![2], xs![3], ys![2], ys![3]] as number[];
    const kernel = makeTensor('', [c as number, 1, k[0]!, k[1]!], new Float32Array(checkedElementCount([c as number, k[0]!, k[1]!], `AveragePool gradient kernel of '${name}'`, MAX_CONSTANT_ELEMENTS)).fill(1 / (k[0]! * k[1]!)));
    const weights = b.op('Constant', [], { name: 'avgpool_w', attributes: [attr.tensor('value', kernel)] });
    const opad = [h! - (strides[0]! * (oh! - 1) + k[0]! - pads[0]! - pads[2]!), w! - (strides[1]! * (ow! - 1) + k[1]! - pads[1]! - pads[3]!)];
    return [b.op('ConvTranspose', [dY[0], weights], { name: 'avgpool_grad', attributes: [attr.ints('strides', strides), attr.ints('pads', pads), attr.int('group', c as number), attr.ints('output_padding', opad), attr.ints('kernel_shape', k)] })];
  },
};
