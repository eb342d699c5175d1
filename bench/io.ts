/**
 * npm run bench:io — model file I/O through the library against `cp` and
 * `cat` of the same files, in the same run, as ratios.
 *
 * The model: LAYERS (default 120) x MatMul with a 1024x1024 float32 weight +
 * Relu, 480 MiB; once with every tensor inline, once with its tensors in an
 * external data file. Each library run is its own process (io-child.ts), so
 * its peak RSS is its own, and process start-up is in both sides (cp and cat
 * are processes too).
 *
 * Repeatable by construction: ROUNDS (default 5) rounds, each runs every pair
 * once, side by side; the ratio is taken pair by pair (drift of a shared
 * machine hits both sides of a pair alike) and printed as the median with its
 * spread (min–max). Before every timed step: `sync` (untimed), so no step
 * pays for an earlier step's writeback; the source files are in the page
 * cache for both sides (read by the warm-up and every step since). Writeback
 * is charged to whoever caused it: the durable pairs end each side with its
 * own fsync (the library's default; `sync FILE` after cp). Pairs:
 *   load             vs cat FILE > /dev/null      (read + decode vs read)
 *   load + save      vs cp                         (no fsync on either side)
 *   load + save      vs cp + sync FILE             (the default: fsync, temp + rename)
 *   rewrite          vs cp + sync FILE             (load, Relu -> ThresholdedRelu(alpha 0), save)
 *   load + save, with and without fsync, loading with { lazyTensors: true } (large tensors read only when asked: here never; the save copies them from the input)
 *   the same two through rewriteModelFile (large tensors copied from the input, never loaded)
 *   rewrite, external data, into another directory  vs cp of both files + sync
 *   trelu convert model.onnx out.onnx --external-data model.onnx.data  vs cp of the model to the data file + sync
 *   trelu replace model.onnx out.onnx --json (the CLI, its own process: node's and the CLI's start-up,
 *     the command's checks, the rewrite and the save with fsync; not --verify, which is off by default
 *     and runs both models in onnxruntime: 6.0 s and 2.6 GB instead of 0.8 s and 67 MiB here)  vs cp + sync;
 *   with BENCH_TRELU_BEFORE=<checkout>/dist/src/cli/main.js the same command of that build too
 * Goals (issue #16): load + save <= 1.3x cp, peak RSS <= 1.2x the model.
 * BENCH_LAYERS, BENCH_ROUNDS, BENCH_KEEP=path (keep a copy of the model), BENCH_ONLY=substring[,substring...]
 * (only the pairs whose label has one of them).
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? process.env.BENCH_RUNS ?? 5);
const here = path.dirname(fileURLToPath(import.meta.url));
const OUR_CLI = path.join(here, '..', 'src', 'cli', 'main.js');

function buildModel(file: string, external: string | undefined): void {
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
  saveModelFile(modelToProto(model), file, external ? { externalData: { location: external } } : {});
}

if (process.argv[2] === '--build') {
  buildModel(process.argv[3]!, process.argv[4]);
  process.exit(0);
}

/** Linux's CPU pressure (the share of time some task waited for a CPU, last 60 s), or nothing. */
function cpuPressure(): string {
  try {
    const m = /some avg10=[\d.]+ avg60=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? `, CPU pressure ${m[1]}% (tasks waiting for a CPU, last 60 s)` : '';
  } catch {
    return '';
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** No dirty pages before a timed step: otherwise it is throttled by the writeback of the step before. */
function settle(): void {
  spawnSync('sync');
}

function sh(cmd: string, args: string[], stdout: 'ignore' | 'pipe' = 'ignore'): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', stdout, 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/**
 * CPU time (user + system) of this process's finished children, in ms, from /proc/self/stat
 * (cutime + cstime, in clock ticks of 10 ms); NaN where there is no /proc. On a shared machine a
 * step's wall time includes waiting for a CPU; its CPU time does not (nor its waits for the disk).
 */
function childCpuMs(): number {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10; // fields 16 and 17 of proc(5), counted after the command name
  } catch {
    return NaN;
  }
}

/** The CPU time of the steps timed last (timed, child): children's CPU, measured like the wall time. */
let lastCpuMs = 0;

/** Wall time of one step, after a settle; `cleanup` (untimed) removes its outputs. */
function timed(step: () => void): number {
  settle();
  const c0 = childCpuMs();
  const t0 = performance.now();
  step();
  const wall = performance.now() - t0;
  lastCpuMs = childCpuMs() - c0;
  return wall;
}

interface LibRun { copiedBytes?: number; loadMs: number; editMs: number; saveMs: number; totalMs: number; loadFaults: number; saveFaults: number; replaced: number; maxRssBytes: number; wallMs: number; cpuMs: number }

function lib(mode: string, input: string, output?: string): LibRun {
  return child([path.join(here, 'io-child.js'), mode, input, ...(output ? [output] : [])]);
}

/** `trelu ARGS` of the CLI build at mainJs, in its own process (cli-child.ts). */
function cli(mainJs: string, ...args: string[]): LibRun {
  return child([path.join(here, 'cli-child.js'), mainJs, ...args]);
}

function child(args: string[]): LibRun {
  settle();
  const c0 = childCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  const cpuMs = childCpuMs() - c0;
  if (r.status !== 0) throw new Error(r.stderr);
  return { ...(JSON.parse(r.stdout) as Omit<LibRun, 'wallMs' | 'cpuMs'>), wallMs, cpuMs };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trelu-bench-io-'));
try {
  const model = path.join(dir, 'model.onnx');
  const extDir = path.join(dir, 'ext');
  fs.mkdirSync(extDir);
  const extModel = path.join(extDir, 'model.onnx');
  for (const args of [[model], [extModel, 'model.onnx.data']]) {
    const built = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--build', ...args], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building the model failed');
  }
  const size = fs.statSync(model).size;
  const extData = path.join(extDir, 'model.onnx.data');
  if (process.env.BENCH_KEEP) fs.copyFileSync(model, process.env.BENCH_KEEP);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  const clean = () => {
    settle();
    for (const f of fs.readdirSync(out)) fs.rmSync(path.join(out, f));
  };
  // warm-up: every source file in the page cache for both sides
  for (const f of [model, extModel, extData]) sh('cat', [f]);

  type Pair = { label: string; lib: () => LibRun; base: () => number; baseLabel: string; check?: (r: LibRun) => void };
  const copyOut = path.join(out, 'model.onnx');
  const pairs: Pair[] = [
    { label: 'load', baseLabel: 'cat', lib: () => lib('load', model), base: () => timed(() => sh('cat', [model])) },
    { label: 'load + save, no fsync', baseLabel: 'cp', lib: () => lib('roundtrip-nofsync', model, copyOut), base: () => timed(() => sh('cp', [model, copyOut])) },
    { label: 'load + save (default: fsync)', baseLabel: 'cp + sync', lib: () => lib('roundtrip', model, copyOut), base: () => timed(() => { sh('cp', [model, copyOut]); sh('sync', [copyOut]); }) },
    { label: 'rewrite (load, edit, save; fsync)', baseLabel: 'cp + sync', lib: () => lib('rewrite', model, copyOut), base: () => timed(() => { sh('cp', [model, copyOut]); sh('sync', [copyOut]); }) },
    { label: 'lazyTensors: load + save, no fsync', baseLabel: 'cp', lib: () => lib('lazytensors-roundtrip-nofsync', model, copyOut), base: () => timed(() => sh('cp', [model, copyOut])) },
    { label: 'lazyTensors: load + save (fsync)', baseLabel: 'cp + sync', lib: () => lib('lazytensors-roundtrip', model, copyOut), base: () => timed(() => { sh('cp', [model, copyOut]); sh('sync', [copyOut]); }) },
    { label: 'rewriteModelFile: round trip, no fsync', baseLabel: 'cp', lib: () => lib('lazy-roundtrip-nofsync', model, copyOut), base: () => timed(() => sh('cp', [model, copyOut])) },
    { label: 'rewriteModelFile: rewrite (fsync)', baseLabel: 'cp + sync', lib: () => lib('lazy-rewrite', model, copyOut), base: () => timed(() => { sh('cp', [model, copyOut]); sh('sync', [copyOut]); }) },
    {
      label: 'rewrite, external data, to another dir', baseLabel: 'cp both + sync',
      lib: () => lib('rewrite', extModel, copyOut),
      base: () => timed(() => { sh('cp', [extModel, extData, out]); sh('sync', [copyOut, path.join(out, 'model.onnx.data')]); }),
    },
    {
      label: 'trelu convert --external-data (CLI)', baseLabel: 'cp + sync',
      lib: () => cli(OUR_CLI, 'convert', model, copyOut, '--external-data', 'model.onnx.data'),
      base: () => timed(() => { sh('cp', [model, path.join(out, 'model.onnx.data')]); sh('sync', [path.join(out, 'model.onnx.data')]); }),
    },
    { label: 'trelu replace (CLI; fsync)', baseLabel: 'cp + sync', lib: () => cli(OUR_CLI, 'replace', model, copyOut), base: () => timed(() => { sh('cp', [model, copyOut]); sh('sync', [copyOut]); }) },
    ...(process.env.BENCH_TRELU_BEFORE ? [{
      label: 'trelu replace, BENCH_TRELU_BEFORE build', baseLabel: 'cp + sync',
      lib: () => cli(process.env.BENCH_TRELU_BEFORE!, 'replace', model, copyOut),
      base: () => timed(() => { sh('cp', [model, copyOut]); sh('sync', [copyOut]); }),
    }] : []),
  ].filter((p) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').some((only) => p.label.includes(only)));
  const samples = pairs.map(() => ({ ratios: [] as number[], lib: [] as LibRun[], base: [] as number[], baseCpu: [] as number[] }));
  console.log(`model: ${LAYERS} x MatMul 1024x1024 float32 + Relu, ${(size / 2 ** 20).toFixed(1)} MiB (inline; and as model + external data)`);
  console.log(`${ROUNDS} rounds, each pair side by side (order alternating), ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]!.toFixed(1)} at the start${cpuPressure()}`);
  for (let r = 0; r < ROUNDS; r++) {
    pairs.forEach((p, i) => {
      let l: LibRun;
      let b: number;
      let bCpu: number;
      if (r % 2 === 0) {
        l = p.lib(); clean(); b = p.base(); bCpu = lastCpuMs; clean();
      } else {
        b = p.base(); bCpu = lastCpuMs; clean(); l = p.lib(); clean();
      }
      if ((p.label === 'load + save, no fsync' || p.label.endsWith('load + save, no fsync') || p.label.startsWith('rewriteModelFile: round trip')) && r === 0) {
        // same bytes out: checked once (the comparison itself is not timed)
        l = p.lib();
        if (!fs.readFileSync(copyOut).equals(fs.readFileSync(model))) throw new Error('library output differs from its input');
        clean();
      }
      if ((p.label.includes('rewrite (') || p.label.startsWith('rewrite, external') || p.label.startsWith('trelu replace')) && l.replaced !== LAYERS) throw new Error(`${p.label}: replaced ${l.replaced} nodes, expected ${LAYERS}`);
      if (p.label.startsWith('trelu replace (CLI') && l.copiedBytes !== LAYERS * 4 * 2 ** 20) throw new Error(`trelu replace copied ${l.copiedBytes} bytes from the input, expected every weight`);
      samples[i]!.ratios.push(l.wallMs / b);
      samples[i]!.lib.push(l);
      samples[i]!.base.push(b);
      samples[i]!.baseCpu.push(bCpu);
    });
  }
  const ms = (x: number) => `${x.toFixed(0)} ms`.padStart(8);
  console.log('each line: median wall time of each side (process start included), the median of the per-pair ratios, (min–max); then the same for CPU time (user + system, 10 ms ticks)');
  pairs.forEach((p, i) => {
    const s = samples[i]!;
    const libMs = median(s.lib.map((l) => l.wallMs));
    const cpu = s.lib.map((l, k) => l.cpuMs / Math.max(10, s.baseCpu[k]!));
    console.log(`${p.label.padEnd(40)}${ms(libMs)}  vs ${p.baseLabel.padEnd(15)}${ms(median(s.base))}  = ${median(s.ratios).toFixed(2)}x  (${Math.min(...s.ratios).toFixed(2)}–${Math.max(...s.ratios).toFixed(2)})` +
      `   CPU ${ms(median(s.lib.map((l) => l.cpuMs)))} vs ${ms(median(s.baseCpu))} = ${median(cpu).toFixed(2)}x (${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)})`);
  });
  const runs = (label: string) => samples[pairs.findIndex((p) => p.label.startsWith(label))]?.lib;
  const peak = (label: string) => Math.max(0, ...(runs(label) ?? []).map((l) => l.maxRssBytes));
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const rt = runs('load + save, no fsync');
  if (rt) console.log(`inside the process (no fsync pair): load ${median(rt.map((l) => l.loadMs)).toFixed(0)} ms (${median(rt.map((l) => l.loadFaults))} page faults), save ${median(rt.map((l) => l.saveMs)).toFixed(0)} ms (${median(rt.map((l) => l.saveFaults))} faults); node start-up and exit are the rest`);
  const rss = Math.max(...['load', 'load + save', 'rewrite ('].map(peak));
  console.log(`peak RSS (max of all runs): load/save/rewrite ${mib(rss)} = ${(rss / size).toFixed(2)}x model size (goal <= 1.2x); lazyTensors load + save ${mib(peak('lazyTensors'))}; rewriteModelFile ${mib(peak('rewriteModelFile'))}; external data ${mib(peak('rewrite, external'))}; trelu convert --external-data ${mib(peak('trelu convert'))}; trelu replace ${mib(peak('trelu replace (CLI'))}${process.env.BENCH_TRELU_BEFORE ? `, before: ${mib(peak('trelu replace, BENCH'))}` : ''}`);
  const lz = runs('rewriteModelFile: round trip');
  if (lz) console.log(`inside the process (rewriteModelFile round trip): walk + decode ${median(lz.map((l) => l.loadMs)).toFixed(0)} ms (${median(lz.map((l) => l.loadFaults))} faults), save ${median(lz.map((l) => l.saveMs)).toFixed(0)} ms (${median(lz.map((l) => l.saveFaults))} faults)`);
  if (rt || lz) console.log('round-trip outputs (load + save, rewriteModelFile) identical to the input: yes');
  console.log(`load average ${os.loadavg()[0]!.toFixed(1)} at the end${cpuPressure()}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
