/**
 * npm run bench:grad — the gradient model against the forward model on the
 * same batch, on ORT cpu, for the sample MLP and CNN (Relu replaced by
 * ThresholdedRelu), plus the number of nodes the backward pass adds. A
 * backward pass is about twice a forward's work, so gradient/forward ≈ 3 is
 * the practical floor. Goal (issue #6): at most 3.5x.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../src/onnx/decode.js';
import { encodeModel } from '../src/onnx/encode.js';
import { modelFromProto, modelToProto } from '../src/graph/index.js';
import { replaceActivations } from '../src/rewrite/index.js';
import { buildGradient, parameterFeeds } from '../src/train/index.js';
import { buildFeeds, createBackends } from '../src/runtime/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpu = createBackends().get('cpu');

for (const [file, batch] of [['mlp.onnx', 256], ['cnn.onnx', 32], ['cnn.onnx', 128]] as const) {
  const load = () => {
    const m = modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(path.join(root, 'models', file)))));
    replaceActivations(m, { alpha: 0.1 });
    return m;
  };
  const fwd = load();
  const forward = encodeModel(modelToProto(fwd));
  const g = load();
  const nodesBefore = g.graph.nodeCount;
  const report = buildGradient(g, { lossFn: 'cross-entropy', on: 'logits', wrt: 'params' });
  const gradient = encodeModel(modelToProto(g));
  const feedsF = buildFeeds(fwd, { dims: { N: batch }, seed: 1 });
  const feedsG = { ...buildFeeds(g, { dims: { N: batch }, seed: 1 }), ...parameterFeeds(report) };
  // Both sessions open at once and timed alternately, so that machine noise hits both alike.
  const sf = await cpu.createSession(forward);
  const sg = await cpu.createSession(gradient);
  await sf.run(feedsF);
  await sg.run(feedsG);
  const tf: number[] = [];
  const tg: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    await sf.run(feedsF);
    tf.push(performance.now() - t0);
    t0 = performance.now();
    await sg.run(feedsG);
    tg.push(performance.now() - t0);
  }
  await sf.release();
  await sg.release();
  const f = median(tf);
  const b = median(tg);
  console.log(`${file} (batch ${batch}): forward ${f.toFixed(3)} ms, loss + gradients ${b.toFixed(3)} ms = ${(b / f).toFixed(2)}x forward (goal <= 3.5); ${g.graph.nodeCount - nodesBefore} nodes added to ${nodesBefore}`);
}
