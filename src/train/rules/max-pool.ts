/**
 * MaxPool, without its Indices output where the windows allow it, so that the
 * gradient model runs on every ORT EP (ORT's WebGPU EP cannot run MaxPool
 * with Indices; see max-pool-indices.ts). Each window's first maximum, in
 * row-major order, takes the gradient, as with Indices (and in ORT, PyTorch
 * and TF):
 *
 *   windows = Conv(X as [N*C, 1, ...], one-hot kernels, stride)   [N*C, taps, O...]: each window's elements as channels (exact copies)
 *   first   = Equal(ArgMax(windows as [N, C, taps, O...], axis 2), 0..taps-1)
 *   dX      = ConvTranspose(Where(first, dY, 0) as [N*C, taps, O...], the same kernels)   (each element back in its place)
 *
 * For windows that do not overlap and need no padding (stride >= kernel,
 * dilation 1, no pads, no ceil_mode) and known channel and spatial sizes.
 * Otherwise the gradient goes through Indices, with a warning. On ORT's CPU
 * EP this costs 1.3-1.9x the Indices path (bench:grad's MaxPool nodes).
 */
import { attr } from '../../graph/attributes.js';
import { makeTensor } from '../../onnx/tensor.js';
import type { Node } from '../../graph/node.js';
import type { TensorInfo } from '../../graph/infer.js';
import type { Value } from '../../graph/value.js';
import type { GradRule } from '../context.js';
import { maxPoolThroughIndices, poolAttributes } from './max-pool-indices.js';
import { oneHotKernels } from './one-hot-kernels.js';

interface Windows {
  kernel: number[];
  strides: number[];
  channels: number;
  outSpatial: number[];
}

/** The window geometry when the Indices-free gradient applies, else undefined. */
function windowsWithoutIndices(node: Node, info: (v: Value) => TensorInfo | undefined): Windows | undefined {
  const { kernel, strides, dilations, pads = [], autoPad, ceilMode, storageOrder } = poolAttributes(node);
  if (!kernel.length || (autoPad !== 'NOTSET' && autoPad !== 'VALID') || ceilMode !== 0 || storageOrder !== 0) return undefined;
  if (pads.some((p) => p !== 0) || dilations.some((d) => d !== 1) || kernel.some((k, i) => strides[i]! < k)) return undefined;
  const xs = info(node.inputs[0]!)?.shape;
  const ys = info(node.outputs[0]!)?.shape;
  const channels = xs?.[1];
  const outSpatial = ys?.slice(2);
  if (typeof channels !== 'number' || !outSpatial || outSpatial.length !== kernel.length || !outSpatial.every((d) => typeof d === 'number')) return undefined;
  if (!xs!.slice(2).every((d) => typeof d === 'number')) return undefined;
  return { kernel, strides, channels, outSpatial: outSpatial as number[] };
}

export const maxPoolGrad: GradRule = {
  opType: 'MaxPool',
  saves: (node, info) => (windowsWithoutIndices(node, info) ? { inputs: [0] } : { inputs: [0], outputs: [1] }),
  backward(ctx) {
    const { node, b, dY, ints, info, warn } = ctx;
    const w = windowsWithoutIndices(node, info);
    if (!w) {
      warn(`MaxPool node '${node.name || node.outputs[0]!.name}': its gradient uses MaxPool's Indices output (overlapping or padded windows, or unknown sizes), which ORT's WebGPU EP cannot run`);
      return maxPoolThroughIndices(ctx);
    }
    const x = node.inputs[0]!;
    const taps = w.kernel.reduce((p, k) => p * k, 1);
    const xSpatial = info(x)!.shape!.slice(2) as number[];
    // Each channel on its own ([N*C, 1, ...]): grouped Convs and ConvTransposes (group C) would do
    // the same, but ORT's WebGPU EP computes some of them wrongly (ORT 1.30).
    const kernels = oneHotKernels(b, w.kernel, x, 'maxpool_onehot');
    const geometry = [attr.ints('kernel_shape', w.kernel), attr.ints('strides', w.strides)];
    const perChannel = b.op('Reshape', [x, ints([-1, 1, ...xSpatial])], { name: 'maxpool_xc' });
    const windows = b.op('Conv', [perChannel, kernels], { name: 'maxpool_windows', attributes: geometry });
    const perWindow = b.op('Reshape', [windows, ints([-1, w.channels, taps, ...w.outSpatial])], { name: 'maxpool_windows' });
    const argmax = b.op('ArgMax', [perWindow], { name: 'maxpool_argmax', attributes: [attr.int('axis', 2), attr.int('keepdims', 1), attr.int('select_last_index', 0)] });
    // 0..taps-1 shaped [taps, 1, ..., 1]: it lines up with axis 2 of the ArgMax.
    const tapIds = makeTensor('', [taps, ...w.outSpatial.map(() => 1)], BigInt64Array.from([...Array(taps).keys()].map(BigInt)));
    const first = b.op('Equal', [argmax, b.op('Constant', [], { name: 'maxpool_taps', attributes: [attr.tensor('value', tapIds)] })], { name: 'maxpool_first' });
    const dy = b.op('Reshape', [dY[0]!, ints([0, w.channels, 1, ...w.outSpatial])], { name: 'maxpool_dy' });
    const zero = ctx.scalar(0, x);
    const routed = b.op('Reshape', [b.op('Where', [first, dy, zero], { name: 'maxpool_routed' }), ints([-1, taps, ...w.outSpatial])], { name: 'maxpool_routed' });
    // Rows and columns past the last window get no gradient: output_padding gives X's size back.
    const outputPadding = xSpatial.map((d, i) => d - ((w.outSpatial[i]! - 1) * w.strides[i]! + w.kernel[i]!));
    const placed = b.op('ConvTranspose', [routed, kernels], { name: 'maxpool_placed', attributes: [...geometry, attr.ints('output_padding', outputPadding)] });
    return [b.op('Reshape', [placed, ints([-1, w.channels, ...xSpatial])], { name: 'maxpool_grad' })];
  },
};
