// Every field kind of the schema survives decode → encode exactly, including
// the IR 9–11 additions, int64 extremes, every data type, and fields the
// schema does not know.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, DataType, AttributeType } from '../../src/onnx/proto.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel, encodeModelChunked } from '../../src/onnx/encode.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { modelToProto } from '../../src/graph/to-proto.js';
import { DATA_TYPES } from '../../src/onnx/dtypes.js';

// Decoded nested messages are typed with nullable fields; the assertions below check presence themselves.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const INT64_MAX = Long.fromString('9223372036854775807');
const INT64_MIN = Long.fromString('-9223372036854775808');
const UINT64_MAX = Long.fromString('18446744073709551615', true);
const meta = (k: string) => [{ key: k, value: `${k}-value` }];

function everyFieldModel() {
  const tensors = DATA_TYPES.filter((t) => t.id !== 0).map((t) => ({
    name: `t_${t.name}`,
    dims: [Long.fromNumber(2)],
    dataType: t.id,
    ...(t.id === DataType.STRING ? { stringData: [new Uint8Array([104, 105]), new Uint8Array([])] } : { rawData: new Uint8Array(Math.max(1, Math.ceil((2 * t.bits) / 8))).fill(0xa5) }),
    metadataProps: meta(`tensor-${t.name}`),
  }));
  const typed = {
    name: 'typed', dims: [INT64_MAX, INT64_MIN, Long.ZERO], dataType: DataType.INT64, segment: { begin: Long.ONE, end: INT64_MAX },
    floatData: [1.5, -0, Infinity], int32Data: [-1, 2147483647, -2147483648], int64Data: [INT64_MAX, INT64_MIN, Long.NEG_ONE],
    doubleData: [Math.PI, -Infinity], uint64Data: [UINT64_MAX, Long.UZERO], docString: 'typed fields',
    externalData: [{ key: 'location', value: 'w.bin' }], dataLocation: 0,
  };
  const sub = { node: [{ input: ['x'], output: ['y'], opType: 'Identity' }], name: 'body', output: [{ name: 'y' }] };
  const shape = { dim: [{ dimValue: INT64_MAX, denotation: 'BATCH' }, { dimParam: 'N' }, {}] };
  return onnx.ModelProto.create({
    irVersion: Long.fromNumber(11),
    opsetImport: [{ domain: '', version: Long.fromNumber(22) }, { domain: 'custom', version: Long.ONE }],
    producerName: 'p', producerVersion: 'v', domain: 'd', modelVersion: INT64_MAX, docString: 'doc',
    graph: {
      name: 'g', docString: 'graph doc',
      node: [{
        input: ['x', ''], output: ['y'], name: 'n', opType: 'Slice', domain: '', overload: 'ov', docString: 'node doc',
        metadataProps: meta('node'),
        deviceConfigurations: [{ configurationId: 'cfg', pipelineStage: 3, shardingSpec: [{ tensorName: 'x', device: [Long.ZERO, INT64_MAX],
          indexToDeviceGroupMap: [{ key: Long.ONE, value: [Long.ZERO, Long.ONE] }],
          shardedDim: [{ axis: Long.NEG_ONE, simpleSharding: [{ dimValue: Long.fromNumber(8), numShards: Long.fromNumber(2) }, { dimParam: 'S', numShards: Long.ONE }] }] }] }],
        attribute: [
          { name: 'ends', type: AttributeType.INTS, ints: [INT64_MAX, INT64_MIN] },
          { name: 'f', type: AttributeType.FLOAT, f: 0.1, docString: 'a' },
          { name: 'i', type: AttributeType.INT, i: INT64_MIN },
          { name: 's', type: AttributeType.STRING, s: new Uint8Array([0, 255, 1]) },
          { name: 't', type: AttributeType.TENSOR, t: typed },
          { name: 'g', type: AttributeType.GRAPH, g: sub },
          { name: 'st', type: AttributeType.SPARSE_TENSOR, sparseTensor: { values: tensors[0], indices: typed, dims: [Long.fromNumber(4)] } },
          { name: 'tp', type: AttributeType.TYPE_PROTO, tp: { tensorType: { elemType: 1, shape } } },
          { name: 'fs', type: AttributeType.FLOATS, floats: [1, 2] },
          { name: 'ss', type: AttributeType.STRINGS, strings: [new Uint8Array([1])] },
          { name: 'ts', type: AttributeType.TENSORS, tensors: [typed] },
          { name: 'gs', type: AttributeType.GRAPHS, graphs: [sub, sub] },
          { name: 'sts', type: AttributeType.SPARSE_TENSORS, sparseTensors: [{ dims: [Long.ONE] }] },
          { name: 'tps', type: AttributeType.TYPE_PROTOS, typeProtos: [{ sequenceType: { elemType: { mapType: { keyType: 7, valueType: { optionalType: { elemType: { sparseTensorType: { elemType: 1, shape } } } } } } } }, { opaqueType: { domain: 'ml', name: 'o' }, denotation: 'd' }] },
          { name: 'ref', refAttrName: 'outer', type: AttributeType.FLOAT },
        ],
      }],
      initializer: tensors,
      sparseInitializer: [{ values: { name: 'sp', dataType: 1, dims: [Long.ONE], floatData: [1] }, indices: { dataType: 7, dims: [Long.ONE], int64Data: [Long.ZERO] }, dims: [Long.fromNumber(10)] }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape } }, docString: 'in', metadataProps: meta('input') }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      valueInfo: [{ name: 'y', type: { denotation: 'TENSOR' } }],
      quantizationAnnotation: [{ tensorName: 'x', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 's' }] }],
      metadataProps: meta('graph'),
    },
    metadataProps: meta('model'),
    trainingInfo: [{ initialization: sub, algorithm: sub, initializationBinding: meta('ib'), updateBinding: meta('ub') }],
    functions: [{
      name: 'F', domain: 'custom', overload: 'o1', input: ['a'], output: ['b'], attribute: ['alpha'],
      attributeProto: [{ name: 'beta', type: AttributeType.FLOAT, f: 2 }],
      node: [{ input: ['a'], output: ['b'], opType: 'Relu' }], docString: 'fn', opsetImport: [{ domain: '', version: Long.fromNumber(22) }],
      valueInfo: [{ name: 'b', type: { tensorType: { elemType: 1 } } }], metadataProps: meta('function'),
    }],
    configuration: [{ name: 'cfg', numDevices: 2, device: ['gpu0', 'gpu1'] }],
  });
}

