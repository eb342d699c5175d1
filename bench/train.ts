/**
 * npm run bench:train — training steps/s and samples/s, in one run, for the
 * sample MLP (batch 256) and CNN (batch 32 and 128) with ThresholdedRelu,
 * cross-entropy and AdamW:
 *   ours      train_step.onnx in onnxruntime-node cpu / webgpu and onnxruntime-web wasm
 *             (through Trainer.step: the state is fed and read back every step)
 *   torch     PyTorch CPU (Debian torch 1.13, /usr/bin/python3), nn.Threshold, torch.optim.AdamW,
 *             the same thread count as ORT cpu (1 by default; onnxruntime-web wasm runs 1 in Node)
 *   tfjs      TF.js 4.22 layers (thresholdedReLU, Adam — TF.js has no AdamW; softmax +
 *             sparse categorical cross-entropy) on the wasm and cpu backends, model.trainOnBatch
 * and two real architectures from the torch corpus (resnet18, mobilenet_v2 as exported, eval-mode
 * BatchNorm) against the same torchvision module in torch (no TF.js peer written for those).
 * Ratios are to torch, measured in the same run. Each figure is the best of
 * 3 timed blocks of ≥ 1 s after a 3 s warm-up (shared machine: best-of filters stalls).
 *
 * BENCH_BEFORE=<checkout>/dist adds a 'before cpu' row: that build's artifacts and Trainer
 * (its src/train), timed in 1 s blocks interleaved with this build's ORT cpu row (5 rounds each,
 * best block printed, and the median and spread of the per-round ratios). BENCH_TRAIN_MODELS=
 * resnet18,cnn picks models (substrings of mlp, cnn, resnet18, mobilenet_v2), BENCH_TRAIN_EPS=cpu
 * picks our backends, BENCH_TFJS=0 skips TF.js.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeModel } from '../src/onnx/decode.js';
import { encodeModel } from '../src/onnx/encode.js';
import { modelFromProto, modelToProto } from '../src/graph/index.js';
import { replaceActivations } from '../src/rewrite/index.js';
import { buildTrainingArtifacts } from '../src/train/artifacts/build.js';
import { Trainer, type Batch } from '../src/train/trainer/trainer.js';
import { createBackends, type TensorLike } from '../src/runtime/index.js';
import { decodeSafetensors } from '../src/train/checkpoint/safetensors.js';
import { torchCorpus, type TorchModel } from '../test/corpus/torch-corpus.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIGS: readonly { model: string; batch: number }[] = [{ model: 'mlp', batch: 256 }, { model: 'cnn', batch: 32 }, { model: 'cnn', batch: 128 }];
/**
 * Real architectures from the torch corpus (models/corpus/torch, exported in eval mode: BatchNorm with
 * its running statistics), trained as exported (Relu / ReLU6, batch and input size as exported), against
 * the same torchvision module in eval mode. BENCH_CORPUS=0 skips them.
 */
const CORPUS = process.env.BENCH_CORPUS === '0' ? [] : ['resnet18', 'mobilenet_v2'];
/** One thread for every runtime by default (TRELU_BENCH_THREADS=n): on this shared 2-core machine torch's OpenMP pool with 2 threads ran 100x slower than with 1 (spinning against other load). */
const THREADS = Number(process.env.TRELU_BENCH_THREADS ?? 1);
const EPS = process.env.BENCH_TRAIN_EPS?.split(',') ?? ['cpu', 'wasm', 'webgpu'];
const PICK = process.env.BENCH_TRAIN_MODELS?.split(',');

/** What a build trains with (a Model of one build is not one of another's: each gets its own). */
interface TrainLib {
  decode: typeof decodeModel;
  encode: typeof encodeModel;
  graph: { modelFromProto: typeof modelFromProto; modelToProto: typeof modelToProto };
  replace: typeof replaceActivations;
  build: typeof buildTrainingArtifacts;
  Trainer: typeof Trainer;
}
const thisBuild: TrainLib = { decode: decodeModel, encode: encodeModel, graph: { modelFromProto, modelToProto }, replace: replaceActivations, build: buildTrainingArtifacts, Trainer };

