/**
 * npm run bench:graph — how graph passes scale with model size: building the
 * gradient of an L-layer MLP (Gemm + ThresholdedRelu per layer) and fusing
 * L decomposed activations (MatMul, Greater, Where per layer), for growing L.
 * Baseline, same run: decoding and re-encoding the same model (the codec is
 * linear). A pass that scales like the codec keeps its ratio as L grows; one
 * that re-typed the whole model per change grew it with L (1600 layers: the
 * gradient took 58 s before inferNodes, 1.4 s after).
 */
import Long from 'long';
import { onnx, DataType, AttributeType } from '../src/onnx/proto.js';
import { decodeModel } from '../src/onnx/decode.js';
import { encodeModel } from '../src/onnx/encode.js';
import { modelFromProto } from '../src/graph/index.js';
import { fuse } from '../src/rewrite/index.js';
import { buildGradient } from '../src/train/index.js';

const D = 16;
const tensor = (name: string, dims: number[], values: number[]) => ({ name, dataType: DataType.FLOAT, dims: dims.map((d) => Long.fromNumber(d)), floatData: values });
const info = (name: string) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: Long.fromNumber(D) }] } } } });

function deepModel(layers: number, form: 'gemm' | 'where'): Uint8Array {
  const nodes: onnx.NodeProto.$Properties[] = [];
  const inits: object[] = [tensor('alpha', [], [0.5]), tensor('zero', [], [0])];
  let prev = 'x';
  for (let i = 0; i < layers; i++) {
    inits.push(tensor(`w${i}`, [D, D], Array.from({ length: D * D }, (_, k) => ((k * 7919 + i) % 17) / 170 - 0.05)));
    if (form === 'gemm') {
      nodes.push({ opType: 'Gemm', input: [prev, `w${i}`], output: [`g${i}`], attribute: [{ name: 'transB', type: AttributeType.INT, i: Long.fromNumber(1) }] });
      nodes.push({ opType: 'ThresholdedRelu', input: [`g${i}`], output: [`r${i}`], attribute: [{ name: 'alpha', type: AttributeType.FLOAT, f: 0.1 }] });
    } else {
      nodes.push({ opType: 'MatMul', input: [prev, `w${i}`], output: [`g${i}`] });
      nodes.push({ opType: 'Greater', input: [`g${i}`, 'alpha'], output: [`m${i}`] });
      nodes.push({ opType: 'Where', input: [`m${i}`, `g${i}`, 'zero'], output: [`r${i}`] });
    }
    prev = `r${i}`;
  }
  return encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: { name: 'deep', node: nodes, input: [info('x')], output: [info(prev)], initializer: inits },
  }) as never);
}

const time = (f: () => void) => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
const best = (runs: number, f: () => void) => Math.min(...Array.from({ length: runs }, () => time(f)));

for (const layers of [100, 400, 1600]) {
  const runs = layers >= 1600 ? 2 : 5;
  const gemm = deepModel(layers, 'gemm');
  const where = deepModel(layers, 'where');
  const codec = best(runs, () => encodeModel(decodeModel(gemm)));
  const grad = best(runs, () => buildGradient(modelFromProto(decodeModel(gemm)), { lossFn: 'mse', on: `r${layers - 1}`, wrt: 'params' }));
  const codecW = best(runs, () => encodeModel(decodeModel(where)));
  const fused = best(runs, () => fuse(modelFromProto(decodeModel(where))));
  console.log(`${String(layers).padStart(5)} layers: gradient ${grad.toFixed(0)} ms = ${(grad / codec).toFixed(0)}x decode+encode (${codec.toFixed(1)} ms); `
    + `fuse ${fused.toFixed(0)} ms = ${(fused / codecW).toFixed(0)}x decode+encode (${codecW.toFixed(1)} ms)`);
}
