/**
 * ThresholdedRelu's f and f' from each kernel the page can reach, as the
 * activation plot takes them: the reference kernel, the WebAssembly SIMD
 * kernel, and one-node models on each onnxruntime-web EP (f' through the
 * gradient function onnx-trelu attaches, run by the EP like any model).
 */
import Long from 'long';
import { TreluError } from '../errors.js';
import { onnx, AttributeType, DataType } from '../onnx/proto.js';
import { encodeModel } from '../onnx/encode.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';
import { thresholdedReluSimd, thresholdedReluGradSimd } from '../ops/thresholded-relu/simd.js';
import { ensureThresholdedReluGradFunction, TRELU_DOMAIN, GRAD_OP_TYPE } from '../ops/thresholded-relu/grad-function.js';
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
  const tt = { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }] } } };
  const alphaAttr = [{ name: 'alpha', type: AttributeType.FLOAT, f: alpha }];
  const node = op === 'forward'
    ? { opType: 'ThresholdedRelu', input: ['x'], output: ['y'], attribute: alphaAttr }
    : { opType: GRAD_OP_TYPE, domain: TRELU_DOMAIN, input: ['x', 'dy'], output: ['y'], attribute: alphaAttr };
  const proto = onnx.ModelProto.create({
    irVersion: Long.fromNumber(8),
    opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: { name: `trelu_${op}`, node: [node], input: op === 'forward' ? [{ name: 'x', type: tt }] : [{ name: 'x', type: tt }, { name: 'dy', type: tt }], output: [{ name: 'y', type: tt }] },
  });
  const model = modelFromProto(proto as never);
  if (op === 'grad') ensureThresholdedReluGradFunction(model);
  return encodeModel(modelToProto(model));
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
    sessions.set(key, (s = backend.createSession(thresholdedReluModel(op, alpha), { strictEp: true })));
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
