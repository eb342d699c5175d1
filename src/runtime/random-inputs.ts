/**
 * Seeded random inputs of a model's input types and shapes: what `--verify`
 * and `trelu run --input x=random:SEED` feed. Symbolic or unknown dims are
 * bound from `dims` (by name), else to `defaultDim`.
 */
import { TreluError } from '../errors.js';
import { checkedElementCount, DEFAULT_MAX_ELEMENTS } from '../graph/limits.js';
import type { Model } from '../graph/model.js';
import { numberToFloat16 } from '../ops/float16.js';
import { ONNX_TO_TENSOR_TYPE, type TensorLike } from './tensor.js';

export interface RandomInputOptions {
  seed?: number;
  /** Values for symbolic dims, e.g. { N: 8 }. */
  dims?: Readonly<Record<string, number>>;
  /** For dims that are unknown or symbolic and not in `dims`. Default 2. */
  defaultDim?: number;
  /** Range of float values, default [-3, 3]. */
  range?: [number, number];
  /** Largest element count of one input (default DEFAULT_MAX_ELEMENTS, 2^28). */
  maxElements?: number;
}

/** mulberry32, so that a seed means the same data on every machine. */
export function seededRandom(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Refuses (E_LIMIT) a negative, fractional or unsafe dim, and more than `maxElements` elements. */
export function randomTensor(type: string, dims: readonly number[], random: () => number, range: [number, number] = [-3, 3], maxElements = DEFAULT_MAX_ELEMENTS, what = 'random input'): TensorLike {
  const n = checkedElementCount(dims, what, maxElements);
  const f = () => range[0] + (range[1] - range[0]) * random();
  let data: TensorLike['data'];
  switch (type) {
    case 'float32': data = Float32Array.from({ length: n }, f); break;
    case 'float64': data = Float64Array.from({ length: n }, f); break;
    case 'float16': data = Uint16Array.from({ length: n }, () => numberToFloat16(f())); break;
    case 'int32': data = Int32Array.from({ length: n }, () => Math.floor(random() * 4)); break;
    case 'int64': data = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(random() * 4))); break;
    case 'uint8': data = Uint8Array.from({ length: n }, () => Math.floor(random() * 256)); break;
    case 'int8': data = Int8Array.from({ length: n }, () => Math.floor(random() * 256) - 128); break;
    case 'bool': data = Uint8Array.from({ length: n }, () => (random() < 0.5 ? 0 : 1)); break;
    default: throw new TreluError('E_UNSUPPORTED', `cannot make random data of type ${type}`, { hint: 'pass this input with --input name=file.npy' });
  }
  return { type, data, dims: [...dims] };
}

/** Random feeds for every graph input that is not an initializer. */
export function randomInputs(model: Model, options: RandomInputOptions = {}): Record<string, TensorLike> {
  const random = seededRandom(options.seed ?? 0);
  const feeds: Record<string, TensorLike> = {};
  for (const v of model.graph.inputs) {
    if (v.initializer) continue;
    const et = v.elemType;
    const type = et === undefined ? undefined : ONNX_TO_TENSOR_TYPE[et];
    if (!type) throw new TreluError('E_UNSUPPORTED', `input '${v.name}' has no tensor type this tool can fill`, { hint: 'pass it with --input' });
    const shape = v.shape ?? [];
    const dims = shape.map((d) => (typeof d === 'number' ? d : (d !== undefined && options.dims?.[d]) || options.defaultDim || 2));
    feeds[v.name] = randomTensor(type, dims, random, options.range, options.maxElements, `random input '${v.name}'`);
  }
  return feeds;
}
