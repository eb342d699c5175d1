/**
 * Proving a rewrite in the page: the original and the rewritten model run on
 * the same backend (wasm or webgpu, graph optimizations off) on the same
 * inputs, and each output is compared within the dtype's tolerance.
 */
import type { Backend } from '../runtime/backend.js';
import type { TensorLike } from '../runtime/tensor.js';
import { compareTensors, type Comparison } from '../runtime/tolerance.js';

export interface PageOutputDiff extends Comparison {
  name: string;
}

export interface PageVerifyReport {
  ep: string;
  outputs: PageOutputDiff[];
  /** Every output present in both and within tolerance. */
  ok: boolean;
}

async function runOnce(backend: Backend, model: Uint8Array, feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>> {
  const session = await backend.createSession(model, { graphOptimizationLevel: 'disabled' });
  try {
    const out = await session.run(feeds);
    // Copy out of ORT's buffers before the session (and its memory) goes.
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type, dims: [...t.dims], data: (t.data as Float32Array).slice() }]));
  } finally {
    await session.release();
  }
}

export async function verifyRewrite(backend: Backend, before: Uint8Array, after: Uint8Array, feeds: Record<string, TensorLike>): Promise<PageVerifyReport> {
  const a = await runOnce(backend, before, feeds);
  const b = await runOnce(backend, after, feeds);
  const outputs = Object.keys(a).map((name) => {
    const other = b[name];
    const elements = a[name]!.dims.reduce((x, y) => x * y, 1);
    return { name, ...(other ? compareTensors(other, a[name]!) : { ok: false, maxAbsDiff: Infinity, mismatches: elements, elements }) };
  });
  return { ep: backend.name, outputs, ok: outputs.length > 0 && outputs.every((o) => o.ok) };
}
