/**
 * Generates the sample models in models/ deterministically (seeded weights),
 * with this project's own IR and writer:
 *   mlp.onnx  float32[N,64] → Gemm 64→128 → Relu → Gemm 128→64 → Relu → Gemm 64→10
 *   cnn.onnx  float32[N,1,28,28] → Conv 1→8 3x3 → Relu → MaxPool 2 → Conv 8→16 3x3 → Relu
 *             → GlobalAveragePool → Flatten → Gemm 16→10
 * Run: npm run models (after npm run build). The test suite checks that this
 * script reproduces the committed files byte for byte.
 */
import path from 'node:path';
import Long from 'long';
import { fileURLToPath } from 'node:url';
import { onnx, DataType } from '../src/onnx/proto.js';
import { makeTensor } from '../src/onnx/tensor.js';
import { Graph, Model, Builder, Value, modelToProto, attr } from '../src/graph/index.js';
import { saveModelFile } from '../src/node/save-model.js';
import type { ModelProto, ValueInfoProto } from '../src/onnx/proto.js';

/** mulberry32: a tiny seeded PRNG, so the weights are the same on every machine. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weights(random: () => number, count: number, fanIn: number): Float32Array {
  const scale = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: count }, () => (random() * 2 - 1) * scale);
}

function tensorInfo(name: string, dims: (number | string)[]): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: Long.fromNumber(d) } : { dimParam: d })) } } },
  }) as ValueInfoProto;
}

function newModel(graphName: string, input: ValueInfoProto): { model: Model; b: Builder; x: Value } {
  const graph = new Graph({ name: graphName });
  const model = new Model({ graph, opsetImports: new Map([['', 17]]), irVersion: 8 });
  const x = new Value(input.name, { info: input });
  model.valueNames.register(x.name);
  graph.addInput(x);
  return { model, b: new Builder(model, graph), x };
}

function finish(model: Model, out: Value, outInfo: ValueInfoProto): ModelProto {
  out.name = outInfo.name;
  out.info = outInfo;
  model.graph.outputs.push(out);
  const proto = modelToProto(model);
  proto.producerName = 'onnx-trelu/models';
  proto.producerVersion = '1';
  return proto;
}

export function makeMlp(): ModelProto {
  const random = rng(1);
  const { model, b, x } = newModel('mlp', tensorInfo('input', ['N', 64]));
  const gemm = (h: Value, inF: number, outF: number, name: string) => {
    const w = b.initializer(makeTensor(`${name}.weight`, [outF, inF], weights(random, outF * inF, inF)));
    const bias = b.initializer(makeTensor(`${name}.bias`, [outF], weights(random, outF, inF)));
    return b.op('Gemm', [h, w, bias], { name, attributes: [attr.int('transB', 1)] });
  };
  let h = b.op('Relu', [gemm(x, 64, 128, 'fc1')], { name: 'relu1' });
  h = b.op('Relu', [gemm(h, 128, 64, 'fc2')], { name: 'relu2' });
  return finish(model, gemm(h, 64, 10, 'fc3'), tensorInfo('logits', ['N', 10]));
}

export function makeCnn(): ModelProto {
  const random = rng(2);
  const { model, b, x } = newModel('cnn', tensorInfo('image', ['N', 1, 28, 28]));
  const conv = (h: Value, cin: number, cout: number, name: string) => {
    const w = b.initializer(makeTensor(`${name}.weight`, [cout, cin, 3, 3], weights(random, cout * cin * 9, cin * 9)));
    const bias = b.initializer(makeTensor(`${name}.bias`, [cout], weights(random, cout, cin * 9)));
    return b.op('Conv', [h, w, bias], { name, attributes: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])] });
  };
  let h = b.op('Relu', [conv(x, 1, 8, 'conv1')], { name: 'relu1' });
  h = b.op('MaxPool', [h], { name: 'pool1', attributes: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])] });
  h = b.op('Relu', [conv(h, 8, 16, 'conv2')], { name: 'relu2' });
  h = b.op('GlobalAveragePool', [h], { name: 'gap' });
  h = b.op('Flatten', [h], { name: 'flatten' });
  const w = b.initializer(makeTensor('fc.weight', [10, 16], weights(random, 160, 16)));
  const bias = b.initializer(makeTensor('fc.bias', [10], weights(random, 10, 16)));
  return finish(model, b.op('Gemm', [h, w, bias], { name: 'fc', attributes: [attr.int('transB', 1)] }), tensorInfo('logits', ['N', 10]));
}

export const SAMPLE_MODELS: Record<string, () => ModelProto> = { 'mlp.onnx': makeMlp, 'cnn.onnx': makeCnn };

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = process.argv[2] ?? 'models';
  for (const [file, make] of Object.entries(SAMPLE_MODELS)) {
    const report = saveModelFile(make(), path.join(dir, file));
    console.log(`${report.path}: ${report.bytes} bytes`);
  }
}
