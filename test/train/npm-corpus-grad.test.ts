// Gradients of the real models that ship in npm packages (test/corpus/npm-corpus.ts), checked
// against an oracle we did not write: central finite differences evaluated by ORT on the forward
// model (test/train/npm-grad.ts). Loss: Σ over the float outputs of mean((y − t)²), t fixed and
// seeded; the gradient is with respect to every float initializer with at least one element.
//
// Oracle precision: float64. ORT's CPU EP has no double Conv or Resize, so the forward copy computes
// each Conv as the sum of its kernel taps (conv-taps.ts) and each linear Resize as MatMuls with its
// interpolation matrices (src/train/float64-resize.ts); that copy is first checked against ORT's own float32
// Conv and Resize on the untouched model (max deviation < 1e-5 of the output scale). Step: 1e-5 of
// max(|θ_i|, rms θ). Measured on BlazeFace (173 samples): at 1e-4 Relu kinks crossed inside the
// step give errors up to 1e-1, at 1e-8 rounding gives 1e-1, at 1e-5 the worst is 2e-4 (median
// 4e-6, which is the float32 gradient model's own rounding); tolerance 1e-3 on the corpus's
// relative error (README "The torch corpus"). In float32 the differences do not resolve the early
// layers at any step (errors of 10-100% at every step from 1e-1 to 1e-4), so no float32 check.
//
// Then the same gradient model runs on wasm (onnxruntime-web) and webgpu (onnxruntime-node on
// SwiftShader), every gradient element compared with cpu's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeModel } from '../../src/onnx/decode.js';
import { attr, modelFromProto, modelToProto } from '../../src/graph/index.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { onnx, AttributeType, DataType } from '../../src/onnx/proto.js';
import { upgradeOpset } from '../../src/rewrite/opset-upgrade.js';
import { seededRandom } from '../../src/runtime/random-inputs.js';
import { buildGradient } from '../../src/train/index.js';
import { buildTrainingArtifacts } from '../../src/train/artifacts/build.js';
import { TreluError } from '../../src/errors.js';
import { createBackends, type TensorLike } from '../../src/runtime/index.js';
import { npmModel } from '../corpus/npm-corpus.js';
import { buildCase, finiteDifferences, float64Forward, sampleErrors, type GradCase } from './npm-grad.js';
import { relError } from './torch-reference.js';

const FD_TOLERANCE = 1e-3;
const REL_STEP = 1e-5;
/** wasm/webgpu against cpu: float32 kernels that sum in other orders. */
const EP_TOLERANCE = 1e-4;
const backends = createBackends();
const cpu = backends.get('cpu');

const run = async (ep: string, bytes: Uint8Array, feeds: Record<string, TensorLike>) => {
  const s = await backends.get(ep as 'cpu').createSession(bytes, {});
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
};

/**
 * The models whose gradient is built and checked; samples = elements per parameter tensor. A case may
 * set its own step and a looser bound for `above` tensors where kinks inside the step are measured
 * to limit the differences (each with its figures below); every other tensor stays under FD_TOLERANCE.
 */
const CHECKED: (GradCase & { id: string; samples: number; relStep?: number; loose?: { bound: number; above: number }; epTolerance?: number })[] = [
  // tf2onnx 1.7 (opset 12, upgraded to 16 by buildGradient): 58 parameters, NHWC input transposed, Pad as ConstantOfShape+Concat.
  { id: 'blazeface-front-128', samples: 3, inputs: { 'input:0': { dims: [1, 128, 128, 3], range: [-1, 1] } } },
  // PyTorch 2.8 (opset 13): Gemm, LayerNorm written out (ReduceMean/Sub/Pow/Sqrt/Div), Relu, Sigmoid.
  { id: 'openwakeword-hello-deepa', samples: 4, inputs: { 'onnx::Flatten_0': { dims: [1, 25, 96], range: [-1, 1] } } },
  // tf2onnx (opset 11, upgraded): MobileNet-style encoder (depthwise Convs, Relu6 as Clip), an FPN decoder with
  // three linear Resizes (half_pixel, by sizes). Its Pads read pads computed as Concat(Split(constant)), which
  // inference follows (Split propagates a known value), so every size is known at build time. One sample per tensor (84).
  // Relu6 (Clip) over maps up to 160x160: a step crosses kinks. Measured (84 tensors, 1 sample each): step
  // 1e-5: 17 above 1e-3 (worst 9.2e-3); 1e-6: 1 above (7.7e-3, block_2_project's BN bias); 1e-7: 1 above
  // (2.3e-3, a different tensor: rounding) — an error that moves with the step, not a wrong gradient.
  // EPs vs cpu: wasm 3.3e-4, webgpu 9.0e-4 (Conv2D_2's filter: sums over 160x160 maps of a 0-255 image, float32
  // in other orders), so 1e-3 here. The whole case takes ~5 min on 2 loaded cores, most of it webgpu (SwiftShader).
  { id: 'mlsd-tiny-320', samples: 1, relStep: 1e-6, loose: { bound: 1e-2, above: 1 }, epTolerance: 1e-3, inputs: { 'input_image_with_alpha:0': { dims: [1, 320, 320, 4], range: [0, 255] } } },
];

