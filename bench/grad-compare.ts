/**
 * npm run bench:grad-compare — the gradient models of this build against
 * those of another build (BENCH_BEFORE=<checkout>/dist: its src/train is
 * imported from there), on ORT cpu, in one run: for the torch convnets
 * (resnet18, mobilenet_v2, squeezenet1_1 of models/corpus/torch, at the
 * corpus's batch) and bench:grad's MLP (batch 256, 2048) and CNN (batch
 * 128), Relu replaced by ThresholdedRelu(0.1) as there.
 *
 * Each line: the forward pass with fed weights (the baseline a gradient is
 * measured against: the tensors this build's gradient model takes as inputs
 * are its inputs too, the rest stay initializers), then each gradient as a
 * ratio to it: the best round's ratio, and the median and spread (min–max)
 * of the per-round ratios; then ORT's kernel times by op for each gradient. Both
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
import { timeCaseRounds, profileCases, fedCase, type Case } from './session-timing.js';

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
  for (const n of [256, 2048]) out.push({ name: `mlp.onnx batch ${n}`, bytes: new Uint8Array(fs.readFileSync(path.join(root, 'models', 'mlp.onnx'))), dims: { N: n }, on: 'logits', relu: true });
  out.push({ name: 'cnn.onnx batch 128', bytes: new Uint8Array(fs.readFileSync(path.join(root, 'models', 'cnn.onnx'))), dims: { N: 128 }, on: 'logits', relu: true });
  const pick = process.env.BENCH_MODELS?.split(',');
  return pick ? out.filter((s) => pick.some((p) => s.name.includes(p))) : out;
}

/** The gradient model of `s` built by `build`, encoded, with its feeds (the same seeded values for every build). */
function gradientCase(build: Build, s: Subject): Case & { parameters: string[] } {
  const m = build.graph.modelFromProto(build.decode(s.bytes)) as unknown as Model;
  if (s.relu) build.replace(m as never, { alpha: 0.1 });
  const report = build.train.buildGradient(m as never, { lossFn: 'cross-entropy', on: s.on ?? m.graph.outputs[0]!.name, wrt: 'params' });
  const bytes = build.encode(build.graph.modelToProto(m as never) as never);
  const mine = modelFromProto(decodeModel(bytes)); // feeds from one build's code: identical inputs
  return { label: build.label, bytes, parameters: report.initializersAsInputs, feeds: { ...buildFeeds(mine, { dims: s.dims, seed: 1 }), ...(build.train.parameterFeeds(report as never) as Record<string, TensorLike>) } };
}

/** The largest |a - b| over the outputs both have, and the outputs only one has (a build may differentiate fewer tensors: `params` without BN's running statistics). */
function compareOutputs(a: Record<string, TensorLike>, b: Record<string, TensorLike>): { diff: number; scale: number; onlyOne: number } {
  let diff = 0;
  let scale = 0;
  const common = Object.keys(a).filter((k) => k in b);
  for (const k of common) {
    const x = a[k]!.data as ArrayLike<number>;
    const y = b[k]!.data as ArrayLike<number>;
    if (y.length !== x.length) return { diff: Infinity, scale, onlyOne: 0 };
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(x[i]!));
    }
  }
  return { diff, scale, onlyOne: Object.keys(a).length + Object.keys(b).length - 2 * common.length };
}

const cpu = createBackends().get('cpu');
console.log(`ORT cpu, ${os.availableParallelism()} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the start`);
for (const s of subjects()) {
  const grads = builds.map((b) => gradientCase(b, s));
  // The baseline feeds the tensors this build's gradient model takes as inputs (its parameters), keeps the rest as initializers.
  const fed = modelFromProto(decodeModel(s.bytes));
  if (s.relu) replaceActivations(fed, { alpha: 0.1 });
  const cases: Case[] = [fedCase(fed, grads[grads.length - 1]!.parameters, s.dims), ...grads];
  const outs = await Promise.all(cases.slice(1).map(async (c) => {
    const sess = await cpu.createSession(c.bytes);
    const o = await sess.run(c.feeds);
    await sess.release();
    return o;
  }));
  const rounds = await timeCaseRounds(cases);
  const best = rounds.map((r) => Math.min(...r));
  const line = cases.slice(1).map((c, i) => {
    const ratios = rounds[i + 1]!.map((t, r) => t / rounds[0]![r]!).sort((x, y) => x - y);
    return `${c.label} ${best[i + 1]!.toFixed(2)} ms = ${(best[i + 1]! / best[0]!).toFixed(2)}x (per-round ratios: median ${ratios[ratios.length >> 1]!.toFixed(2)}, ${ratios[0]!.toFixed(2)}–${ratios[ratios.length - 1]!.toFixed(2)})`;
  });
  const cmp = outs.length > 1 ? compareOutputs(outs[0]!, outs[outs.length - 1]!) : undefined;
  const agree = cmp ? `; max |diff| between the builds' gradients ${cmp.diff.toExponential(1)} (largest |value| ${cmp.scale.toExponential(1)})${cmp.onlyOne ? ` (${cmp.onlyOne} outputs in one build only)` : ''}` : '';
  console.log(`${s.name}: forward, fed ${best[0]!.toFixed(2)} ms; ${line.join('; ')}${agree}`);
  console.log((await profileCases(cases.slice(1), () => 8)).join('\n'));
}
