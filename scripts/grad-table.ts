/**
 * Prints the README's gradient table ("The torch corpus (tests)") from measurements: for every
 * corpus model (torch corpus and npm corpus) the ops on the differentiable path, the parameters,
 * the max relative error (torch models: against torch autograd; npm models: against float64
 * central differences run by ORT, as test/train/npm-corpus-grad.test.ts), the EPs, the nodes
 * added and gradient / forward time on ORT cpu (median of --runs after a warm-up; forward = the
 * same graph before the backward pass, parameters fed as inputs, same feeds).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/grad-table.js [--runs 7] [--eps] [--only name,...] [--json]
 *
 * --eps also runs every gradient on wasm and webgpu (resnet18 on webgpu: minutes on SwiftShader)
 * and reports each EP's worst error against the same reference; without it the EPs column lists
 * the EPs the tests check.
 */
import fs from 'node:fs';
import os from 'node:os';
import { decodeModel } from '../src/onnx/decode.js';
import { encodeModel } from '../src/onnx/encode.js';
import { Builder, inferModel, modelFromProto, modelToProto, valueInfo, type Model, type Node } from '../src/graph/index.js';
import { appendLoss, buildGradient, findPath, initializersToInputs, parameterFeeds } from '../src/train/index.js';
import { createBackends, type TensorLike } from '../src/runtime/index.js';
import { torchCorpus, type TorchModel } from '../test/corpus/torch-corpus.js';
import { compareWithTorch, parameterInitializers } from '../test/train/torch-reference.js';
import { npmModel } from '../test/corpus/npm-corpus.js';
import { buildCase, finiteDifferences, float64Forward, sampleErrors } from '../test/train/npm-grad.js';

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const RUNS = Number(opt('--runs') ?? 7);
const EPS = args.includes('--eps');
const ONLY = opt('--only')?.split(',');
const backends = createBackends();
const cpu = backends.get('cpu');

interface Row { model: string; ops: string; params: string; error: string; eps: string; nodes: string; time: string }

const fmt = (n: number) => n.toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function timeOnCpu(bytes: Uint8Array, feeds: Record<string, TensorLike>): Promise<number> {
  const s = await cpu.createSession(bytes, {});
  try {
    await s.run(feeds);
    const t: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await s.run(feeds);
      t.push(performance.now() - t0);
    }
    return median(t);
  } finally {
    await s.release();
  }
}

async function runOn(ep: string, bytes: Uint8Array, feeds: Record<string, TensorLike>) {
  const s = await backends.get(ep as 'cpu').createSession(bytes, {});
  try { return await s.run(feeds); } finally { await s.release(); }
}

/** Op types on the differentiable path, in graph order (`own`: only these nodes, not an appended loss). */
function opsOnPath(model: Model, wrt: readonly string[], loss: string, own?: ReadonlySet<Node>): string {
  inferModel(model);
  const g = model.graph;
  const values = wrt.map((n) => g.initializers.find((v) => v.name === n)!);
  const lossValue = g.nodes.flatMap((n) => n.outputs).find((v) => v.name === loss)!;
  const path = findPath(g, values, lossValue, (v) => valueInfo(v));
  return [...new Set(path.active.reverse().filter((n) => !own || own.has(n)).map((n) => n.opType))].join(' ');
}

const timeCell = (grad: number, fwd: number) => `${(grad / fwd).toFixed(1)} (${grad.toFixed(grad < 10 ? 2 : 0)} / ${fwd.toFixed(fwd < 10 ? 2 : 0)} ms)`;

async function torchRow(m: TorchModel): Promise<Row & { err: number }> {
  const source = new Uint8Array(fs.readFileSync(m.lossPath));
  const wrt = parameterInitializers(m, 'loss.onnx');
  const fwdModel = modelFromProto(decodeModel(source));
  const ops = opsOnPath(fwdModel, wrt, 'loss');
  const fwdParams = initializersToInputs(fwdModel, fwdModel.graph.initializers.filter((v) => wrt.includes(v.name)));
  const model = modelFromProto(decodeModel(source));
  const report = buildGradient(model, { loss: 'loss', wrt });
  const bytes = encodeModel(modelToProto(model));
  const data = { input: m.npy(m.manifest.input.file), labels: m.npy(m.manifest.labels.file) };
  const feeds = { ...data, ...parameterFeeds(report) };
  const out = await runOn('cpu', bytes, feeds);
  const err = compareWithTorch(m, 'loss.onnx', report, out)[0]!.err;
  const epErr: string[] = [`cpu ${err.toExponential(1)}`];
  if (EPS) for (const ep of ['wasm', 'webgpu']) epErr.push(`${ep} ${compareWithTorch(m, 'loss.onnx', report, await runOn(ep, bytes, feeds))[0]!.err.toExponential(1)}`);
  const grad = await timeOnCpu(bytes, feeds);
  const fwd = await timeOnCpu(encodeModel(modelToProto(fwdModel)), { ...data, ...parameterFeeds({ parameters: fwdParams }) });
  // torch's parameters; where the exporter merged equal ones (squeezenet1_1) fewer initializers hold them
  const elements = m.manifest.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const params = `${m.manifest.params.length} (${fmt(elements)})${wrt.length !== m.manifest.params.length ? ` in ${wrt.length} initializers` : ''}`;
  return {
    model: `${m.name} (${m.manifest.input.shape.join('×')})`, ops, params, err,
    error: err.toExponential(1), eps: EPS ? epErr.join(', ') : 'cpu, wasm, webgpu', nodes: fmt(report.nodesAdded), time: timeCell(grad, fwd),
  };
}

