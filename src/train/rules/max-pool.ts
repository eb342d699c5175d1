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
 * Overlapping windows (ConvTranspose sums what each window routes), explicit
 * pads and ceil_mode (X padded with the lowest finite value to the extent the
 * windows span, and the padding cut off after), dilations; needs known
 * channel and spatial sizes. Otherwise (SAME_* auto_pad, unknown sizes) the
 * gradient goes through Indices, with a warning. On ORT's CPU
 * EP this costs 1.3-1.9x the Indices path (bench:grad's MaxPool nodes).
 */
import { DataType } from '../../onnx/proto.js';
import { makeTensor } from '../../onnx/tensor.js';
import type { ForwardNodeInfo, GradRule } from '../rule.js';
import { maxPoolThroughIndices, poolAttributes } from './max-pool-indices.js';
import { oneHotKernels } from './one-hot-kernels.js';

interface Windows {
  kernel: number[];
  strides: number[];
  dilations: number[];
  channels: number;
  xSpatial: number[];
  outSpatial: number[];
  /** Padding before each spatial axis (MaxPool's own), and after: what the last window needs (ceil_mode, pads), negative where trailing elements are in no window. */
  before: number[];
  after: number[];
}

/** The window geometry when the Indices-free gradient applies (explicit or no padding, known sizes), else undefined. */
function windowsWithoutIndices(node: ForwardNodeInfo): Windows | undefined {
  const { kernel, strides, dilations, pads, autoPad, storageOrder } = poolAttributes(node.attrs);
  if (!kernel.length || (autoPad !== 'NOTSET' && autoPad !== 'VALID') || storageOrder !== 0) return undefined;
  const xs = node.inputInfo(0).shape;
  const ys = node.outputInfo(0).shape;
  const channels = xs?.[1];
  const outSpatial = ys?.slice(2);
  const xSpatial = xs?.slice(2);
  if (typeof channels !== 'number' || !outSpatial || outSpatial.length !== kernel.length || !outSpatial.every((d) => typeof d === 'number')) return undefined;
  if (!xSpatial || !xSpatial.every((d) => typeof d === 'number')) return undefined;
  const r = kernel.length;
  const before = kernel.map((_, i) => (autoPad === 'VALID' ? 0 : pads?.[i] ?? 0));
  // the extent the windows span: (out - 1) * stride + (k - 1) * dilation + 1
  const after = kernel.map((k, i) => ((outSpatial[i] as number) - 1) * strides[i]! + (k - 1) * dilations[i]! + 1 - before[i]! - (xSpatial[i] as number));
  if (pads && pads.length !== 2 * r) return undefined;
  return { kernel, strides, dilations, channels, xSpatial: xSpatial as number[], outSpatial: outSpatial as number[], before, after };
}

export const maxPoolGrad: GradRule = {
  opType: 'MaxPool',
  saves: (node) => (windowsWithoutIndices(node) ? { inputs: [0] } : { inputs: [0], outputs: [1] }),
  backward(ctx) {
    const { b, dY, saved, ints, inputInfo, warn } = ctx;
    const w = windowsWithoutIndices(ctx);
    if (!w) {
      warn(`MaxPool node '${ctx.name}': its gradient uses MaxPool's Indices output (auto_pad SAME_*, or sizes unknown at build time), which ORT's WebGPU EP cannot run`);
      return maxPoolThroughIndices(ctx);
    }
    const x = saved.input(0);
    const taps = w.kernel.reduce((p, k) => p * k, 1);
    const spatialZeros = w.kernel.map(() => 0);
    // Each channel on its own ([N*C, 1, ...]): grouped Convs and ConvTransposes (group C) would do
    // the same, but ORT's WebGPU EP computes some of them wrongly (ORT 1.30).
    const kernels = oneHotKernels(b, w.kernel, x, 'maxpool_onehot');
    const geometry = { kernel_shape: w.kernel, strides: w.strides, dilations: w.dilations };
    let perChannel = b.op('Reshape', [x, ints([-1, 1, ...w.xSpatial])], { name: 'maxpool_xc' });
    // MaxPool pads with -inf; a window's padding must never be its maximum. The lowest finite value
    // (not -inf: the one-hot Conv multiplies every element, and -inf * 0 is NaN).
    const padBefore = w.before;
    const padAfter = w.after.map((a) => Math.max(a, 0));
    if ([...padBefore, ...padAfter].some((p) => p > 0)) {
      const lowest = inputInfo(0).dtype === DataType.FLOAT16 ? -65504 : -3.4028234663852886e38;
      perChannel = b.op('Pad', [perChannel, ints([0, 0, ...padBefore, 0, 0, ...padAfter]), ctx.scalar(lowest, x)], { name: 'maxpool_pad', attributes: { mode: 'constant' } });
    }
    const windows = b.op('Conv', [perChannel, kernels], { name: 'maxpool_windows', attributes: geometry });
    const perWindow = b.op('Reshape', [windows, ints([-1, w.channels, taps, ...w.outSpatial])], { name: 'maxpool_windows' });
    const argmax = b.op('ArgMax', [perWindow], { name: 'maxpool_argmax', attributes: { axis: 2, keepdims: 1, select_last_index: 0 } });
    // 0..taps-1 shaped [taps, 1, ..., 1]: it lines up with axis 2 of the ArgMax.
    const tapIds = makeTensor('', [taps, ...w.outSpatial.map(() => 1)], BigInt64Array.from([...Array(taps).keys()].map(BigInt)));
    const first = b.op('Equal', [argmax, b.op('Constant', [], { name: 'maxpool_taps', attributes: { value: tapIds } })], { name: 'maxpool_first' });
    const dy = b.op('Reshape', [dY[0]!, ints([0, w.channels, 1, ...w.outSpatial])], { name: 'maxpool_dy' });
    const zero = ctx.scalar(0, x);
    const routed = b.op('Reshape', [b.op('Where', [first, dy, zero], { name: 'maxpool_routed' }), ints([-1, taps, ...w.outSpatial])], { name: 'maxpool_routed' });
    // Each element back in its place, over the padded extent the windows span (overlaps summed) ...
    let placed = b.op('ConvTranspose', [routed, kernels], { name: 'maxpool_placed', attributes: geometry });
    // ... then the padding cut off, and zeros for trailing elements no window reached.
    if ([...padBefore, ...padAfter].some((p) => p > 0)) {
      placed = b.op('Slice', [placed, ints(padBefore), ints(padBefore.map((p, i) => p + w.xSpatial[i]!)), ints(w.kernel.map((_, i) => i + 2))], { name: 'maxpool_crop' });
    }
    const short = w.after.map((a) => Math.max(-a, 0));
    if (short.some((p) => p > 0)) placed = b.op('Pad', [placed, ints([0, 0, ...spatialZeros, 0, 0, ...short])], { name: 'maxpool_tail', attributes: { mode: 'constant' } });
    return [b.op('Reshape', [placed, ints([-1, w.channels, ...w.xSpatial])], { name: 'maxpool_grad' })];
  },
};
