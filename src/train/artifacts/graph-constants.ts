/** Constants for the nodes the training artifacts add (float32 scalars, int64 vectors). */
import type { Builder } from '../../graph/builder.js';
import type { Value } from '../../graph/value.js';
import { attr } from '../../graph/attributes.js';
import { makeTensor } from '../../onnx/tensor.js';

/** A float32 scalar Constant. */
export function f32(b: Builder, value: number, name = 'const'): Value {
  return b.op('Constant', [], { name, attributes: [attr.tensor('value', makeTensor('', [], Float32Array.of(value)))] });
}

/** A 1-D int64 Constant. */
export function i64s(b: Builder, values: readonly number[], name = 'ints'): Value {
  return b.op('Constant', [], { name, attributes: [attr.tensor('value', makeTensor('', [values.length], BigInt64Array.from(values.map(BigInt))))] });
}
