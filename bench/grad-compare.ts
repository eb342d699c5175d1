/**
 * npm run bench:grad-compare — the gradient models of this build against
 * those of another build (BENCH_BEFORE=<checkout>/dist: its src/train is
 * imported from there), on ORT cpu, in one run: for the torch convnets
 * (resnet18, mobilenet_v2, squeezenet1_1 of models/corpus/torch, at the
 * corpus's batch) and bench:grad's CNN (models/cnn.onnx, Relu replaced by
 * ThresholdedRelu(0.1), batch 128).
 *
 * Each line: the forward pass with fed weights (the baseline a gradient is
 * measured against: its weights are graph inputs too), then each gradient
 * as a ratio to it: the best round's ratio and the spread of the per-round
 * ratios (min–max); then ORT's kernel times by op for each gradient. Both
 * builds' gradients are checked to give the same values (max |diff| printed).
 * Timing as in bench:grad (session-timing.ts). BENCH_MODELS=resnet18,cnn
 * picks models.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeModel } from '../src/onnx/decode.js';
import { encodeModel } from '../src/onnx/encode.js';
import { modelFromProto, modelToProto, type Model } from '../src/graph/index.js';
import { replaceActivations } from '../src/rewrite/index.js';
import * as train from '../src/train/index.js';
import { buildFeeds, createBackends, type TensorLike } from '../src/runtime/index.js';
import { torchCorpus } from '../test/corpus/torch-corpus.js';
import { timeCaseRounds, profileCases, type Case } from './session-timing.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
type Train = typeof train;
type GraphLib = { modelFromProto: typeof modelFromProto; modelToProto: typeof modelToProto };

/** A build: its gradient builder and the IR it works on (a Model of one build is not one of another's). */
interface Build { label: string; train: Train; graph: GraphLib; decode: typeof decodeModel; encode: typeof encodeModel; replace: typeof replaceActivations }

async function otherBuild(dist: string): Promise<Build> {
  const imp = async <T>(p: string) => (await import(pathToFileURL(path.join(path.resolve(dist), 'src', p)).href)) as T;
  return {
    label: `before (${dist})`,
    train: await imp<Train>('train/index.js'),
    graph: await imp<GraphLib>('graph/index.js'),
    decode: (await imp<{ decodeModel: typeof decodeModel }>('onnx/decode.js')).decodeModel,
    encode: (await imp<{ encodeModel: typeof encodeModel }>('onnx/encode.js')).encodeModel,
    replace: (await imp<{ replaceActivations: typeof replaceActivations }>('rewrite/index.js')).replaceActivations,
  };
}

const ours: Build = { label: 'this build', train, graph: { modelFromProto, modelToProto }, decode: decodeModel, encode: encodeModel, replace: replaceActivations };
const builds = [...(process.env.BENCH_BEFORE ? [await otherBuild(process.env.BENCH_BEFORE)] : []), ours];

interface Subject { name: string; bytes: Uint8Array; dims: Record<string, number>; on?: string; relu?: boolean }

function subjects(): Subject[] {
  const out: Subject[] = [];
  for (const t of torchCorpus()) {
    if (['resnet18', 'mobilenet_v2', 'squeezenet1_1'].includes(t.name)) out.push({ name: `torch ${t.name} [${t.manifest.input.shape}]`, bytes: new Uint8Array(fs.readFileSync(t.modelPath)), dims: {} });
  }
  out.push({ name: 'cnn.onnx batch 128', bytes: new Uint8Array(fs.readFileSync(path.join(root, 'models', 'cnn.onnx'))), dims: { N: 128 }, on: 'logits', relu: true });
  const pick = process.env.BENCH_MODELS?.split(',');
  return pick ? out.filter((s) => pick.some((p) => s.name.includes(p))) : out;
}

/** The gradient model of `s` built by `build`, encoded, with its feeds (the same seeded values for every build). */
function gradientCase(build: Build, s: Subject): Case {
  const m = build.graph.modelFromProto(build.decode(s.bytes)) as unknown as Model;
  if (s.relu) build.replace(m as never, { alpha: 0.1 });
  const report = build.train.buildGradient(m as never, { lossFn: 'cross-entropy', on: s.on ?? m.graph.outputs[0]!.name, wrt: 'params' });
  const bytes = build.encode(build.graph.modelToProto(m as never) as never);
  const mine = modelFromProto(decodeModel(bytes)); // feeds from one build's code: identical inputs
  return { label: build.label, bytes, feeds: { ...buildFeeds(mine, { dims: s.dims, seed: 1 }), ...(build.train.parameterFeeds(report as never) as Record<string, TensorLike>) } };
}

function maxDiff(a: Record<string, TensorLike>, b: Record<string, TensorLike>): number {
  let d = 0;
  for (const k of Object.keys(a)) {
    const x = a[k]!.data as ArrayLike<number>;
    const y = b[k]?.data as ArrayLike<number> | undefined;
    if (!y || y.length !== x.length) return Infinity;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  }
  return d;
}

const cpu = createBackends().get('cpu');
console.log(`ORT cpu, ${os.availableParallelism()} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the start`);
for (const s of subjects()) {
  const fed = modelFromProto(decodeModel(s.bytes));
  if (s.relu) replaceActivations(fed, { alpha: 0.1 });
  const fedFeeds = train.parameterFeeds({ parameters: train.initializersToInputs(fed, [...fed.graph.initializers]) });
  const cases: Case[] = [{ label: 'forward, fed', bytes: encodeModel(modelToProto(fed)), feeds: { ...buildFeeds(fed, { dims: s.dims, seed: 1 }), ...fedFeeds } }];
  for (const b of builds) cases.push(gradientCase(b, s));
  const outs = await Promise.all(cases.slice(1).map(async (c) => {
    const sess = await cpu.createSession(c.bytes);
    const o = await sess.run(c.feeds);
    await sess.release();
    return o;
  }));
  const rounds = await timeCaseRounds(cases);
  const best = rounds.map((r) => Math.min(...r));
  const line = cases.slice(1).map((c, i) => {
    const ratios = rounds[i + 1]!.map((t, r) => t / rounds[0]![r]!);
    return `${c.label} ${best[i + 1]!.toFixed(2)} ms = ${(best[i + 1]! / best[0]!).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
  });
  const agree = outs.length > 1 ? `; max |diff| between the builds' gradients ${maxDiff(outs[0]!, outs[outs.length - 1]!).toExponential(1)}` : '';
  console.log(`${s.name}: forward, fed ${best[0]!.toFixed(2)} ms; ${line.join('; ')}${agree}`);
  console.log((await profileCases(cases.slice(1), () => 8)).join('\n'));
}