for (const c of CHECKED) {
  test(`${c.id}: every parameter's gradient matches float64 central differences run by ORT, and wasm/webgpu match cpu`, async (t) => {
    const source = new Uint8Array(fs.readFileSync(npmModel(c.id).file));
    const b = await buildCase(source, c, cpu);
    assert.equal(b.report.gradients.length, b.params.length);
    assert.deepEqual(b.report.gradients.filter((g) => !g.connected).map((g) => g.tensor), [], 'every parameter reaches the loss');
    const grads = await run('cpu', b.bytes, b.feeds);
    const forward = await run('cpu', b.forwardBytes, b.base);
    const loss = Number(grads[b.report.loss]!.data[0]);
    const want = b.lossOf(forward);
    assert.ok(Math.abs(loss - want) <= 1e-5 * Math.abs(want), `loss ${loss}, the forward model's ${want}`);
    for (const g of b.report.gradients) {
      const data = grads[g.gradient]!.data as Float32Array;
      assert.ok(data.every(Number.isFinite), `${g.tensor}: NaN/inf in the gradient`);
    }

    const f64 = await float64Forward(cpu, b);
    assert.ok(f64.deviation < 1e-5, `the float64 copy deviates from ORT's float32 forward by ${f64.deviation}`);
    const samples = await finiteDifferences(cpu, b, grads, { samples: c.samples, precision: 'float64', relStep: c.relStep ?? REL_STEP, forward: f64.bytes });
    const errs = sampleErrors(samples);
    assert.equal(errs.length, b.params.length, 'every parameter tensor sampled');
    for (const e of errs) assert.equal(e.n, Math.min(c.samples, (b.base[e.tensor]!.data as Float32Array).length), e.tensor);
    const bad = errs.filter((e) => !(e.err < FD_TOLERANCE));
    const allowed = c.loose ? bad.filter((e) => e.err < c.loose!.bound).slice(0, c.loose.above) : [];
    assert.deepEqual(bad.filter((e) => !allowed.includes(e)), [], `${bad.length} of ${errs.length} gradients off (worst ${errs[0]!.tensor}: ${errs[0]!.err})${c.loose ? `; ${c.loose.above} may be under ${c.loose.bound}` : ''}`);
    // The comparison can fail: one sample off by 1% of its tensor's scale, or NaN, is caught.
    const first = samples[0]!;
    const scaleOf = Math.max(...samples.filter((s) => s.tensor === first.tensor).map((s) => Math.abs(s.fd)));
    for (const tampered of [first.analytic + 0.01 * scaleOf, NaN]) {
      const e = sampleErrors(samples.map((s) => (s === first ? { ...s, analytic: tampered } : s))).find((x) => x.tensor === first.tensor)!;
      assert.ok(!(e.err < FD_TOLERANCE), `a gradient of ${tampered} for ${first.fd} passed`);
    }

    let scale = 0;
    for (const g of b.report.gradients) for (const v of grads[g.gradient]!.data as Float32Array) scale = Math.max(scale, Math.abs(v));
    const epWorst: Record<string, number> = {};
    for (const ep of ['wasm', 'webgpu']) {
      const out = await run(ep, b.bytes, b.feeds);
      const worst = b.report.gradients.map((g) => ({ tensor: g.tensor, err: relError(out[g.gradient], grads[g.gradient]!, 1e-3 * scale) })).sort((x, y) => y.err - x.err)[0]!;
      assert.ok(worst.err < (c.epTolerance ?? EP_TOLERANCE), `${ep}: ${worst.tensor} differs from cpu by ${worst.err}`);
      epWorst[ep] = worst.err;
    }
    t.diagnostic(`${b.params.length} parameters, ${samples.length} samples, ${f64.convs} Convs as taps, ${f64.resizes} linear Resizes as MatMuls (deviation ${f64.deviation.toExponential(1)}); worst vs differences ${errs[0]!.err.toExponential(2)} (${errs[0]!.tensor}); wasm ${epWorst.wasm!.toExponential(1)}, webgpu ${epWorst.webgpu!.toExponential(1)} vs cpu; ${b.report.nodesAdded} nodes added`);
  });
}

