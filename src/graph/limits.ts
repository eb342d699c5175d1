/**
 * Limits on what a model's declared dims and attributes may make this tool
 * allocate. A 45-byte model can declare a [2^31] input or a 3.8e10-element
 * kernel; every allocation sized by the model goes through here first and a
 * size past the limit is a TreluError E_LIMIT (exit 2) with a hint, never an
 * abort after gigabytes.
 */
import { TreluError } from '../errors.js';

/** 2^28 elements: 1 GiB of float32, well past any tensor a real model's tests or gradients build here. */
export const DEFAULT_MAX_ELEMENTS = 2 ** 28;

/**
 * 2^24 elements (64 MiB of float32): the largest constant a rule builds
 * (one-hot kernels, pooling kernels). A constant is encoded and copied several
 * times on its way to a file, so it gets a tighter limit than a tensor that is
 * only filled: a fuzzed MaxPool with kernel [64, 3, 64] asked for 1.5e8 elements
 * and the encoder then ran out of a 3 GiB address space.
 */
export const MAX_CONSTANT_ELEMENTS = 2 ** 24;

/**
 * The element count of `dims`, after checking every dim is a non-negative
 * safe integer and the product is at most `limit`. `what` names the tensor in
 * the message ("random input 'x'", "one-hot kernel of node 'conv1'").
 */
export function checkedElementCount(dims: readonly number[], what: string, limit = DEFAULT_MAX_ELEMENTS, hint?: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new TreluError('E_LIMIT', `${what}: dim ${d} of [${dims.join(', ')}] is not a non-negative integer`, { hint: 'the model declares an impossible shape' });
    }
    n *= d;
  }
  for (const d of dims) if (d === 0) return 0;
  if (n > limit) {
    throw new TreluError('E_LIMIT', `${what}: [${dims.join(', ')}] is ${formatCount(n)} elements, over the limit of ${formatCount(limit)}`, {
      hint: hint ?? 'the model declares a shape this large; bind symbolic dims smaller (--dim NAME=SIZE) or raise --max-elements',
    });
  }
  return n;
}

function formatCount(n: number): string {
  return n >= 1e6 ? n.toExponential(2) : String(n);
}