async function otherBuild(dist: string): Promise<TrainLib> {
  const imp = async <T>(p: string) => (await import(pathToFileURL(path.join(path.resolve(dist), 'src', p)).href)) as T;
  return {
    decode: (await imp<{ decodeModel: typeof decodeModel }>('onnx/decode.js')).decodeModel,
    encode: (await imp<{ encodeModel: typeof encodeModel }>('onnx/encode.js')).encodeModel,
    graph: await imp<TrainLib['graph']>('graph/index.js'),
    replace: (await imp<{ replaceActivations: typeof replaceActivations }>('rewrite/index.js')).replaceActivations,
    build: (await imp<{ buildTrainingArtifacts: typeof buildTrainingArtifacts }>('train/artifacts/build.js')).buildTrainingArtifacts,
    Trainer: (await imp<{ Trainer: typeof Trainer }>('train/trainer/trainer.js')).Trainer,
  };
}
const before = process.env.BENCH_BEFORE ? await otherBuild(process.env.BENCH_BEFORE) : undefined;

/** Warms `step` up; returns false for a very slow path (one step took > 1 s: timed once, after the warm-up step). */
async function warmUp(step: () => Promise<unknown>): Promise<number | undefined> {
  const w0 = performance.now();
  await step();
  // Very slow paths (WebGPU on SwiftShader, a CPU emulation of a GPU; TF.js cpu on the CNN): one timed step after the warm-up.
  if (performance.now() - w0 > 1000) {
    const t0 = performance.now();
    await step();
    return 1 / ((performance.now() - t0) / 1000);
  }
  // Warm up for 300 steps (at least 3 s, at most 20 s): V8 runs WebAssembly first with its baseline
  // compiler and tiers hot functions up gradually; ORT-web's MLP step took 172 ms/step over the first
  // 5 steps, 54 over the next 50, 20 over the next 200, 15 after that (Trainer.step, loaded machine).
  for (let k = 0; (k < 300 || performance.now() - w0 < 3000) && performance.now() - w0 < 20000; k++) await step();
  return undefined;
}

/** Steps/s of one block of >= 1 s. */
async function block(step: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 1000) {
    await step();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function timeSteps(step: () => Promise<unknown>): Promise<number> {
  const slow = await warmUp(step);
  if (slow !== undefined) return slow;
  let best = 0;
  for (let b = 0; b < 3; b++) best = Math.max(best, await block(step));
  return best;
}

/** Two step functions timed in interleaved blocks (order alternating): the best of each, and the per-round ratios b/a. */
async function timePair(a: () => Promise<unknown>, b: () => Promise<unknown>, rounds = 5): Promise<{ a: number; b: number; ratios: number[] }> {
  await warmUp(a);
  await warmUp(b);
  const best = { a: 0, b: 0 };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [x, y] = r % 2 ? [await block(b), await block(a)].reverse() : [await block(a), await block(b)];
    best.a = Math.max(best.a, x!);
    best.b = Math.max(best.b, y!);
    ratios.push(y! / x!);
  }
  return { ...best, ratios };
}

function batchFor(model: string, n: number, input?: { name: string; shape: number[] }): Batch {
  const dims = input ? input.shape : model === 'mlp' ? [n, 64] : [n, 1, 28, 28];
  const count = dims.reduce((a, d) => a * d, 1);
  return {
    inputs: { [input ? input.name : model === 'mlp' ? 'input' : 'image']: { type: 'float32', data: Float32Array.from({ length: count }, (_, i) => Math.sin(i)), dims } },
    labels: { type: 'int64', data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10)), dims: [n] },
  };
}

/** The sample models with Relu → ThresholdedRelu(0.1); a torch corpus model as exported. */
function artifactsFor(model: string, lib: TrainLib = thisBuild) {
  const t = torchModels.get(model);
  const m = lib.graph.modelFromProto(lib.decode(new Uint8Array(fs.readFileSync(t ? t.modelPath : path.join(ROOT, 'models', `${model}.onnx`)))));
  if (!t) lib.replace(m, { alpha: 0.1 });
  const a = lib.build(lib.graph.modelToProto(m), { lossFn: 'cross-entropy', on: t ? m.graph.outputs[0]!.name : 'logits', optimizer: { kind: 'adamw', lr: 1e-3 } });
  return { a, bytes: lib.encode(a.trainStep), input: t?.manifest.input };
}

