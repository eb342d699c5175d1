// The build-time CastLike folding finish runs over the backward pass (src/train/fold-casts.ts): a
// constant cast to a type known at build time becomes a constant of that type (float16's bits
// checked), a CastLike of a value already of the target type is dropped, and a CastLike that
// computes (a bool mask), whose target is unknown, or that is a graph output stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, Model, Value, Builder, attr } from '../../src/graph/index.js';
import { DataType } from '../../src/onnx/proto.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { tensorValues } from '../../src/rewrite/constants.js';
import { numberToFloat16 } from '../../src/ops/float16.js';
import { foldCastLikes } from '../../src/train/fold-casts.js';

function setup() {
  const graph = new Graph({ name: 'g' });
  const model = new Model({ graph, opsetImports: new Map([['', 18]]), irVersion: 8 });
  const input = (name: string) => {
    const v = new Value(name);
    model.valueNames.register(name);
    graph.addInput(v);
    return v;
  };
  const [h, f, m, u] = [input('h'), input('f'), input('m'), input('u')]; // float16, float, bool, unknown type
  const types = new Map<Value, number>([[h, DataType.FLOAT16], [f, DataType.FLOAT], [m, DataType.BOOL]]);
  const b = new Builder(model, graph);
  const k = b.op('Constant', [], { attributes: [attr.tensor('value', makeTensor('', [3], Float32Array.of(1, 0.1, -2.5)))] });
  types.set(k, DataType.FLOAT);
  const cast = (v: Value, like: Value) => b.op('CastLike', [v, like]);
  const toHalf = cast(k, h);
  const same = cast(f, f);
  const mask = cast(m, f);
  const unknown = cast(k, u);
  const asOutput = cast(k, h);
  const users = [toHalf, same, mask, unknown].map((v) => b.op('Identity', [v]));
  graph.outputs.push(...users, asOutput);
  return { model, graph, b, types, k, f, users, asOutput };
}

test('CastLikes decided by build-time types are folded; the others stay', () => {
  const { model, graph, b, types, f, users, asOutput } = setup();
  const folded = foldCastLikes(model, graph, [...b.created], (v) => types.get(v));
  assert.equal(folded, 2);
  const [half, same, mask, unknown] = users.map((v) => v.producer()!.inputs[0]!);
  const c = half!.producer()!;
  assert.equal(c.opType, 'Constant');
  const t = c.attribute('value')!.t!;
  assert.equal(t.dataType, DataType.FLOAT16);
  const bits = new Uint16Array(t.rawData.buffer.slice(t.rawData.byteOffset, t.rawData.byteOffset + t.rawData.byteLength));
  assert.deepEqual([...bits], [1, 0.1, -2.5].map(numberToFloat16));
  assert.ok(tensorValues(t)!.values.every((v, i) => Math.abs(v - [1, 0.1, -2.5][i]!) < 1e-3));
  assert.equal(same, f, 'a CastLike to its own type is dropped');
  assert.equal(mask!.producer()!.opType, 'CastLike', 'a bool mask is cast at run time');
  assert.equal(unknown!.producer()!.opType, 'CastLike', 'an unknown target type is left to the runtime');
  assert.equal(asOutput.producer()!.opType, 'CastLike', 'a graph output keeps its producer');
  // The folded constant comes before its user.
  const order = graph.nodes;
  assert.ok(order.indexOf(c) < order.indexOf(users[0]!.producer()!));
});
