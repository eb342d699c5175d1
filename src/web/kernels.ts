/**
 * ThresholdedRelu's f and f' from each kernel the page can reach, as the
 * activation plot takes them: the reference kernel, the WebAssembly SIMD
 * kernel, and one-node models on each onnxruntime-web EP (the kernel API's
 * models: f' as Where(Not(alpha < x), 0, dY), run with ORT's graph optimizations
 * off so that a passed-through -0 stays -0, as in the reference).
 */
import { TreluError } from '../errors.js';
import { thresholdedReluSimd, thresholdedReluGradSimd } from '../ops/thresholded-relu/simd.js';
import { thresholdedReluKernelModel, KERNEL_MODEL_SESSION_OPTIONS } from '../ops/thresholded-relu/kernel-model.js';
import type { Backend, BackendSession } from '../runtime/backend.js';
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

const MAX_SESSIONS = 6;

/**
 * f and f' on an ORT EP, with CPU fallback off (webgpu): what the plot shows
 * is the EP's own kernel. Sessions are made per alpha; the newest few are kept until release().
 */
export function epKernel(backend: Backend): ActivationKernel & { release(): Promise<void> } {
  const sessions = new Map<string, Promise<BackendSession>>();
  const session = (op: 'forward' | 'grad', alpha: number) => {
    const key = `${op}|${Math.fround(alpha)}`;
    let s = sessions.get(key);
    if (s) return s;
    sessions.set(key, (s = backend.createSession(thresholdedReluModel(op, alpha), { ...KERNEL_MODEL_SESSION_OPTIONS, strictEp: true })));
    s.catch(() => sessions.delete(key));
    // A slider asks for many alphas: keep the newest few sessions, release the rest.
    while (sessions.size > MAX_SESSIONS) {
      const [oldest, victim] = sessions.entries().next().value as [string, Promise<BackendSession>];
      sessions.delete(oldest);
      void victim.then((v) => v.release(), () => undefined);
    }
    return s;
  };
  const tensor = (data: Float32Array) => ({ type: 'float32', data, dims: [data.length] });
  return {
    name: backend.name,
    async forward(x, alpha) {
      const out = await (await session('forward', alpha)).run({ x: tensor(x) });
      return Float32Array.from(out.y!.data as Float32Array);
    },
    async grad(x, dy, alpha) {
      const out = await (await session('grad', alpha)).run({ x: tensor(x), dy: tensor(dy) });
      return Float32Array.from(out.y!.data as Float32Array);
    },
    async release() {
      const all = [...sessions.values()];
      sessions.clear();
      for (const s of all) await (await s.catch(() => undefined))?.release();
    },
  };
}
