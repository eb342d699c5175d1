/**
 * Training in the page, in real Chromium: the sample MLP, 50 SGD steps on the
 * sample digits on wasm and on webgpu (state kept in GPU buffers between
 * steps), the loss falling, and every step's loss equal to onnxruntime-node's
 * trainer on the same artifacts and batches to 1e-4; the downloaded
 * checkpoint equals Node's final state, and the downloaded model carries it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeModel } from '../../src/onnx/decode.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { readData } from '../../src/node/datasets.js';
import { createBackends } from '../../src/runtime/backends/index.js';
import { decodeSafetensors } from '../../src/train/checkpoint/safetensors.js';
import { classifierArtifacts, createTrainer, datasetFor, trainSteps } from '../../src/web/train.js';
import { openApp, OUTPUT_DIR, type App } from './browser.js';

let app: App;
before(async () => {
  app = await openApp();
});
after(async () => {
  await app?.close();
});

const STEPS = 50;

/** The same artifacts, data (read by Node's own CSV reader) and batches, on onnxruntime-node's CPU EP. */
async function nodeTraining(): Promise<{ losses: number[]; state: Map<string, Float32Array> }> {
  const proto = decodeModel(new Uint8Array(fs.readFileSync('models/mlp.onnx')));
  const a = classifierArtifacts(proto, { on: 'logits', optimizer: { kind: 'momentum', lr: 0.01, momentum: 0.9 } });
  const raw = readData('models/digits.csv.gz');
  const ds = datasetFor(a, { x: { data: Float32Array.from(raw.x.data as ArrayLike<number>), dims: [...raw.x.dims] }, y: { data: Float64Array.from(raw.y.data as ArrayLike<number>), dims: [...raw.y.dims] } }, 'digits.csv.gz');
  const trainer = await createTrainer(a, createBackends().get('cpu'), { seed: 0 });
  try {
    const steps = await trainSteps(trainer, ds, { steps: STEPS, batchSize: 32, seed: 0 });
    const state = new Map<string, Float32Array>();
    for (const k of trainer.keys) state.set(k, Float32Array.from((await trainer.tensor(k)).data));
    return { losses: steps.map((s) => s.loss), state };
  } finally {
    await trainer.release();
  }
}

test('train 50 steps in the page on wasm and webgpu: loss falls, equals onnxruntime-node to 1e-4, downloads carry the trained state', async () => {
  const { page } = app;
  const node = await nodeTraining();
  for (const ep of ['wasm', 'webgpu']) {
    await page.selectOption('#train-model', 'sample');
    await page.selectOption('#train-ep', ep);
    await page.fill('#train-steps', String(STEPS));
    await page.click('#train-go');
    await page.waitForFunction(() => window.treluApp.train.last?.done === true || !!document.querySelector('#train-result .error'), undefined, { timeout: 120_000 });
    assert.equal(await page.$('#train-result .error'), null, await page.textContent('#train-result') ?? '');
    const run = await page.evaluate(() => window.treluApp.train.last!);
    assert.equal(run.ep, ep);
    const losses = run.steps.map((s) => s.loss);
    assert.equal(losses.length, STEPS);
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    assert.ok(last < first / 3, `${ep}: the loss falls (first 5 steps ${first}, last 5 ${last})`);
    losses.forEach((l, i) => assert.ok(Math.abs(l - node.losses[i]!) <= 1e-4, `${ep} step ${i + 1}: loss ${l} vs onnxruntime-node ${node.losses[i]}`));
    assert.ok(run.eval!.accuracy! > 0.7, `${ep}: accuracy on all digits ${run.eval!.accuracy}`);
    if (ep === 'webgpu') {
      // After the first step every state tensor is fed back from a GPU buffer and comes back in one.
      assert.equal(run.keepOnDevice, true);
      const stateTensors = node.state.size;
      assert.ok(run.residency.feedsOnGpu >= (STEPS - 1) * stateTensors, JSON.stringify(run.residency));
      assert.ok(run.residency.outputsOnGpu >= STEPS * stateTensors, JSON.stringify(run.residency));
    } else {
      assert.equal(run.residency.feedsOnGpu + run.residency.outputsOnGpu, 0);
    }

    const [ckptDownload] = await Promise.all([page.waitForEvent('download'), page.click('#download-checkpoint')]);
    const ckptPath = path.join(OUTPUT_DIR, `checkpoint-${ep}.safetensors`);
    await ckptDownload.saveAs(ckptPath);
    const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(ckptPath)), ckptPath);
    assert.deepEqual([...tensors.keys()].sort(), [...node.state.keys()].sort());
    for (const [k, want] of node.state) {
      const got = tensors.get(k)!.data as Float32Array;
      let max = 0;
      for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
      assert.ok(max <= 1e-4, `${ep} checkpoint '${k}': max |page - node| = ${max}`);
    }

    const [modelDownload] = await Promise.all([page.waitForEvent('download'), page.click('#download-trained')]);
    assert.equal(modelDownload.suggestedFilename(), 'mlp-trained.onnx');
    const modelPath = path.join(OUTPUT_DIR, `mlp-trained-${ep}.onnx`);
    await modelDownload.saveAs(modelPath);
    const trained = decodeModel(new Uint8Array(fs.readFileSync(modelPath)));
    const original = decodeModel(new Uint8Array(fs.readFileSync('models/mlp.onnx')));
    assert.equal(trained.graph!.initializer.length, original.graph!.initializer.length);
    let changed = 0;
    for (const t of trained.graph!.initializer) {
      const before = tensorToFloat32(original.graph!.initializer.find((o) => o.name === t.name)!);
      const after = tensorToFloat32(t);
      if (after.some((v, i) => v !== before[i])) changed++;
    }
    assert.ok(changed > 0, 'the trained model carries trained values');
  }
  await page.locator('#train').screenshot({ path: path.join(OUTPUT_DIR, 'train.png') });
  assert.deepEqual(app.errors, []);
});