/** Asserts a refusal: E_UNSUPPORTED, one line, naming `node`. */
function assertRefusal(fn: () => unknown, node: RegExp, why: RegExp): string {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof TreluError, `expected a refusal, got ${err === undefined ? 'a gradient model' : String(err)}`);
  assert.equal(err.code, 'E_UNSUPPORTED');
  assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
  assert.match(err.message, node);
  assert.match(err.message, why);
  return err.message;
}

const load = (id: string) => modelFromProto(decodeModel(new Uint8Array(fs.readFileSync(npmModel(id).file))));

test('silero-vad-16k-op15 (PyTorch 2.3, LSTM inside If branches): refused naming the If node, not a zero gradient', () => {
  const msg = assertRefusal(() => buildGradient(load('silero-vad-16k-op15'), { lossFn: 'mse', on: 'output', wrt: 'params' }), /If node '\/model\/[^']*If[^']*'/, /control flow/);
  assert.match(msg, /on the path .*Conv/);
});

test('silero-vad (spox, weights as Constants inside If branches): refused for its inputs and for --wrt params', () => {
  for (const wrt of ['input', 'state']) assertRefusal(() => buildGradient(load('silero-vad'), { lossFn: 'mse', on: 'output', wrt: [wrt] }), /If node 'If_0'/, new RegExp(`control flow .*on the path ${wrt} → If 'If_0'`));
  assert.throws(() => buildGradient(load('silero-vad'), { lossFn: 'mse', on: 'output', wrt: 'params' }), /nothing to differentiate: no float initializers/);
});

test('mlsd-tiny-320, as `trelu grad --wrt params` takes it: every size known from the model alone (tf2onnx pads as Concat(Split(constant))), its Relu6 bounds left out of params (constants, as in torch) but differentiated when named, its empty Resize roi/scales not made parameters', () => {
  const model = load('mlsd-tiny-320');
  const bounds = new Set(model.graph.nodes.filter((n) => n.opType === 'Clip').flatMap((n) => n.inputs.slice(1).map((v) => v?.name)));
  const report = buildGradient(model, { lossFn: 'mse', on: 'offsets', wrt: 'params' });
  const names = report.gradients.map((g) => g.tensor);
  assert.ok(!names.some((n) => n.startsWith('const_empty_float')), `empty tensors are not parameters: ${names.filter((n) => n.startsWith('const_empty')).join(', ')}`);
  assert.ok(bounds.size > 0 && !names.some((n) => bounds.has(n)), 'the Clip bounds are not parameters');
  assert.ok(names.length > 0 && report.gradients.every((g) => g.connected), 'every parameter reaches the loss');
  const bound = [...bounds].find((n) => n !== undefined)!;
  const named = buildGradient(load('mlsd-tiny-320'), { lossFn: 'mse', on: 'offsets', wrt: [bound] });
  assert.deepEqual(named.gradients.map((g) => [g.tensor, g.connected]), [[bound, true]], 'a bound named in wrt is differentiated');
});

