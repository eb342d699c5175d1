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
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

async function timeSteps(step: () => Promise<unknown>): Promise<number> {
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
  let best = 0;
  for (let block = 0; block < 3; block++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 1000) {
      await step();
      n++;
    }
    best = Math.max(best, n / ((performance.now() - t0) / 1000));
  }
  return best;
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
function artifactsFor(model: string) {
  const t = torchModels.get(model);
  const m = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(t ? t.modelPath : path.join(ROOT, 'models', `${model}.onnx`)))));
  if (!t) replaceActivations(m, { alpha: 0.1 });
  return { a: buildTrainingArtifacts(modelToProto(m), { lossFn: 'cross-entropy', on: t ? m.graph.outputs[0]!.name : 'logits', optimizer: { kind: 'adamw', lr: 1e-3 } }), input: t?.manifest.input };
}

async function ours(model: string, batch: number, ep: string): Promise<number | string> {
  const { a, input } = artifactsFor(model);
  try {
    const t = await Trainer.create({ manifest: a.manifest, trainStep: encodeModel(a.trainStep), checkpoint: a.checkpoint }, { backend: createBackends().get(ep), session: ep === 'cpu' ? { intraOpNumThreads: THREADS } : {} });
    const b = batchFor(model, batch, input);
    const r = await timeSteps(() => t.step(b));
    await t.release();
    return r;
  } catch (e) {
    return `unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** ORT cpu's per-op-type kernel time for one train step (its profile), the costliest first. */
async function profile(model: string, batch: number): Promise<string[]> {
  const { a, input } = artifactsFor(model);
  const session = await createBackends().get('cpu').createSession(encodeModel(a.trainStep), { recordPlacement: true, intraOpNumThreads: THREADS });
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
const configs = [...CONFIGS, ...[...torchModels.values()].map((t) => ({ model: t.name, batch: t.manifest.input.shape[0]! }))];
for (const { model, batch } of configs) {
  const corpus = torchModels.get(model);
  const base = torch(model, batch, corpus?.manifest.input.shape);
  const rows: [string, number | string][] = [['torch cpu', base]];
  for (const ep of ['cpu', 'wasm', 'webgpu']) rows.push([`ours ${ep}`, await ours(model, batch, ep)]);
  if (!corpus) for (const be of ['wasm', 'cpu'] as const) rows.push([`tfjs ${be}`, await tfjs(model, batch, be)]);
  console.log(`\n${corpus ? `torch corpus ${model} [${corpus.manifest.input.shape}]` : model} batch ${batch}`);
  for (const [name, v] of rows) console.log(`  ${name.padEnd(12)} ${fmt(v, batch, base)}`);
  console.log(`  ORT cpu profile of one step: ${(await profile(model, batch)).join(', ')}`);
}
