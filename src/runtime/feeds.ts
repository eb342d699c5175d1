/** Assembling a model's feeds from `--input` specs, `--dim` bindings and a seed. */
import { TreluError } from '../errors.js';
import type { Model } from '../graph/model.js';
import { randomInputs, randomTensor, seededRandom } from './random-inputs.js';
import type { InputSpec } from './inputs.js';
import type { TensorLike } from './tensor.js';
import { numberToFloat16 } from '../ops/float16.js';

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
    feeds[spec.name] = 'tensor' in spec ? (spec.json ? convertJson(spec.tensor, current.type as string, spec.name) : spec.tensor) : randomTensor(current.type as string, current.dims, seededRandom(spec.random), undefined, options.maxElements, `random input '${spec.name}'`);
  }
  return feeds;
}

/** Inline JSON numbers in the input's own element type (`--input sr=16000` for an int64 input). */
function convertJson(t: TensorLike, type: string, name: string): TensorLike {
  const v = Array.from(t.data as Float32Array);
  const ints = (f: (x: number) => number) => v.map((x) => {
    if (!Number.isInteger(x)) throw new TreluError('E_USAGE', `--input ${name}: ${x} is not an integer, and '${name}' is ${type}`);
    return f(x);
  });
  let data: TensorLike['data'];
  switch (type) {
    case 'float32': return t;
    case 'float64': data = Float64Array.from(v); break;
    case 'float16': data = Uint16Array.from(v, numberToFloat16); break;
    case 'int64': data = BigInt64Array.from(ints((x) => x), (x) => BigInt(x)); break;
    case 'int32': data = Int32Array.from(ints((x) => x)); break;
    case 'int8': data = Int8Array.from(ints((x) => x)); break;
    case 'uint8': data = Uint8Array.from(ints((x) => x)); break;
    case 'bool': data = Uint8Array.from(v, (x) => (x ? 1 : 0)); break;
    default: throw new TreluError('E_USAGE', `--input ${name}: inline JSON cannot make a ${type} tensor`, { hint: 'give a .npy file' });
  }
  return { type: type as TensorLike['type'], data, dims: t.dims };
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