/** A Trainer of `lib`'s build on backend `ep`, and its step on a fixed batch. */
async function trainerFor(model: string, batch: number, ep: string, lib: TrainLib = thisBuild) {
  const { a, bytes, input } = artifactsFor(model, lib);
  const t = await lib.Trainer.create({ manifest: a.manifest, trainStep: bytes, checkpoint: a.checkpoint }, { backend: createBackends().get(ep), session: ep === 'cpu' ? { intraOpNumThreads: THREADS } : {} });
  const b = batchFor(model, batch, input);
  return { step: () => t.step(b), release: () => t.release(), nodes: a.trainStep.graph!.node.length };
}

const unavailable = (e: unknown) => `unavailable: ${(e as Error).message.split('\n')[0]}`;

async function ours(model: string, batch: number, ep: string): Promise<number | string> {
  try {
    const t = await trainerFor(model, batch, ep);
    const r = await timeSteps(t.step);
    await t.release();
    return r;
  } catch (e) {
    return unavailable(e);
  }
}

/** This build's ORT cpu row and BENCH_BEFORE's, interleaved; a line comparing them. */
async function oursAndBefore(model: string, batch: number, lib: TrainLib): Promise<{ ours: number | string; before: number | string; line: string }> {
  try {
    const [x, y] = [await trainerFor(model, batch, 'cpu', lib), await trainerFor(model, batch, 'cpu')];
    const r = await timePair(x.step, y.step);
    await x.release();
    await y.release();
    const q = [...r.ratios].sort((p, o) => p - o);
    return { ours: r.b, before: r.a, line: `this build / before (ORT cpu, steps/s, ${q.length} interleaved rounds): median ${q[q.length >> 1]!.toFixed(2)}x (${q[0]!.toFixed(2)}-${q[q.length - 1]!.toFixed(2)}); train_step.onnx nodes ${x.nodes} -> ${y.nodes}` };
  } catch (e) {
    return { ours: unavailable(e), before: unavailable(e), line: '' };
  }
}

/** ORT cpu's per-op-type kernel time for one train step (its profile), the costliest first. */
async function profile(model: string, batch: number): Promise<string[]> {
  const { a, bytes, input } = artifactsFor(model);
  const session = await createBackends().get('cpu').createSession(bytes, { recordPlacement: true, intraOpNumThreads: THREADS });
  const ck = decodeSafetensors(a.checkpoint).tensors;
  const b = batchFor(model, batch, input);
  const feeds: Record<string, TensorLike> = {};
  for (const e of a.manifest.trainStep.inputs) {
    if (e.key) feeds[e.name] = { type: 'float32', data: ck.get(e.key)!.data, dims: ck.get(e.key)!.dims };
    else if (e.kind === 'data') feeds[e.name] = Object.values(b.inputs)[0]!;
    else if (e.kind === 'labels') feeds[e.name] = b.labels!;
    else feeds[e.name] = { type: 'float32', data: Float32Array.of(1), dims: [] };
  }
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const byOp = new Map<string, number>();
  for (const n of (await session.placement()) ?? []) byOp.set(n.opType, (byOp.get(n.opType) ?? 0) + (n.kernelTimeUs ?? 0));
  await session.release();
  const total = [...byOp.values()].reduce((x, y) => x + y, 0);
  return [...byOp].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([op, us]) => `${op} ${(us / 1000).toFixed(2)} ms (${((100 * us) / total).toFixed(0)}%)`);
}

function torch(model: string, batch: number, shape?: number[]): number | string {
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench', 'train_torch.py'), model, String(batch), model === 'mlp' ? '300' : '60', String(THREADS), ...(shape ? [shape.join(',')] : [])], { encoding: 'utf8' });
  if (r.status !== 0) return `unavailable: ${r.stderr.trim().split('\n').pop()}`;
  const j = JSON.parse(r.stdout) as { seconds: number; steps: number };
  return j.steps / j.seconds;
}

/**
 * TF.js's own thresholdedReLU layer cannot be trained: tfjs 4.22 has no gradient for Greater
 * ("gradient function not found for Greater"). So the peer is written with tf ops and
 * variables: x * step(x - 0.1) (Step's gradient is zero, as ThresholdedRelu's is away from the
 * kink), the same layers, softmax cross-entropy, tf.train.adam (no AdamW in TF.js).
 */
