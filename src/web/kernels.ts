/**
 * ThresholdedRelu's f and f' from each kernel the page can reach, as the
 * activation plot takes them: the reference kernel, the WebAssembly SIMD
 * kernel, and one-node models on each onnxruntime-web EP through the kernel
 * API (f' as Where(Not(alpha < x), 0, dY), run with ORT's graph optimizations
 * off so that a passed-through -0 stays -0, as in the reference).
 */
import { TreluError } from '../errors.js';
import { thresholdedReluSimd, thresholdedReluGradSimd } from '../ops/thresholded-relu/simd.js';
import { thresholdedReluKernelModel } from '../ops/thresholded-relu/kernel-model.js';
import type { Backend } from '../runtime/backend.js';
import { backendRegistry } from '../runtime/backends/registry.js';
import { createKernelsOn, type KernelEp } from '../runtime/kernels.js';
import type { ActivationKernel } from '../plot/activation.js';

export { referenceKernel } from '../plot/activation.js';

const noSimd = () => new TreluError('E_UNSUPPORTED', 'this JavaScript engine has no WebAssembly SIMD', { hint: 'use the reference kernel' });

export const simdKernel: ActivationKernel = {
  name: 'simd',
  forward: (x, alpha) => {
    const y = thresholdedReluSimd(x, alpha);
    if (!y) throw noSimd();
    return y;
  },
  grad: (x, dy, alpha) => {
    const dx = thresholdedReluGradSimd(x, dy, alpha);
    if (!dx) throw noSimd();
    return dx;
  },
};

/** A float32 model of one node: ThresholdedRelu(x) or its gradient (x, dy) -> dx, on 1-D inputs of any length. */
export function thresholdedReluModel(op: 'forward' | 'grad', alpha: number): Uint8Array {
  return thresholdedReluKernelModel(op, 'float32', alpha);
}

/**
 * f and f' on an ORT EP, with CPU fallback off (webgpu): what the plot shows
 * is the EP's own kernel. The kernel API's session cache (createKernelsOn:
 * one session per op and alpha, the least recently used released first) until release().
 */
export function epKernel(backend: Backend): ActivationKernel & { release(): Promise<void> } {
  const kernels = createKernelsOn(backendRegistry([backend]));
  const ep = backend.name as KernelEp;
  return {
    name: backend.name,
    async forward(x, alpha) {
      return Float32Array.from((await kernels.thresholdedRelu(x, { alpha, ep, dtype: 'float32' })) as Float32Array);
    },
    async grad(x, dy, alpha) {
      return Float32Array.from((await kernels.thresholdedReluGrad(x, dy, { alpha, ep, dtype: 'float32' })) as Float32Array);
    },
    release: () => kernels.release(),
  };
}