test('every field kind round-trips exactly, through the codec and the IR', () => {
  const bytes = encodeModel(everyFieldModel() as never);
  const decoded: Loose = decodeModel(bytes);
  assert.deepEqual(Buffer.from(encodeModel(decoded)), Buffer.from(bytes));
  assert.deepEqual(Buffer.from(encodeModel(modelToProto(modelFromProto(decoded)))), Buffer.from(bytes));
  const chunks: Uint8Array[] = [];
  encodeModelChunked(decoded, (c) => chunks.push(c.slice()), { blobThreshold: 0, staticThreshold: 0 });
  assert.deepEqual(Buffer.concat(chunks), Buffer.from(bytes));

  const node = decoded.graph.node[0]!;
  const ends = node.attribute.find((a: Loose) => a.name === 'ends')!;
  assert.equal(Long.fromValue(ends.ints[0]!).toString(), '9223372036854775807');
  assert.equal(Long.fromValue(ends.ints[1]!).toString(), '-9223372036854775808');
  const typed = node.attribute.find((a: Loose) => a.name === 't')!.t!;
  assert.equal(Long.fromValue(typed.uint64Data[0]!).toUnsigned().toString(), '18446744073709551615');
  assert.equal(Long.fromValue(typed.dims[0]!).toString(), '9223372036854775807');
  assert.deepEqual(node.metadataProps.map((m: Loose) => m.key), ['node']);
  assert.equal(node.deviceConfigurations[0]!.shardingSpec![0]!.shardedDim![0]!.simpleSharding![1]!.dimParam, 'S');
  assert.equal(decoded.functions[0]!.valueInfo[0]!.name, 'b');
  assert.equal(decoded.functions[0]!.attributeProto[0]!.name, 'beta');
  assert.equal(decoded.functions[0]!.overload, 'o1');
  assert.equal(decoded.trainingInfo[0]!.updateBinding[0]!.key, 'ub');
  assert.equal(decoded.configuration[0]!.numDevices, 2);
  assert.equal(decoded.graph.initializer.length, DATA_TYPES.length - 1);
  assert.deepEqual(decoded.graph.initializer.map((t: Loose) => t.dataType), DATA_TYPES.filter((t) => t.id !== 0).map((t) => t.id));
});

test('fields the schema does not know are preserved, at every nesting level', () => {
  const base = encodeModel(everyFieldModel() as never);
  const decoded: Loose = decodeModel(base);
  // Field 999 (varint 42) and field 1000 (bytes "xyz") on a node, a tensor inside an attribute, and the model.
  const unknownVarint = new Uint8Array([0xb8, 0x3e, 42]);
  const unknownBytes = new Uint8Array([0xc2, 0x3e, 3, 120, 121, 122]);
  const node = decoded.graph.node[0]!;
  Object.defineProperty(node, '$unknowns', { value: [unknownVarint], writable: true, enumerable: false });
  const t = node.attribute.find((a: Loose) => a.name === 't')!.t!;
  Object.defineProperty(t, '$unknowns', { value: [unknownBytes], writable: true, enumerable: false });
  Object.defineProperty(decoded, '$unknowns', { value: [unknownVarint], writable: true, enumerable: false });
  const bytes = encodeModel(decoded);
  const again: Loose = decodeModel(bytes);
  assert.deepEqual(again.graph.node[0]!.$unknowns!.map((u: Uint8Array) => [...u]), [[...unknownVarint]]);
  assert.deepEqual(again.graph.node[0]!.attribute.find((a: Loose) => a.name === 't')!.t!.$unknowns!.map((u: Uint8Array) => [...u]), [[...unknownBytes]]);
  assert.deepEqual(Buffer.from(encodeModel(again)), Buffer.from(bytes));
  assert.deepEqual(Buffer.from(encodeModel(modelToProto(modelFromProto(again)))), Buffer.from(bytes));
  const chunks: Uint8Array[] = [];
  encodeModelChunked(again, (c) => chunks.push(c.slice()), { blobThreshold: 0, staticThreshold: 0 });
  assert.deepEqual(Buffer.concat(chunks), Buffer.from(bytes));
});

test('a known field number with the wrong wire type is kept, not dropped', () => {
  const model: Loose = decodeModel(encodeModel(everyFieldModel() as never));
  // NodeProto field 3 (name) written as a varint: the decoder cannot take it as a string.
  const odd = new Uint8Array([0x18, 0x05]);
  Object.defineProperty(model.graph.node[0]!, '$unknowns', { value: [odd], writable: true, enumerable: false });
  const again: Loose = decodeModel(encodeModel(model));
  assert.deepEqual(again.graph.node[0]!.$unknowns!.map((u: Uint8Array) => [...u]), [[...odd]]);
});
