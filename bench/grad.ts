/**
 * npm run bench:grad — the gradient model against the forward model on the
 * same batch, on ORT cpu, for the sample MLP and CNN (Relu replaced by
 * ThresholdedRelu), plus the number of nodes the backward pass adds. A
 * backward pass is about twice a forward's work, so gradient/forward ≈ 3 is
 * the practical floor. Goal (issue #6): at most 3.5x.
 *
 * Two baselines, measured in the same run:
 *   forward          the model as shipped (weights are initializers, which ORT
 *                    prepacks and lays out for its NCHWc convolutions);
 *   forward, fed     the same model with its weights as inputs, as in the
 *                    gradient model (needed wherever weights change per run).
 * Also, for models with MaxPool, the gradient with MaxPool's gradient through
 * its Indices output (trelu grad --maxpool-indices: faster on the CPU, but
 * ORT's WebGPU EP cannot run it).
 *
 * Timing: rounds of BLOCK runs per session, the sessions taking turns.
 * - Each block runs for at least BLOCK_MS and its first quarter is not
 *   counted: each session has its own intra-op thread pool whose threads spin
 *   for a while after a run, and alternating run by run let one session's
 *   spinning threads steal the cores from the next (both ran about 2x slower).
 * - A block's figure is its lower quartile: runs of either model are hit by
 *   multi-millisecond stalls on this shared 2-core machine (1.4 ms runs
 *   turning into 5-10 ms ones).
 * - A session's figure is its best round, and ratios are of those figures.
 * Then ORT's profile of each model: its summed kernel times and costliest nodes.
 *
 * Every model of the torch corpus and of the npm corpus (from its cache) follows, each with the
 * cost of moving its gradients out of ORT (a model with the same inputs whose outputs are the
 * parameters themselves): onnxruntime-node copies every output into a fresh ArrayBuffer, so a
 * model with many parameters pays for that whatever its graph does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../src/onnx/decode.js';
import { encodeModel } from '../src/onnx/encode.js';
import { modelFromProto, modelToProto, type Model } from '../src/graph/index.js';
import { replaceActivations } from '../src/rewrite/index.js';
import { buildGradient, parameterFeeds, GRADIENT_RULES, maxPoolIndicesGrad, withRules } from '../src/train/index.js';
import { buildFeeds, createBackends, type TensorLike } from '../src/runtime/index.js';
import { torchCorpus } from '../test/corpus/torch-corpus.js';
import { timeCases, profileCases, fedCase, type Case } from './session-timing.js';
import { Builder } from '../src/graph/builder.js';
import { rawByteLength } from '../src/onnx/dtypes.js';
import { npmCorpus, type NpmCorpusModel } from '../test/corpus/npm-corpus.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cpu = createBackends().get('cpu');

for (const [file, batch] of [['mlp.onnx', 256], ['mlp.onnx', 2048], ['cnn.onnx', 32], ['cnn.onnx', 128]] as const) {
  const load = () => {
    const m = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(path.join(root, 'models', file)))));
    replaceActivations(m, { alpha: 0.1 });
    return m;
  };
  const cases: Case[] = [];
  const add = (label: string, model: Model, feeds: Record<string, TensorLike>) => cases.push({ label, bytes: encodeModel(modelToProto(model)), feeds: { ...buildFeeds(model, { dims: { N: batch }, seed: 1 }), ...feeds } });
  add('forward', load(), {});
  const fed = load();
  cases.push(fedCase(fed, fed.graph.initializers.map((v) => v.name), { N: batch })); // the sample models' initializers are all weights
  const gradient = (label: string, rules = GRADIENT_RULES) => {
    const g = load();
    const nodesBefore = g.graph.nodeCount;
    const report = buildGradient(g, { lossFn: 'cross-entropy', on: 'logits', wrt: 'params', rules });
    add(label, g, parameterFeeds(report));
    return { nodesBefore, nodesAdded: report.nodesAdded, hasMaxPool: g.graph.nodes.some((n) => n.opType === 'MaxPool') };
  };
  const { nodesBefore, nodesAdded, hasMaxPool } = gradient('gradient');
  // The CPU-only variant: MaxPool's gradient through its Indices output (trelu grad --maxpool-indices).
  if (hasMaxPool) gradient('gradient, Indices', withRules(GRADIENT_RULES, maxPoolIndicesGrad));

  const best = await timeCases(cases);
  const ratio = (num: number, den: number) => best[num]! / best[den]!;
  const [f, ff, b] = best as [number, number, number, ...number[]];
  // Where the time goes: ORT's per-node kernel times (median of PROFILE_RUNS), from separate
  // profiling sessions, so that profiling does not slow the timed runs above.
  const profile = await profileCases(cases, (i) => (i >= 2 ? 8 : 3));
  console.log(`${file} (batch ${batch}): forward ${f.toFixed(3)} ms, forward with fed weights ${ff.toFixed(3)} ms, loss + gradients ${b.toFixed(3)} ms`
    + ` = ${ratio(2, 0).toFixed(2)}x forward (goal <= 3.5), ${ratio(2, 1).toFixed(2)}x forward with fed weights; ${nodesAdded} nodes added to ${nodesBefore}`
    + (hasMaxPool ? `\n    with MaxPool's gradient through Indices (CPU only): ${best[3]!.toFixed(3)} ms = ${ratio(3, 0).toFixed(2)}x forward, ${ratio(3, 1).toFixed(2)}x forward with fed weights` : ''));
  if (profile.length) console.log(profile.join('\n'));
}

// ORT's graph optimization levels on the largest gradient model: time, and whether the outputs stay bit-identical.
{
  const m = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(path.join(root, 'models', 'cnn.onnx')))));
  replaceActivations(m, { alpha: 0.1 });
  const report = buildGradient(m, { lossFn: 'cross-entropy', on: 'logits', wrt: 'params' });
  const bytes = encodeModel(modelToProto(m));
  const feeds = { ...buildFeeds(m, { dims: { N: 128 }, seed: 1 }), ...parameterFeeds(report) };
  const levels = ['disabled', 'basic', 'extended', 'all'] as const;
  const cases: Case[] = levels.map((level) => ({ label: level, bytes, feeds, level }));
  const best = await timeCases(cases);
  const outputs = await Promise.all(levels.map(async (level) => {
    const s = await cpu.createSession(bytes, { graphOptimizationLevel: level });
    const out = await s.run(feeds);
    await s.release();
    return out;
  }));
  const diff = (a: Record<string, TensorLike>, b: Record<string, TensorLike>) => Math.max(...Object.keys(a).map((k) => {
    const x = a[k]!.data as ArrayLike<number>;
    const y = b[k]!.data as ArrayLike<number>;
    let d = 0;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
    return d;
  }));
  console.log(`cnn.onnx (batch 128) gradient by ORT graph optimization level: ${levels.map((l, i) => `${l} ${best[i]!.toFixed(3)} ms (${(best[i]! / best[0]!).toFixed(2)}x disabled, max |diff| vs disabled ${diff(outputs[i]!, outputs[0]!).toExponential(1)})`).join('; ')}`);
}

// The torch corpus (models/corpus/torch, see test/corpus/torch-corpus.ts): gradient / forward for every model.
if (process.env.BENCH_CORPUS !== '0') {
  let corpus: ReturnType<typeof torchCorpus> = [];
  try {
    corpus = torchCorpus();
  } catch (e) {
    console.log(`torch corpus skipped: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const t of corpus) {
    if (t.manifest.training) continue; // BatchNormalization in training mode: the train step's benchmark (bench:train)
    if (t.name.startsWith('loss_')) continue; // the loss-function cases: one node each, checked against torch in the tests
    await corpusModel(`torch ${t.name} (input [${t.manifest.input.shape}])`, t.modelPath, 'cross-entropy');
  }
}

// The npm corpus (models/corpus/npm, real tf2onnx/PyTorch models shipped in npm packages): an MSE
// loss on the first output against a random target, from the cache only (scripts/corpus-npm.mjs
// fills it; the tests fetch it).
if (process.env.BENCH_CORPUS !== '0') {
  let corpus: NpmCorpusModel[] = [];
  try {
    process.env.TRELU_NPM_CORPUS_OFFLINE ??= '1'; // the cache only: a benchmark does not download
    corpus = npmCorpus();
  } catch (e) {
    console.log(`npm corpus skipped: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const m of corpus) await corpusModel(`npm ${m.id}`, m.file, 'mse');
}

/** One corpus model: forward, forward with fed weights, gradient (`wrt: 'params'`) and the transfer floor, then the gradient's profile. */
async function corpusModel(label: string, file: string, lossFn: 'cross-entropy' | 'mse'): Promise<void> {
  const load = () => modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(file))));
  const forward = load();
  const g = load();
  const nodesBefore = g.graph.nodeCount;
  let report: ReturnType<typeof buildGradient>;
  try {
    report = buildGradient(g, { lossFn, on: g.graph.outputs[0]!.name, wrt: 'params' });
  } catch (e) {
    console.log(`${label}: no gradient (${(e as Error).message.split('\n')[0]})`);
    return;
  }
  const gFeeds = { ...buildFeeds(g, { seed: 1 }), ...parameterFeeds(report) };
  const cases: Case[] = [
    { label: 'forward', bytes: encodeModel(modelToProto(forward)), feeds: buildFeeds(forward, { seed: 1 }) },
    fedCase(load(), Object.keys(report.parameters)),
    { label: 'gradient', bytes: encodeModel(modelToProto(g)), feeds: gFeeds },
    transferCase(g, report, gFeeds),
  ];
  const [f, ff, b, tr] = (await timeCases(cases)) as [number, number, number, number];
  console.log(`${label}: forward ${f.toFixed(3)} ms, fed ${ff.toFixed(3)} ms, gradient ${b.toFixed(3)} ms = ${(b / f).toFixed(2)}x forward, ${(b / ff).toFixed(2)}x fed; ${report.nodesAdded} nodes added to ${nodesBefore}`);
  console.log(transferLine(report, b, ff, tr));
  console.log((await profileCases(cases.slice(2, 3), () => 6)).join('\n'));
}

