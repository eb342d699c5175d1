/**
 * Shared by the Conv and MaxPool rules (not a rule): one-hot convolution
 * kernels [taps, 1, ...kernel], output channel t copying tap t (row-major) of
 * a one-channel input, in `like`'s element type. A Conv with them lays each
 * window's elements out as channels (exact copies); a ConvTranspose with them
 * puts such channels back in place.
 */
import { attr } from '../../graph/attributes.js';
import type { Builder } from '../../graph/builder.js';
import type { Value } from '../../graph/value.js';
import { makeTensor } from '../../onnx/tensor.js';
import { checkedElementCount, MAX_CONSTANT_ELEMENTS } from '../../graph/limits.js';

export function oneHotKernels(b: Builder, kernel: readonly number[], like: Value, name: string): Value {
  const taps = checkedElementCount(kernel, `one-hot kernel of '${name}'`);
  checkedElementCount([taps, taps], `one-hot kernel of '${name}'`, MAX_CONSTANT_ELEMENTS, 'the kernel_shape is too large to differentiate this way (the gradient would carry a taps x taps constant)');
  const values = new Float32Array(taps * taps);
  for (let t = 0; t < taps; t++) values[t * taps + t] = 1;
  const tensor = makeTensor('', [taps, 1, ...kernel], values);
  return b.op('CastLike', [b.op('Constant', [], { name, attributes: [attr.tensor('value', tensor)] }), like], { name });
}
