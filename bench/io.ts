/**
 * npm run bench:io — load + save of a ~500 MB model through the library,
 * against `cp` of the same file in the same run.
 *
 * The model: 120 layers of MatMul with a 1024x1024 float32 weight + Relu
 * (480 MiB, all inline). The model is built, and each library run made, in
 * a child process, so that peak RSS is the run's own. Two comparisons, like
 * with like: the library writing without fsync against plain `cp`, and the
 * library's default (fsync before rename) against `cp` followed by `sync FILE`.
 * Every timed step starts with no dirty pages (see settle). Loading reads
 * with two parallel positioned reads (loadModelFileAsync), saving writes with
 * parallel positioned writes (saveModelFileAsync). Goals (issue #2): load +
 * save within 3x of `cp`; peak RSS at most 1.5x the model size.
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

if (process.argv[2] === '--build') {
  buildModel(process.argv[3]!);
  process.exit(0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Flushes every dirty page before a timed step: otherwise whoever runs after a
 * writer (cp leaves 480 MiB dirty) is throttled by the kernel's writeback and
 * pays for the previous step's I/O.
 */
function settle(): void {
  spawnSync('sync');
}

function timeCp(src: string, dst: string, sync: boolean): number {
  settle();
  const t0 = performance.now();
  const r = spawnSync('cp', [src, dst]);
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
  if (sync && spawnSync('sync', [dst]).status !== 0) throw new Error('sync failed');
  return performance.now() - t0;
}

interface LibRun { totalMs: number; loadMs: number; saveMs: number; maxRssBytes: number }

function timeLib(model: string, out: string, mode: 'fsync' | 'nofsync'): LibRun {
  settle();
  const r = spawnSync(process.execPath, [path.join(here, 'io-child.js'), model, out, mode], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  if (!fs.readFileSync(out).equals(fs.readFileSync(model))) throw new Error('library output differs from input');
  fs.rmSync(out);
  return JSON.parse(r.stdout) as LibRun;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trelu-bench-io-'));
try {
  const model = path.join(dir, 'model.onnx');
  const built = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--build', model], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('building the model failed');
  const size = fs.statSync(model).size;
  if (process.env.BENCH_KEEP) fs.copyFileSync(model, process.env.BENCH_KEEP); // for profiling by hand
  console.log(`model: ${LAYERS} x MatMul 1024x1024 float32 + Relu, ${(size / 2 ** 20).toFixed(1)} MiB; ${RUNS} runs each, alternating, medians`);
  timeCp(model, path.join(dir, 'warm.onnx'), false); // page cache warm-up for every contender
  fs.rmSync(path.join(dir, 'warm.onnx'));
  const cp: number[] = [];
  const cpSync: number[] = [];
  const lib: LibRun[] = [];
  const libSync: LibRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    const copy = path.join(dir, 'copy.onnx');
    cp.push(timeCp(model, copy, false));
    fs.rmSync(copy);
    lib.push(timeLib(model, path.join(dir, 'lib.onnx'), 'nofsync'));
    cpSync.push(timeCp(model, copy, true));
    fs.rmSync(copy);
    libSync.push(timeLib(model, path.join(dir, 'lib.onnx'), 'fsync'));
  }
  const ms = (x: number) => `${x.toFixed(0)} ms`.padStart(8);
  const libMs = median(lib.map((l) => l.totalMs));
  const libSyncMs = median(libSync.map((l) => l.totalMs));
  console.log(`cp                          ${ms(median(cp))}`);
  console.log(`load + save (no fsync)      ${ms(libMs)}  = ${(libMs / median(cp)).toFixed(2)}x cp   (load ${median(lib.map((l) => l.loadMs)).toFixed(0)} ms, save ${median(lib.map((l) => l.saveMs)).toFixed(0)} ms; goal <= 3x)`);
  console.log(`cp + sync FILE              ${ms(median(cpSync))}`);
  console.log(`load + save (fsync, default)${ms(libSyncMs)}  = ${(libSyncMs / median(cpSync)).toFixed(2)}x cp + sync`);
  const rss = Math.max(...lib.concat(libSync).map((l) => l.maxRssBytes));
  console.log(`peak RSS (max of all runs)  ${(rss / 2 ** 20).toFixed(0)} MiB = ${(rss / size).toFixed(2)}x model size   (goal <= 1.5x)`);
  console.log('every output identical to the input: yes');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
