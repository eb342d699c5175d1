/**
 * npm run bench:io — load + save of a ~500 MB model through the library,
 * against `cp` of the same file in the same run.
 *
 * The model: 120 layers of MatMul with a 1024x1024 float32 weight + Relu
 * (about 503 MB, all inline). Each library run is a child process so that its
 * peak RSS is measured on its own. Goals (issue #2): load + save within 3x of
 * `cp`; peak RSS at most 1.5x the model size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import { onnx, DataType } from '../src/onnx/proto.js';
import { Graph, Model, Builder, Value, modelToProto } from '../src/graph/index.js';
import { saveModelFile } from '../src/node/save-model.js';

const LAYERS = Number(process.env.BENCH_LAYERS ?? 120);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const here = path.dirname(fileURLToPath(import.meta.url));

function buildModel(file: string): void {
  const graph = new Graph({ name: 'bench' });
  const model = new Model({ graph, opsetImports: new Map([['', 17]]), irVersion: 8 });
  const info = onnx.ValueInfoProto.create({ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: Long.fromNumber(1024) }] } } } });
  const x = new Value('x', { info: info as never });
  model.valueNames.register('x');
  graph.addInput(x);
  const b = new Builder(model, graph);
  let h = x;
  for (let i = 0; i < LAYERS; i++) {
    const raw = new Uint8Array(1024 * 1024 * 4);
    const w = new Float32Array(raw.buffer);
    for (let j = 0; j < w.length; j++) w[j] = ((j * 2654435761 + i) % 1000) / 1e6;
    const t = onnx.TensorProto.create({ name: `w${i}`, dims: [Long.fromNumber(1024), Long.fromNumber(1024)], dataType: DataType.FLOAT, rawData: raw });
    h = b.op('Relu', [b.op('MatMul', [h, b.initializer(t as never)])]);
  }
  graph.outputs.push(h);
  saveModelFile(modelToProto(model), file);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeCp(src: string, dst: string): number {
  const t0 = performance.now();
  const r = spawnSync('cp', [src, dst]);
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
  return performance.now() - t0;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trelu-bench-io-'));
try {
  const model = path.join(dir, 'model.onnx');
  buildModel(model);
  const size = fs.statSync(model).size;
  if (process.env.BENCH_KEEP) fs.copyFileSync(model, process.env.BENCH_KEEP); // for profiling by hand
  console.log(`model: ${LAYERS} x MatMul 1024x1024 float32 + Relu, ${(size / 2 ** 20).toFixed(1)} MiB`);
  timeCp(model, path.join(dir, 'warm.onnx')); // page cache warm-up for both contenders
  const cps: number[] = [];
  const libs: { totalMs: number; loadMs: number; saveMs: number; maxRssBytes: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    cps.push(timeCp(model, path.join(dir, `cp${i}.onnx`)));
    const out = path.join(dir, `lib${i}.onnx`);
    const r = spawnSync(process.execPath, [path.join(here, 'io-child.js'), model, out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    libs.push(JSON.parse(r.stdout));
    if (!fs.readFileSync(out).equals(fs.readFileSync(model))) throw new Error('library output differs from input');
    fs.rmSync(out);
    fs.rmSync(path.join(dir, `cp${i}.onnx`));
  }
  const cp = median(cps);
  const lib = median(libs.map((l) => l.totalMs));
  const rss = Math.max(...libs.map((l) => l.maxRssBytes));
  console.log(`cp                 ${cp.toFixed(0)} ms (median of ${RUNS})`);
  console.log(`load + save        ${lib.toFixed(0)} ms (load ${median(libs.map((l) => l.loadMs)).toFixed(0)}, save ${median(libs.map((l) => l.saveMs)).toFixed(0)})  = ${(lib / cp).toFixed(2)}x cp   (goal <= 3x)`);
  console.log(`peak RSS           ${(rss / 2 ** 20).toFixed(0)} MiB = ${(rss / size).toFixed(2)}x model size   (goal <= 1.5x)`);
  console.log('output identical to input: yes');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
