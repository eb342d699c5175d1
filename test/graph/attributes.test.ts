import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { Node, Value, attr, toAttributes } from '../../src/graph/index.js';
import { AttributeType } from '../../src/onnx/index.js';
import { isTreluError } from '../../src/errors.js';

const node = (attributes: ReturnType<typeof attr.int>[]) => new Node({ opType: 'Conv', name: 'c', outputs: [new Value('y')], attributes });

test('node.attrs reads typed values with defaults', () => {
  const n = node([attr.int('group', 2), attr.ints('pads', [1, 1, 1, 1]), attr.float('alpha', 0.5), attr.string('auto_pad', 'NOTSET')]);
  assert.equal(n.attrs.int('group', 1), 2);
  assert.equal(n.attrs.int('missing', 7), 7);
  assert.equal(n.attrs.int('missing'), undefined);
  assert.deepEqual(n.attrs.ints('pads', []), [1, 1, 1, 1]);
  assert.equal(n.attrs.float('alpha', 1), 0.5);
  assert.equal(n.attrs.string('auto_pad', ''), 'NOTSET');
  assert.equal(n.attrs.has('group'), true);
});

test('node.attrs rejects malformed attributes with a typed error', () => {
  const wrongType = node([attr.float('group', 2)]);
  assert.throws(() => wrongType.attrs.int('group', 1), (e) => isTreluError(e) && e.code === 'E_GRAPH' && /must be INT, not FLOAT/.test(e.message));
  const twice = node([attr.int('group', 1), attr.int('group', 2)]);
  assert.throws(() => twice.attrs.int('group', 1), (e) => isTreluError(e) && /more than once/.test(e.message));
  const huge = node([attr.int('group', 1)]);
  huge.attributes[0]!.i = Long.fromString('9223372036854775807');
  assert.throws(() => huge.attrs.int('group', 1), (e) => isTreluError(e) && /out of the range/.test(e.message));
});

test('plain attribute values are typed by the op schema', () => {
  const [alpha] = toAttributes('ThresholdedRelu', '', { alpha: 1 });
  assert.equal(alpha!.type, AttributeType.FLOAT);
  assert.equal(alpha!.f, 1);
  const [axis, keep] = toAttributes('ReduceSum', '', { axis: 1, keepdims: 0 });
  assert.equal(axis!.type, AttributeType.INT);
  assert.equal(keep!.type, AttributeType.INT);
  const [pads, mode] = toAttributes('Pad', '', { pads: [0, 1], mode: 'reflect' });
  assert.equal(pads!.type, AttributeType.INTS);
  assert.equal(mode!.type, AttributeType.STRING);
  const [custom] = toAttributes('Foo', 'com.example', { x: 0.25 });
  assert.equal(custom!.type, AttributeType.FLOAT);
  assert.throws(() => toAttributes('Conv', '', { group: 1.5 }), /is an INT/);
});

test('node.attrs reads attributes that old writers left untyped', () => {
  const untyped = (a: ReturnType<typeof attr.int>) => Object.assign(a, { type: AttributeType.UNDEFINED });
  const n = node([untyped(attr.int('group', 3)), untyped(attr.int('axis', 0)), untyped(attr.ints('pads', [1, 2])), untyped(attr.ints('kernel_shape', []))]);
  assert.equal(n.attrs.int('group', 1), 3);
  assert.equal(n.attrs.int('axis', 1), 0, 'an unset int field is 0, not the default');
  assert.deepEqual(n.attrs.ints('pads'), [1, 2]);
  assert.deepEqual(n.attrs.ints('kernel_shape'), [], 'an untyped empty list');
  // a field that is there still decides: ints are not an int
  assert.throws(() => n.attrs.int('pads'), (e) => isTreluError(e) && e.code === 'E_GRAPH');
});

test('plain attribute values: prototype keys are not op schemas', () => {
  // 'constructor' is no ai.onnx op: its attributes are typed from the values alone
  // (it once looked up Object's own `name` as the type of attribute 'name' and called 0.5 "an INT")
  const [x] = toAttributes('constructor', '', { name: 0.5 });
  assert.equal(x!.type, AttributeType.FLOAT);
  const [y] = toAttributes('ThresholdedRelu', 'ai.onnx', { alpha: 2 });
  assert.equal(y!.type, AttributeType.FLOAT, "'ai.onnx' is the default domain spelled out");
});
