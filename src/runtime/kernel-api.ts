/**
 * The kernel API in Node: createKernels() with onnxruntime-node's backends by
 * default, and the shared thresholdedRelu / thresholdedReluGrad. The
 * implementation (browser-safe) is kernels.ts.
 *
 *   const k = createKernels();
 *   const y = await k.thresholdedRelu(x, { alpha: 0.5, ep: 'cpu' });
 *   await k.release();
 */
import { createBackends, type Backends } from './backends/index.js';
import { createKernelsOn, type Kernels, type KernelsConfig, type KernelOptions } from './kernels.js';
import type { FloatArray } from '../ops/types.js';
import type { TensorLike } from './tensor.js';

export { createKernelsOn, type Kernels, type KernelsConfig, type KernelOptions, type KernelEp, type SimdThreads } from './kernels.js';

export function createKernels(backends: Backends = createBackends(), config: KernelsConfig = {}): Kernels {
  return createKernelsOn(backends, config);
}

type Input = FloatArray | TensorLike;

let shared: Kernels | undefined;
/** ThresholdedRelu through a shared kernel cache (see createKernels for one of your own). */
export function thresholdedRelu(x: Input, options?: KernelOptions): Promise<Input> {
  shared ??= createKernels();
  return shared.thresholdedRelu(x, options);
}
/** ThresholdedRelu's gradient through a shared kernel cache. */
export function thresholdedReluGrad(x: Input, dy: Input, options?: KernelOptions): Promise<Input> {
  shared ??= createKernels();
  return shared.thresholdedReluGrad(x, dy, options);
}
