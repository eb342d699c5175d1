/**
 * An in-memory dataset of samples and labels, shaped and typed for the
 * artifacts, and the batches of an epoch. Browser-safe; the file formats are
 * read in src/node/datasets.ts.
 */
import { TreluError } from '../../errors.js';
import type { TensorLike } from '../../runtime/tensor.js';
import type { Manifest } from '../artifacts/manifest.js';
import type { Batch } from './trainer.js';

export interface Dataset {
  /** Samples, row-major: count × features. */
  x: Float32Array;
  /** Per-sample shape (the model input's shape without the batch dim). */
  sampleShape: number[];
  /** Class indices (cross-entropy) or float targets (mse), count × labelSize. */
  y: BigInt64Array | Float32Array;
  labelShape: number[];
  count: number;
}

/**
 * Checks and shapes raw arrays for the artifacts: no NaN or infinity, the
 * feature count the model's input takes, integer class labels in range for
 * cross-entropy. `source` names the file in errors.
 */
export function toDataset(manifest: Manifest, x: { data: ArrayLike<number>; dims: readonly number[] }, y: { data: ArrayLike<number | bigint>; dims: readonly number[] }, source: string): Dataset {
  const data = manifest.trainStep.inputs.filter((e) => e.kind === 'data');
  if (data.length !== 1) throw new TreluError('E_UNSUPPORTED', `the model has ${data.length} data inputs; trelu train feeds models with one`);
  const input = data[0]!;
  const sampleShape = (input.shape ?? []).slice(1);
  if (sampleShape.some((d) => typeof d !== 'number')) throw new TreluError('E_UNSUPPORTED', `input '${input.name}' has symbolic dims beyond the batch: [${input.shape!.join(',')}]`);
  const features = (sampleShape as number[]).reduce((a, d) => a * d, 1);
  const count = x.dims[0] ?? 0;
  if (count === 0) throw new TreluError('E_DATA', `${source}: no samples`);
  const perSample = x.dims.slice(1).reduce((a, d) => a * d, 1);
  if (perSample !== features) throw new TreluError('E_DATA', `${source}: samples of shape [${x.dims.slice(1).join(',')}] (${perSample} values), the model's input '${input.name}' takes [${sampleShape.join(',')}] (${features})`);
  const xs = Float32Array.from(x.data as ArrayLike<number>);
  const bad = xs.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new TreluError('E_DATA', `${source}: sample ${Math.floor(bad / features)} holds ${xs[bad]} (at value ${bad % features})`, { hint: 'clean the data: NaN or infinity would make the loss NaN' });
  const labels = manifest.trainStep.inputs.find((e) => e.kind === 'labels');
  if (!labels) throw new TreluError('E_UNSUPPORTED', 'the artifacts take no labels (a loss the model computes itself); trelu train needs --loss-fn artifacts');
  if (y.dims[0] !== count) throw new TreluError('E_DATA', `${source}: ${count} samples but ${y.dims[0]} labels`);
  if (labels.dtype === 'int64') {
    const classes = manifest.trainStep.inputs.find((e) => e.kind === 'data') && scoresClasses(manifest);
    const out = new BigInt64Array(count);
    if (y.dims.length !== 1) throw new TreluError('E_DATA', `${source}: cross-entropy labels must be one class index per sample, not shape [${y.dims.join(',')}]`);
    for (let i = 0; i < count; i++) {
      const v = Number(y.data[i]);
      if (!Number.isInteger(v) || v < 0 || (classes !== undefined && v >= classes)) throw new TreluError('E_DATA', `${source}: label ${i} is ${y.data[i]}, not a class index${classes !== undefined ? ` in 0..${classes - 1}` : ''}`, { hint: 'cross-entropy takes integer class labels' });
      out[i] = BigInt(v);
    }
    return { x: xs, sampleShape: sampleShape as number[], y: out, labelShape: [], count };
  }
  const ys = Float32Array.from(y.data as ArrayLike<number>, Number);
  if (ys.some((v) => !Number.isFinite(v))) throw new TreluError('E_DATA', `${source}: a target is NaN or infinite`);
  const labelShape = (labels.shape ?? []).slice(1);
  if (labelShape.some((d) => typeof d !== 'number') || ys.length !== count * (labelShape as number[]).reduce((a, d) => a * d, 1)) throw new TreluError('E_DATA', `${source}: targets of shape [${y.dims.join(',')}] do not fit the model's [${(labels.shape ?? []).join(',')}]`);
  return { x: xs, sampleShape: sampleShape as number[], y: ys, labelShape: labelShape as number[], count };
}

function scoresClasses(manifest: Manifest): number | undefined {
  const on = manifest.loss.on;
  const out = manifest.eval.outputs.find((o) => o.name === on);
  const c = out?.shape?.[1];
  return typeof c === 'number' ? c : undefined;
}

/** The batch of samples `indices` (in that order). */
export function batchOf(ds: Dataset, indices: ArrayLike<number>, inputName: string): Batch {
  const n = indices.length;
  const f = ds.sampleShape.reduce((a, d) => a * d, 1);
  const l = ds.labelShape.reduce((a, d) => a * d, 1);
  const x = new Float32Array(n * f);
  const y = ds.y instanceof BigInt64Array ? new BigInt64Array(n * l) : new Float32Array(n * l);
  for (let i = 0; i < n; i++) {
    const s = indices[i]!;
    x.set(ds.x.subarray(s * f, (s + 1) * f), i * f);
    (y as Float32Array).set((ds.y as Float32Array).subarray(s * l, (s + 1) * l), i * l);
  }
  const labels: TensorLike = { type: ds.y instanceof BigInt64Array ? 'int64' : 'float32', data: y, dims: [n, ...ds.labelShape] };
  return { inputs: { [inputName]: { type: 'float32', data: x, dims: [n, ...ds.sampleShape] } }, labels };
}