test('mlsd-tiny-320 training artifacts (our format): the default parameters are the weights as params has them (no empty Resize roi/scales, no Relu6 bounds), and the train step loads in ORT', async () => {
  const model = load('mlsd-tiny-320');
  const bounds = new Set(model.graph.nodes.filter((n) => n.opType === 'Clip').flatMap((n) => n.inputs.slice(1).map((v) => v?.name)));
  const params = new Set(buildGradient(load('mlsd-tiny-320'), { lossFn: 'mse', on: 'offsets', wrt: 'params' }).gradients.map((g) => g.tensor));
  const a = buildTrainingArtifacts(modelToProto(model), { lossFn: 'mse', on: 'offsets', optimizer: { kind: 'sgd', lr: 0.01 } });
  const trained = a.manifest.parameters.filter((p) => p.role !== 'frozen').map((p) => p.initializer);
  assert.ok(trained.length > 0 && trained.every((n) => params.has(n) && !bounds.has(n) && !n.startsWith('const_empty')), trained.filter((n) => !params.has(n)).join(', '));
  const session = await createBackends().get('cpu').createSession(encodeModel(a.trainStep));
  await session.release();
});

// buildGradient raises opsets below 16 first: Resize-11 (M-LSD) and If-15 (Silero 16k) are carried
// over as onnx's version converter does (compatible steps), and the upgraded model computes the same.
test('the opset upgrade buildGradient makes keeps M-LSD (Resize-11) and Silero VAD 16k (If-15) equal in ORT', async () => {
  const random = seededRandom(3);
  const cases = {
    'mlsd-tiny-320': { 'input_image_with_alpha:0': { type: 'float32', dims: [1, 320, 320, 4], data: Float32Array.from({ length: 409_600 }, () => 255 * random()) } },
    'silero-vad-16k-op15': {
      input: { type: 'float32', dims: [1, 512], data: Float32Array.from({ length: 512 }, () => random() - 0.5) },
      state: { type: 'float32', dims: [2, 1, 128], data: new Float32Array(256) },
      sr: { type: 'int64', dims: [], data: BigInt64Array.of(16000n) },
    },
  } satisfies Record<string, Record<string, TensorLike>>;
  for (const [id, feeds] of Object.entries(cases)) {
    const model = load(id);
    const from = model.onnxOpset;
    upgradeOpset(model, 16);
    const before = await run('cpu', new Uint8Array(fs.readFileSync(npmModel(id).file)), feeds);
    const after = await run('cpu', encodeModel(modelToProto(model)), feeds);
    for (const [name, t] of Object.entries(before)) assert.deepEqual(after[name]!.data, t.data, `${id} (opset ${from} → 16): ${name}`);
  }
  const resize = load('mlsd-tiny-320');
  resize.graph.nodes.find((n) => n.opType === 'Resize')!.setAttribute(attr.string('coordinate_transformation_mode', 'tf_half_pixel_for_nn'));
  assert.throws(() => upgradeOpset(resize, 16), /Resize '[^']+' in graph: Resize@13: coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed/);
});

test('a --wrt tensor read only inside an If branch (outer scope) is refused naming the If, not given a zero gradient', () => {
  const vi = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: [{ dimValue: 3 }] } } } });
  const branch = (op: string) => ({ name: op, node: [{ opType: op, input: ['x'], output: [`${op}_out`] }], output: [vi(`${op}_out`, DataType.FLOAT)] });
  const proto = onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 16 }],
    graph: {
      name: 'g', input: [vi('x', DataType.FLOAT), { name: 'c', type: { tensorType: { elemType: DataType.BOOL, shape: { dim: [] } } } }], output: [vi('y', DataType.FLOAT)],
      node: [{ opType: 'If', name: 'branchy', input: ['c'], output: ['y'], attribute: [
        { name: 'then_branch', type: AttributeType.GRAPH, g: branch('Relu') }, { name: 'else_branch', type: AttributeType.GRAPH, g: branch('Neg') }] }],
    },
  } as never);
  assertRefusal(() => buildGradient(modelFromProto(proto), { lossFn: 'mse', on: 'y', wrt: ['x'] }), /If node 'branchy'/, /control flow .*on the path x → If 'branchy'/);
});