async function tfjs(model: string, batch: number, backend: 'wasm' | 'cpu'): Promise<number | string> {
  try {
    const tf = await import('@tensorflow/tfjs');
    if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend(backend);
    await tf.ready();
    const v = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.1));
    const act = (x: import('@tensorflow/tfjs').Tensor) => tf.mul(x, tf.step(tf.sub(x, 0.1)));
    let forward: (x: import('@tensorflow/tfjs').Tensor) => import('@tensorflow/tfjs').Tensor;
    if (model === 'mlp') {
      const [w1, b1, w2, b2, w3, b3] = [v([64, 128]), v([128]), v([128, 64]), v([64]), v([64, 10]), v([10])];
      forward = (x) => tf.add(tf.matMul(act(tf.add(tf.matMul(act(tf.add(tf.matMul(x, w1!), b1!)), w2!), b2!)), w3!), b3!);
    } else {
      const [c1, cb1, c2, cb2, w, b] = [v([3, 3, 1, 8]), v([8]), v([3, 3, 8, 16]), v([16]), v([16, 10]), v([10])];
      forward = (x) => {
        const h = tf.maxPool(act(tf.add(tf.conv2d(x as import('@tensorflow/tfjs').Tensor4D, c1 as import('@tensorflow/tfjs').Tensor4D, 1, 'same'), cb1!)) as import('@tensorflow/tfjs').Tensor4D, 2, 2, 'valid');
        const g = tf.mean(act(tf.add(tf.conv2d(h, c2 as import('@tensorflow/tfjs').Tensor4D, 1, 'same'), cb2!)), [1, 2]);
        return tf.add(tf.matMul(g, w!), b!);
      };
    }
    const opt = tf.train.adam(1e-3);
    const x = tf.randomNormal(model === 'mlp' ? [batch, 64] : [batch, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10);
    const step = async () => {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as import('@tensorflow/tfjs').Scalar, true);
      await loss!.data();
      loss!.dispose();
    };
    return await timeSteps(step);
  } catch (e) {
    return `unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

const fmt = (v: number | string, batch: number, base: number | string) => typeof v === 'string'
  ? v
  : `${(v < 1 ? v.toFixed(3) : v.toFixed(1)).padStart(8)} steps/s ${(v * batch).toFixed(0).padStart(8)} samples/s${typeof base === 'number' ? `  ${(v / base).toFixed(2)}x torch` : ''}`;

console.log(`bench:train — ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, node ${process.version}; ${THREADS} thread(s) for torch and ORT cpu; load average ${os.loadavg()[0]!.toFixed(1)}`);
const torchModels = new Map<string, TorchModel>();
if (CORPUS.length) {
  try {
    for (const t of torchCorpus()) if (CORPUS.includes(t.name)) torchModels.set(t.name, t);
  } catch (e) {
    console.log(`torch corpus skipped: ${(e as Error).message.split('\n')[0]}`);
  }
}
const configs = [...CONFIGS, ...[...torchModels.values()].map((t) => ({ model: t.name, batch: t.manifest.input.shape[0]! }))].filter((c) => !PICK || PICK.some((p) => c.model.includes(p)));
for (const { model, batch } of configs) {
  const corpus = torchModels.get(model);
  const base = torch(model, batch, corpus?.manifest.input.shape);
  const rows: [string, number | string][] = [['torch cpu', base]];
  let compared = '';
  for (const ep of EPS) {
    if (ep === 'cpu' && before) {
      const r = await oursAndBefore(model, batch, before);
      rows.push(['before cpu', r.before], ['ours cpu', r.ours]);
      compared = r.line;
    } else {
      rows.push([`ours ${ep}`, await ours(model, batch, ep)]);
    }
  }
  if (!corpus && process.env.BENCH_TFJS !== '0') for (const be of ['wasm', 'cpu'] as const) rows.push([`tfjs ${be}`, await tfjs(model, batch, be)]);
  console.log(`\n${corpus ? `torch corpus ${model} [${corpus.manifest.input.shape}]` : model} batch ${batch}`);
  for (const [name, v] of rows) console.log(`  ${name.padEnd(12)} ${fmt(v, batch, base)}`);
  if (compared) console.log(`  ${compared}`);
  console.log(`  ORT cpu profile of one step: ${(await profile(model, batch)).join(', ')}`);
}
