/** Checking a batch against the artifacts' inputs: one clear error for a wrong shape or type. */
import { TreluError } from '../../errors.js';
import type { TensorLike } from '../../runtime/tensor.js';
import type { Dim } from '../../graph/infer/types.js';
import type { IoEntry } from '../artifacts/manifest.js';

/** A shape with its symbolic dims set to the batch size. */
export function resolveShape(shape: readonly Dim[] | undefined, batchSize: number, name: string): number[] {
  if (!shape) throw new TreluError('E_DATA', `the shape of '${name}' is unknown`);
  return shape.map((d) => (typeof d === 'number' ? d : batchSize));
}

/** Checks each data and labels tensor; returns the batch size. */
export function checkBatch(inputs: readonly IoEntry[], batch: { inputs: Record<string, TensorLike>; labels?: TensorLike }): number {
  let n: number | undefined;
  for (const e of inputs) {
    if (e.kind !== 'data' && e.kind !== 'labels') continue;
    const t = e.kind === 'labels' ? batch.labels : batch.inputs[e.name];
    if (!t) throw new TreluError('E_DATA', e.kind === 'labels' ? 'the batch has no labels' : `the batch has no input '${e.name}'`);
    if (t.type !== e.dtype) throw new TreluError('E_DATA', `${e.kind === 'labels' ? 'labels' : `input '${e.name}'`}: ${t.type} given, the model wants ${e.dtype}`, { hint: e.kind === 'labels' && e.dtype === 'int64' ? 'cross-entropy labels are class indices' : undefined });
    const want = e.shape;
    if (want) {
      const bad = t.dims.length !== want.length || want.some((d, i) => typeof d === 'number' && d !== t.dims[i]);
      if (bad) throw new TreluError('E_DATA', `${e.kind === 'labels' ? 'labels' : `input '${e.name}'`}: shape [${t.dims.join(',')}] does not fit the model's [${want.map((d) => d ?? '?').join(',')}]`);
      const first = want.findIndex((d) => typeof d !== 'number');
      if (first >= 0) {
        if (n !== undefined && t.dims[first] !== n) throw new TreluError('E_DATA', `batch sizes disagree: ${n} and ${t.dims[first]} ('${e.name}')`);
        n = t.dims[first];
      }
    }
  }
  return n ?? 1;
}
