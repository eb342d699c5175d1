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
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpu = createBackends().get('cpu');

for (const [file, batch] of [['mlp.onnx', 256], ['cnn.onnx', 32]] as const) {
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
  const time = async (bytes: Uint8Array, feeds: typeof feedsF) => {
    const s = await cpu.createSession(bytes);
    await s.run(feeds);
    const t: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await s.run(feeds);
      t.push(performance.now() - t0);
    }
    await s.release();
    return median(t);
  };
  const f = await time(forward, feedsF);
  const b = await time(gradient, feedsG);
  console.log(`${file} (batch ${batch}): forward ${f.toFixed(3)} ms, loss + gradients ${b.toFixed(3)} ms = ${(b / f).toFixed(2)}x forward (goal <= 3.5); ${g.graph.nodeCount - nodesBefore} nodes added to ${nodesBefore}`);
}
