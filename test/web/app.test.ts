/**
 * The web app in real Chromium (Debian's, SwiftShader for WebGPU): open a
 * model with the file picker, rewrite it (verified in the page on wasm and
 * webgpu), download it, run it on wasm and webgpu with outputs equal to
 * onnxruntime-node's on the same inputs, move the alpha slider and see every
 * kernel agree with the reference, open a sample by drag and drop, and no
 * console errors. Screenshots go to test-output/web/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto } from '../../src/graph/from-proto.js';
import { buildFeeds } from '../../src/runtime/feeds.js';
import { openApp, OUTPUT_DIR, type App } from './browser.js';
import { runCli, tmpDir } from '../helpers.js';

let app: App;

before(async () => {
  app = await openApp();
});

after(async () => {
  await app?.close();
});

/** onnxruntime-node's CPU EP on the same seeded inputs the page builds. */
async function nodeOutputs(bytes: Uint8Array, dims: Record<string, number>, seed: number): Promise<Record<string, Float32Array>> {
  const feeds = buildFeeds(modelFromProto(decodeModel(bytes)), { dims, seed });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)])));
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Float32Array.from(t.data as Float32Array)]));
}

function assertClose(actual: ArrayLike<number>, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Number.isFinite(a) && Math.abs(a - e) <= 1e-4 + 1e-3 * Math.abs(e), `${what}[${i}]: ${a} vs onnxruntime-node ${e}`);
  }
}

test('open (file picker), rewrite, download, run on wasm and webgpu = onnxruntime-node', async () => {
  const { page } = app;
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated');
  assert.match(await page.textContent('#eps-status') ?? '', /wasm and webgpu both start here/);

  await page.setInputFiles('#file', 'models/mlp.onnx');
  await page.waitForSelector('#summary h3');
  assert.match(await page.textContent('#summary') ?? '', /Gemm 3, Relu 2/);

  await page.selectOption('#rw-kind', 'replace');
  await page.fill('#rw-alpha', '0.5');
  await page.click('#rw-go');
  await page.waitForSelector('#rewrite-result .verify[data-ep=webgpu]', { timeout: 60_000 });
  const verified = await page.$$eval('#rewrite-result .verify', (els) => els.map((e) => [e.getAttribute('data-ep'), e.getAttribute('data-ok')]));
  assert.deepEqual(verified, [['wasm', 'true'], ['webgpu', 'true']]);
  const checks = await page.evaluate(() => window.treluApp.state.rewritten!.verify.map((r) => r.checks.map((c) => [c.name, c.elements, c.mismatches])));
  assert.deepEqual(checks, [[['relu1', 256, 0], ['relu2', 128, 0]], [['relu1', 256, 0], ['relu2', 128, 0]]]);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-rewritten')]);
  assert.equal(download.suggestedFilename(), 'mlp-replace.onnx');
  const saved = path.join(OUTPUT_DIR, 'mlp-replace.onnx');
  await download.saveAs(saved);
  const bytes = new Uint8Array(fs.readFileSync(saved));
  const rewritten = modelFromProto(decodeModel(bytes));
  assert.deepEqual(rewritten.graph.nodes.map((n) => n.opType), ['Gemm', 'ThresholdedRelu', 'Gemm', 'ThresholdedRelu', 'Gemm']);

  await page.fill('#dims', 'N=3');
  await page.fill('#seed', '7');
  await page.click('#run-go');
  await page.waitForSelector('#run-result table.stats', { timeout: 60_000 });
  const run = await page.evaluate(() => {
    const r = window.treluApp.state.lastRun!;
    return { model: r.model, failures: r.failures, results: r.results.map((x) => ({ ep: x.ep, runs: x.timing.runs, outputs: Object.fromEntries(Object.entries(x.outputs).map(([k, t]) => [k, { dims: [...t.dims], data: Array.from(t.data as Float32Array) }])) })) };
  });
  assert.equal(run.model, 'mlp-replace.onnx');
  assert.deepEqual(run.failures, []);
  assert.deepEqual(run.results.map((r) => r.ep), ['wasm', 'webgpu']);
  // The downloaded model, in onnxruntime-node, on the inputs Node builds for the same dims and seed.
  const expected = await nodeOutputs(bytes, { N: 3 }, 7);
  for (const r of run.results) {
    assert.equal(r.runs, 10);
    assert.deepEqual(r.outputs.logits!.dims, [3, 10]);
    assertClose(r.outputs.logits!.data, expected.logits!, `${r.ep} logits`);
  }
  await page.screenshot({ path: path.join(OUTPUT_DIR, 'app.png'), fullPage: true });
});

test('the shipped bundle dist/web/onnx-trelu.web.mjs works in the page: decode, replace, encode, run on webgpu', async () => {
  const { page } = app;
  const result = await page.evaluate(async () => {
    const lib = await import('/lib/onnx-trelu.web.mjs' as string);
    const bytes = new Uint8Array(await (await fetch('models/mlp.onnx')).arrayBuffer());
    const model = lib.modelFromProto(lib.decodeModel(bytes));
    const report = lib.replaceActivations(model, { from: ['Relu'], alpha: 0.5 });
    const out = lib.encodeModel(lib.modelToProto(model));
    const feeds = lib.buildFeeds(lib.modelFromProto(lib.decodeModel(out)), { dims: { N: 3 }, seed: 7 });
    const run = await lib.runModel(lib.createWebBackends().get('webgpu'), out, feeds, { repeat: 1 });
    return { changes: report.changes.length, logits: Array.from(run.outputs.logits.data as Float32Array), bytes: Array.from(out as Uint8Array) };
  });
  assert.equal(result.changes, 2);
  // The same rewrite done in the page's app code gave mlp-replace.onnx, downloaded by the first test: the bundle writes the same bytes.
  assert.deepEqual(new Uint8Array(result.bytes), new Uint8Array(fs.readFileSync(path.join(OUTPUT_DIR, 'mlp-replace.onnx'))));
  assertClose(result.logits, (await nodeOutputs(new Uint8Array(result.bytes), { N: 3 }, 7)).logits!, 'bundle webgpu logits');
});

