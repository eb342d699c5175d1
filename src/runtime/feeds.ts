/** Assembling a model's feeds from `--input` specs, `--dim` bindings and a seed. */
import { TreluError } from '../errors.js';
import type { Model } from '../graph/model.js';
import { randomInputs, randomTensor, seededRandom } from './random-inputs.js';
import type { InputSpec } from './inputs.js';
import type { TensorLike } from './tensor.js';

export interface FeedOptions {
  inputs?: readonly InputSpec[];
  dims?: Readonly<Record<string, number>>;
  /** Whole shapes for generated inputs (`--shape x=1,512`): for inputs whose dims are unnamed (`?`). */
  shapes?: Readonly<Record<string, readonly number[]>>;
  seed?: number;
  /** Largest element count of one random input (default 2^28). */
  maxElements?: number;
}

/** Seeded random data for every input, replaced by the given specs. */
export function buildFeeds(model: Model, options: FeedOptions = {}): Record<string, TensorLike> {
  const feeds = randomInputs(model, { seed: options.seed ?? 0, dims: options.dims, maxElements: options.maxElements });
  let k = 0;
  for (const [name, dims] of Object.entries(options.shapes ?? {})) {
    const v = model.graph.inputs.find((i) => i.name === name && !i.initializer);
    const current = feeds[name];
    if (!v || !current) throw new TreluError('E_USAGE', `--shape ${name}: the model has no input '${name}'`, { hint: `inputs: ${Object.keys(feeds).join(', ') || '(none)'}` });
    const declared = v.shape;
    if (declared && declared.length !== dims.length) throw new TreluError('E_USAGE', `--shape ${name}=${dims.join(',')}: '${name}' has rank ${declared.length} ([${declared.map((d) => d ?? '?').join(',')}])`);
    declared?.forEach((d, i) => {
      if (typeof d === 'number' && d !== dims[i]) throw new TreluError('E_USAGE', `--shape ${name}=${dims.join(',')}: dim ${i} of '${name}' is fixed at ${d}`);
    });
    feeds[name] = randomTensor(current.type as string, dims, seededRandom((options.seed ?? 0) + 7919 * ++k), undefined, options.maxElements, `--shape ${name}`);
  }
  for (const spec of options.inputs ?? []) {
    const current = feeds[spec.name];
    if (!current) {
      throw new TreluError('E_USAGE', `the model has no input '${spec.name}'`, { hint: `inputs: ${Object.keys(feeds).join(', ') || '(none)'}` });
    }
    feeds[spec.name] = 'tensor' in spec ? spec.tensor : randomTensor(current.type as string, current.dims, seededRandom(spec.random), undefined, options.maxElements, `random input '${spec.name}'`);
  }
  return feeds;
}

/** Parses `--dim N=8` values. */
export function parseDims(specs: readonly string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of specs ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw new TreluError('E_USAGE', `--dim '${s}' is not NAME=SIZE`, { hint: 'e.g. --dim N=8' });
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Parses `--shape x=1,512` values. */
export function parseShapes(specs: readonly string[] | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of specs ?? []) {
    const m = /^([^=]+)=(\d+(?:,\d+)*)?$/.exec(s);
    if (!m) throw new TreluError('E_USAGE', `--shape '${s}' is not NAME=D1,D2,...`, { hint: 'e.g. --shape input=1,512 (an empty list for a scalar: --shape x=)' });
    out[m[1]!] = m[2] ? m[2].split(',').map(Number) : [];
  }
  return out;
}
