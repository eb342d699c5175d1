/**
 * MaxPool through its Indices output (storage_order 0): exact (each window's
 * first maximum takes the gradient, as in ORT, PyTorch and TF) for any
 * windows, and the fastest on ORT's CPU EP; but ORT's WebGPU EP takes MaxPool
 * nodes with an Indices output and then fails to run them (ORT 1.30: "The
 * Indices output is not supported yet"), so GRADIENT_RULES uses maxPoolGrad
 * (max-pool.ts), which avoids Indices where it can. Swap this rule in for
 * CPU-only training.
 *
 * The forward node is given its Indices output
 * (flat positions in X of each window's first maximum), and dY goes to those
 * positions of zeros shaped like X:
 *   - windows that do not overlap (stride >= dilated kernel extent on every
 *     axis, explicit or VALID padding, no ceil_mode) and float32 X: MaxUnpool(dY, Indices,
 *     Shape(X)). Each position of X receives at most one window's gradient, so
 *     unpooling (which writes) equals scattering (which adds); ORT runs it
 *     about 4x faster than ScatterElements (bench:grad).
 *   - otherwise: ScatterElements with reduction 'add' (opset 16), so that a
 *     position that is the maximum of several windows sums their gradients.
 */
import { attr } from '../../graph/attributes.js';
import { DataType } from '../../onnx/proto.js';
import type { Value } from '../../graph/value.js';
import type { NodeAttributes } from '../../graph/node-attributes.js';
import type { GradContext, GradRule } from '../rule.js';

/** A MaxPool node's attributes, with the ONNX defaults filled in (shared with max-pool.ts). */
export interface PoolAttributes {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** undefined: not given (all zero). */
  pads?: number[];
  autoPad: string;
  ceilMode: number;
  storageOrder: number;
}

export function poolAttributes(attrs: NodeAttributes): PoolAttributes {
  const ints = (name: string) => attrs.ints(name);
  const int = (name: string) => attrs.int(name, 0);
  const kernel = ints('kernel_shape') ?? [];
  return {
    kernel,
    strides: ints('strides') ?? kernel.map(() => 1),
    dilations: ints('dilations') ?? kernel.map(() => 1),
    pads: ints('pads'),
    autoPad: attrs.string('auto_pad', 'NOTSET'),
    ceilMode: int('ceil_mode'),
    storageOrder: int('storage_order'),
  };
}

/** Whether every position of X lies in at most one pooling window. */
function windowsAreDisjoint(p: PoolAttributes): boolean {
  if (p.autoPad !== 'NOTSET' && p.autoPad !== 'VALID') return false;
  // With ceil_mode the last window may hang over X's end, past the size MaxUnpool infers.
  if (p.ceilMode !== 0) return false;
  return p.kernel.length > 0 && p.kernel.every((k, i) => p.strides[i]! >= (k - 1) * p.dilations[i]! + 1);
}

export const maxPoolIndicesGrad: GradRule = {
  opType: 'MaxPool',
  saves: { inputs: [0], outputs: [1] }, // X for its shape, and the Indices
  backward: (ctx) => maxPoolThroughIndices(ctx),
};

/** The gradient through MaxPool's Indices output (see the file's comment). */
export function maxPoolThroughIndices({ attrs, b, dY, saved, ints, inputInfo, zerosLike, opset, unsupported }: GradContext): (Value | undefined)[] {
  const pool = poolAttributes(attrs);
  if (pool.storageOrder !== 0) unsupported('storage_order 1');
  const x = saved.input(0);
  const indices = saved.ensureOutput(1, 'indices');
  const xShape = b.op('Shape', [x], { name: 'grad_shape' });
  // ORT's MaxUnpool kernel is float32 only.
  if (windowsAreDisjoint(pool) && inputInfo(0).dtype === DataType.FLOAT) {
    const poolAttrs = [attr.ints('kernel_shape', pool.kernel), attr.ints('strides', pool.strides)];
    if (pool.pads) poolAttrs.push(attr.ints('pads', pool.pads));
    return [b.op('MaxUnpool', [dY[0]!, indices, xShape], { name: 'maxpool_grad', attributes: poolAttrs })];
  }
  if (opset < 16) unsupported('overlapping windows need ScatterElements with reduction (opset 16)');
  const flat = (v: Value, name: string) => b.op('Reshape', [v, ints([-1])], { name });
  const scattered = b.op('ScatterElements', [flat(zerosLike(x), 'maxpool_zeros'), flat(indices, 'maxpool_idx'), flat(dY[0]!, 'maxpool_dy')], {
    name: 'maxpool_scatter', attributes: [attr.int('axis', 0), attr.string('reduction', 'add')],
  });
  return [b.op('Reshape', [scattered, xShape], { name: 'maxpool_grad' })];
}