test('the activation plot: every kernel equals the reference kernel as alpha moves', async () => {
  const { page } = app;
  for (const alpha of ['0.5', '-0.25']) {
    await page.$eval('#alpha', (e, v) => {
      (e as HTMLInputElement).value = v;
      e.dispatchEvent(new Event('input'));
    }, alpha);
    await page.waitForSelector(`#plot[data-alpha="${alpha}"]`, { timeout: 30_000 });
    const rows = await page.evaluate(() => window.treluApp.plot.last!.rows);
    assert.deepEqual(rows.map((r) => [r.kernel, r.f, r.df, r.error]), [['reference', 0, 0, undefined], ['simd', 0, 0, undefined], ['wasm', 0, 0, undefined], ['webgpu', 0, 0, undefined]]);
    // Two panels, each with a line per kernel and the two look-alikes (dashed).
    assert.equal(await page.$$eval('#plot svg svg', (s) => s.length), 2);
    assert.equal(await page.$$eval('#plot svg svg:first-of-type g[data-series]', (g) => g.length), 6);
    assert.equal(await page.$$eval('#plot svg svg:first-of-type g[data-series][stroke-dasharray]', (g) => g.length), 2);
  }
  await page.locator('#activation').screenshot({ path: path.join(OUTPUT_DIR, 'activation.png') });
});

test('drag and drop opens a model; nothing to change is said; replace, then decompose the result, verified on both EPs', async () => {
  const { page } = app;
  const data = [...fs.readFileSync('models/cnn.onnx')];
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'dropped-cnn.onnx'));
    document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, data);
  await page.waitForFunction(() => window.treluApp.state.opened?.name === 'dropped-cnn.onnx');
  assert.equal(await page.inputValue('#dims'), 'N=3', 'dims: the N typed earlier is kept for the new model');
  assert.equal(await page.textContent('#run-result'), '', 'a new model clears the last run');
  // cnn.onnx has Relu: decompose finds no ThresholdedRelu and says so, changing nothing.
  await page.selectOption('#rw-kind', 'decompose');
  await page.click('#rw-go');
  await page.waitForSelector('#rewrite-result .warning');
  assert.match(await page.textContent('#rewrite-result') ?? '', /nothing to change/);
  assert.equal(await page.evaluate(() => window.treluApp.state.rewritten), undefined);
  // replace with alpha 0 (Relu's own function), verified per node on both EPs.
  await page.selectOption('#rw-kind', 'replace');
  await page.fill('#rw-alpha', '0');
  await page.click('#rw-go');
  await page.waitForSelector('#rewrite-result .verify[data-ep=webgpu]', { timeout: 60_000 });
  const ok = await page.$$eval('#rewrite-result .verify', (els) => els.map((e) => e.getAttribute('data-ok')));
  assert.deepEqual(ok, ['true', 'true']);
  // Continue from the rewritten model and decompose it: Where/Less must equal ThresholdedRelu bit for bit.
  await page.click('#continue-rewritten');
  await page.waitForFunction(() => window.treluApp.state.opened?.name === 'dropped-cnn-replace.onnx' && !window.treluApp.state.rewritten);
  await page.selectOption('#rw-kind', 'decompose');
  await page.click('#rw-go');
  await page.waitForSelector('#rewrite-result .verify[data-ep=webgpu]', { timeout: 60_000 });
  const equal = await page.evaluate(() => window.treluApp.state.rewritten!.verify.map((r) => [r.ep, r.mode, r.ok, r.checks.length]));
  assert.deepEqual(equal, [['wasm', 'equal', true, 1], ['webgpu', 'equal', true, 1]]);
  const removed = await page.evaluate(() => window.treluApp.state.rewritten!.result.report.changes.flatMap((c) => c.removed));
  const relus = modelFromProto(decodeModel(new Uint8Array(data))).graph.nodes.filter((n) => n.opType === 'Relu').map((n) => n.name);
  assert.ok(relus.length > 0);
  assert.deepEqual(removed, relus, 'every ThresholdedRelu (one per former Relu) was decomposed');
  // A model whose tensors live in an external file cannot be opened alone: one line and a hint, the open model stays.
  const dir = tmpDir();
  assert.equal((await runCli('convert', 'models/mlp.onnx', path.join(dir, 'split.onnx'), '--external-data', 'split.data', '--size-threshold', '0')).code, 0);
  await page.setInputFiles('#file', path.join(dir, 'split.onnx'));
  await page.waitForSelector('#open-status .error');
  assert.match(await page.textContent('#open-status .error') ?? '', /external files \(split\.data\).*hint: .*--inline-data/s);
  assert.equal(await page.evaluate(() => window.treluApp.state.opened?.name), 'dropped-cnn-replace.onnx');
  assert.deepEqual(app.errors, [], 'no console errors or page errors');
});