const NPM_CASES: Record<string, { inputs: Record<string, { dims: number[]; range: [number, number] }>; samples: number }> = {
  'blazeface-front-128': { samples: 3, inputs: { 'input:0': { dims: [1, 128, 128, 3], range: [-1, 1] } } },
  'openwakeword-hello-deepa': { samples: 4, inputs: { 'onnx::Flatten_0': { dims: [1, 25, 96], range: [-1, 1] } } },
};
const NPM_REFUSED: Record<string, { on: string; wrt: 'params' | string[] }> = {
  'mlsd-tiny-320': { on: 'offsets', wrt: 'params' },
  'silero-vad': { on: 'output', wrt: ['input'] },
  'silero-vad-16k-op15': { on: 'output', wrt: 'params' },
};

async function npmRow(id: string): Promise<Row> {
  const m = npmModel(id);
  const source = new Uint8Array(fs.readFileSync(m.file));
  const refused = NPM_REFUSED[id];
  if (refused) {
    try {
      buildGradient(modelFromProto(decodeModel(source)), { lossFn: 'mse', on: refused.on, wrt: refused.wrt });
      return { model: id, ops: '', params: '', error: 'built (no longer refused: add it to the checked models)', eps: '', nodes: '', time: '' };
    } catch (e) {
      const msg = (e as Error).message.replace(/ \(on the path .*\)$/, '');
      return { model: `${id} (${m.package}@${m.version})`, ops: '—', params: '—', error: `refused: ${msg}`, eps: '—', nodes: '—', time: '—' };
    }
  }
  const c = NPM_CASES[id]!;
  const b = await buildCase(source, c, cpu);
  const fwdModel = modelFromProto(decodeModel(source));
  const own = new Set(fwdModel.graph.nodes);
  const losses = b.outputs.map((o) => appendLoss(fwdModel, 'mse', o));
  const bl = new Builder(fwdModel, fwdModel.graph);
  const ops = opsOnPath(fwdModel, b.params, losses.reduce((a, l) => bl.op('Add', [a, l], { name: 'loss_sum' })).name, own);
  const grads = await runOn('cpu', b.bytes, b.feeds);
  const f64 = await float64Forward(cpu, b);
  const err = sampleErrors(await finiteDifferences(cpu, b, grads, { samples: c.samples, precision: 'float64', relStep: 1e-5, forward: f64.bytes }))[0]!.err;
  const epErr: string[] = [`cpu ${err.toExponential(1)}`];
  if (EPS) {
    for (const ep of ['wasm', 'webgpu']) {
      const out = await runOn(ep, b.bytes, b.feeds);
      let scale = 0;
      let worst = 0;
      for (const g of b.report.gradients) for (const v of grads[g.gradient]!.data as Float32Array) scale = Math.max(scale, Math.abs(v));
      for (const g of b.report.gradients) {
        const a = grads[g.gradient]!.data as Float32Array;
        const o = out[g.gradient]!.data as Float32Array;
        let ref = 0;
        let d = 0;
        for (let i = 0; i < a.length; i++) { ref = Math.max(ref, Math.abs(a[i]!)); d = Math.max(d, Number.isFinite(o[i]!) ? Math.abs(o[i]! - a[i]!) : Infinity); }
        worst = Math.max(worst, d / Math.max(ref, 1e-3 * scale));
      }
      epErr.push(`${ep} vs cpu ${worst.toExponential(1)}`);
    }
  }
  const elements = b.params.reduce((n, p) => n + (b.base[p]!.data as Float32Array).length, 0);
  const grad = await timeOnCpu(b.bytes, b.feeds);
  const fwd = await timeOnCpu(b.forwardBytes, b.base);
  return {
    model: `${id} (${m.package}@${m.version}, ${Object.values(c.inputs).map((i) => i.dims.join('×')).join(', ')})`, ops,
    params: `${b.params.length} (${fmt(elements)})`, error: `${err.toExponential(1)} (float64 differences, ${c.samples} per tensor)`,
    eps: EPS ? epErr.join(', ') : 'cpu, wasm, webgpu', nodes: fmt(b.report.nodesAdded), time: timeCell(grad, fwd),
  };
}

const rows: Row[] = [];
const torch = torchCorpus().filter((m) => !ONLY || ONLY.includes(m.name));
const heads: (Row & { err: number })[] = [];
for (const m of torch) {
  const r = await torchRow(m);
  if (m.name.startsWith('loss_')) heads.push(r);
  else rows.push(r);
  process.stderr.write(`${m.name} done\n`);
}
if (heads.length) {
  rows.push({ model: `${heads.length} loss heads (${heads.map((h) => h.model.replace(/^loss_| \(.*$/g, '')).join(', ')})`, ops: [...new Set(heads.flatMap((h) => h.ops.split(' ')))].join(' '), params: '2 each', error: `≤ ${Math.max(...heads.map((h) => h.err)).toExponential(1)}`, eps: heads[0]!.eps, nodes: '—', time: '—' });
}
for (const id of [...Object.keys(NPM_CASES), ...Object.keys(NPM_REFUSED)].filter((x) => !ONLY || ONLY.includes(x))) {
  rows.push(await npmRow(id));
  process.stderr.write(`${id} done\n`);
}
if (args.includes('--json')) {
  console.log(JSON.stringify({ load: os.loadavg(), runs: RUNS, rows }, null, 1));
} else {
  console.log(`<!-- node dist/scripts/grad-table.js --runs ${RUNS}${EPS ? ' --eps' : ''}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores -->`);
  console.log('| model | ops on the path | parameters (elements) | max rel. error | EPs | nodes added | gradient / forward time, ORT cpu |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${[r.model, r.ops, r.params, r.error, r.eps, r.nodes, r.time].join(' | ')} |`);
}
process.exit(0);