/**
 * The floor the gradient model's outputs set: a model with the same inputs and feeds whose outputs
 * are its parameters themselves (Identity), so that a run moves the same bytes into and out of ORT
 * as the gradient model's (onnxruntime-node copies every output into a fresh ArrayBuffer) and does
 * no arithmetic.
 */
function transferCase(gradModel: Model, report: ReturnType<typeof buildGradient>, feeds: Record<string, TensorLike>): Case {
  const m = modelFromProto(modelToProto(gradModel));
  const graph = m.graph;
  graph.outputs = [];
  graph.remove([...graph.nodes], { safe: false });
  const b = new Builder(m, graph);
  const byName = new Map(graph.inputs.map((v) => [v.name, v]));
  graph.outputs = report.gradients.map((gr) => b.op('Identity', [byName.get(gr.tensor) ?? graph.initializers.find((v) => v.name === gr.tensor)], { name: 'moved' }));
  graph.inputs = graph.inputs.filter((v) => report.gradients.some((gr) => gr.tensor === v.name));
  const kept = new Set(graph.inputs.map((v) => v.name));
  return { label: 'transfer', bytes: encodeModel(modelToProto(m)), feeds: Object.fromEntries(Object.entries(feeds).filter(([k]) => kept.has(k))) };
}

function transferLine(report: ReturnType<typeof buildGradient>, grad: number, fed: number, transfer: number): string {
  const bytes = Object.values(report.parameters).reduce((t, p) => t + (rawByteLength(p.dataType, p.dims.reduce((n, d) => n * Number(d), 1)) ?? 0), 0);
  return `    outputs: ${report.gradients.length} gradients, ${(bytes / 2 ** 20).toFixed(1)} MiB; moving them (an Identity model with the same feeds) ${transfer.toFixed(3)} ms`
    + ` = ${((100 * transfer) / grad).toFixed(0)}% of the gradient's time; gradient without it ${((grad - transfer) / fed).toFixed(2)}x fed`;
}
