/**
 * npm run bench:graph — how graph passes scale with model size, 100 to 10,000
 * layers: building the graph IR from a decoded model, building the gradient of
 * an L-layer MLP (Gemm + ThresholdedRelu per layer), and fusing L decomposed
 * activations (MatMul, Greater, Where per layer). Baseline, same run: decoding
 * and re-encoding the same model (the codec is linear). Each line prints the
 * time as a ratio to the codec, the time per layer, its growth against the
 * smallest model (1.0 = linear; a quadratic step doubles it with every
 * doubling of L), and the heap the built IR holds.
 * History: re-typing the whole model per change (1600 layers: 58 s before
 * inferNodes, 1.4 s after); initializersToInputs's filter + includes per
 * parameter and replaceValue's scans of the initializer list were O(L^2).
 * BENCH_LAYERS (comma list, default 100,1000,3000,10000).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import os from 'node:os';
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

/**
 * CPU time (user + system) of `f`, in ms: on a shared machine other processes take wall time away
 * from a run, but much less of its CPU time, so growth with model size stays readable.
 */
const time = (f: () => void) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Best of `runs`, each after a full GC (untimed): a run should not pay for collecting the garbage of the one before. */
const best = (runs: number, f: () => void) => Math.min(...Array.from({ length: runs }, () => {
  gc();
  return time(f);
}));
/** Heap bytes `build()`'s result keeps alive (held in a module-level array while the heap is measured). */
const held: unknown[] = [];
function retained(build: () => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  held.push(build());
  gc();
  const after = process.memoryUsage().heapUsed;
  held.length = 0;
  return after - before;
}

const SIZES = (process.env.BENCH_LAYERS ?? '100,1000,3000,10000').split(',').map(Number);
console.log(`${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}; CPU times (user + system), best of 3 runs (2 from 3000 layers, 1 at 10,000)`);
console.log('per pass: time, x decode+encode of the same model, us per layer, growth of the per-layer time vs the smallest model (1.00 = linear)');
const first: Record<string, number> = {};
{
  // warm-up (untimed): the JIT compiles every pass before the smallest model sets the per-layer baseline
  const m = deepModel(300, 'gemm');
  for (let i = 0; i < 3; i++) {
    buildGradient(modelFromProto(decodeModel(m)), { lossFn: 'mse', on: 'r299', wrt: 'params' });
    fuse(modelFromProto(decodeModel(deepModel(300, 'where'))));
  }
}
for (const layers of SIZES) {
  const runs = layers >= 10000 ? 1 : layers >= 3000 ? 2 : 3;
  const gemm = deepModel(layers, 'gemm');
  const where = deepModel(layers, 'where');
  const codec = best(runs, () => encodeModel(decodeModel(gemm)));
  const decoded = decodeModel(gemm);
  const build = best(runs, () => modelFromProto(decoded));
  const grad = best(runs, () => buildGradient(modelFromProto(decodeModel(gemm)), { lossFn: 'mse', on: `r${layers - 1}`, wrt: 'params' }));
  const codecW = best(runs, () => encodeModel(decodeModel(where)));
  const fused = best(runs, () => fuse(modelFromProto(decodeModel(where))));
  const heap = retained(() => modelFromProto(decodeModel(gemm)));
  const gradHeap = retained(() => {
    const m = modelFromProto(decodeModel(gemm));
    buildGradient(m, { lossFn: 'mse', on: `r${layers - 1}`, wrt: 'params' });
    return m;
  });
  const row = (label: string, ms: number, base: number) => {
    const per = (ms * 1000) / layers;
    first[label] ??= per;
    return `${label} ${ms.toFixed(0).padStart(5)} ms ${(ms / base).toFixed(1).padStart(5)}x ${per.toFixed(0).padStart(4)} us/layer (growth ${(per / first[label]!).toFixed(2)})`;
  };
  console.log(`${String(layers).padStart(6)} layers: codec ${codec.toFixed(0).padStart(5)} ms | ${row('build IR', build, codec)} | ${row('gradient', grad, codec)} | ${row('fuse', fused, codecW)}`);
  console.log(`${''.padStart(14)}heap held: IR ${(heap / 2 ** 20).toFixed(1)} MiB (${(heap / layers / 1024).toFixed(1)} KiB/layer), IR + gradient ${(gradHeap / 2 ** 20).toFixed(1)} MiB (${(gradHeap / layers / 1024).toFixed(1)} KiB/layer)`);
}
