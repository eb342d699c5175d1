/**
 * onnxruntime-node, loaded on first use (dynamic import), so that the library
 * can be imported where it is not installed.
 */
import { TreluError } from '../errors.js';
import type { TensorLike } from './tensor.js';

type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | undefined;

/** The onnxruntime-node module; the import is attempted once and its failure remembered. */
export function loadOrtNode(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: Ort }).default ?? m) as Ort,
    (e: unknown) => {
      throw new TreluError('E_UNSUPPORTED', `onnxruntime-node cannot be loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, { hint: 'run npm install' });
    },
  );
  return ortPromise;
}

export interface RunOptions {
  /**
   * ORT's graph optimization level. Verification runs with 'disabled': ORT's
   * optimizer fuses Conv+Relu into NCHWc kernels but not Conv+ThresholdedRelu,
   * which moves results by ~1e-7 for reasons that are ORT's, not the rewrite's.
   */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Runs `model` once on the CPU EP with `feeds`; returns every output. */
export async function runOnCpu(model: Uint8Array | string, feeds: Record<string, TensorLike>, options: RunOptions = {}): Promise<Record<string, TensorLike>> {
  const ort = await loadOrtNode();
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(model as Uint8Array, { executionProviders: ['cpu'], logSeverityLevel: 3, graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' });
  } catch (e) {
    throw new TreluError('E_GRAPH', `ONNX Runtime rejected the model: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  try {
    const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    const out = await session.run(ortFeeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type, data: t.data as TensorLike['data'], dims: [...t.dims] }]));
  } catch (e) {
    throw new TreluError('E_GRAPH', `ONNX Runtime failed to run the model: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  } finally {
    await session.release();
  }
}
