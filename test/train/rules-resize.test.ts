// Resize mode 'linear' (src/train/rules/resize.ts): half_pixel, pytorch_half_pixel, align_corners,
// asymmetric; scales and sizes; up- and downsampling; N,C,H,W and N,C,L. ORT's CPU EP has no double
// Resize, and float32 differences in ORT are too noisy for small gradient elements (5.8e-3 relative
// on the 1-D case); so, as for ConvTranspose, every element of dX against central differences of a
// float64 reference written here from the ONNX spec's formulas, whose loss equals ORT's forward
// loss; then wasm and webgpu against cpu.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto } from '../../src/graph/index.js';
import { buildGradient } from '../../src/train/index.js';
import { runOnCpu } from '../../src/runtime/index.js';
import { checkAcrossEps, f32, fixtureModel, gradientOf, i64, randomArray, size, str, type Fixture } from './rule-fixtures.js';

type Mode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric';

/** The source coordinate of output index o (ONNX Resize's coordinate_transformation_mode), clamped as ORT's linear kernel clamps it. */
function source(o: number, inSize: number, outSize: number, scale: number, mode: Mode): number {
  const x = mode === 'half_pixel' ? (o + 0.5) / scale - 0.5
    : mode === 'pytorch_half_pixel' ? (outSize > 1 ? (o + 0.5) / scale - 0.5 : 0)
      : mode === 'align_corners' ? (outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1))
        : o / scale;
  return Math.min(Math.max(x, 0), inSize - 1);
}

/** Linear resize of the last two axes (or the last, rank 3), float64, straight from the formulas. */
function resizeLinear(x: Float64Array, xs: number[], ys: number[], scales: number[], mode: Mode): Float64Array {
  const r = xs.length;
  const [h, w] = r === 4 ? [xs[2]!, xs[3]!] : [1, xs[2]!];
  const [oh, ow] = r === 4 ? [ys[2]!, ys[3]!] : [1, ys[2]!];
  const [sh, sw] = r === 4 ? [scales[2]!, scales[3]!] : [1, scales[2]!];
  const planes = xs[0]! * xs[1]!;
  const y = new Float64Array(planes * oh * ow);
  const taps = (o: number, i: number, n: number, s: number) => {
    if (i === 1 && n === 1) return [[0, 1]] as const;
    const c = source(o, i, n, s, mode);
    const lo = Math.floor(c);
    const hi = Math.min(lo + 1, i - 1);
    return [[lo, 1 - (c - lo)], [hi, c - lo]] as const;
  };
  for (let p = 0; p < planes; p++) for (let a = 0; a < oh; a++) for (let b = 0; b < ow; b++) {
    let v = 0;
    for (const [ya, wa] of taps(a, h, oh, sh)) for (const [xb, wb] of taps(b, w, ow, sw)) v += wa * wb * x[(p * h + ya) * w + xb]!;
    y[(p * oh + a) * ow + b] = v;
  }
  return y;
}

interface Case { x: number[]; y: number[]; mode: Mode; scales?: number[]; sizes?: boolean }
const resize = (c: Case): Fixture => ({
  nodes: [{ name: 'rs', opType: 'Resize', input: c.sizes ? ['x', '', '', 'sz'] : ['x', '', 'sc'], output: ['y'], attribute: [str('mode', 'linear'), str('coordinate_transformation_mode', c.mode)] }],
  x: c.x, y: c.y, float32: true, constants: [c.sizes ? i64('sz', [c.y.length], c.y) : f32('sc', [c.x.length], Float32Array.from(c.scales!))],
});

const CASES: Record<string, Case> = {
  'half_pixel, scales 2 x 2 (torch bilinear, align_corners=False)': { x: [1, 2, 3, 4], y: [1, 2, 6, 8], mode: 'half_pixel', scales: [1, 1, 2, 2] },
  'pytorch_half_pixel, sizes 5 x 7 (non-integer scales)': { x: [1, 2, 3, 4], y: [1, 2, 5, 7], mode: 'pytorch_half_pixel', sizes: true },
  'align_corners, sizes, downsampling one axis (torch align_corners=True)': { x: [2, 1, 3, 5], y: [2, 1, 4, 3], mode: 'align_corners', sizes: true },
  'asymmetric, scales 1.5 x 0.5': { x: [1, 1, 4, 6], y: [1, 1, 6, 3], mode: 'asymmetric', scales: [1, 1, 1.5, 0.5] },
  'half_pixel, downsampling by 2': { x: [1, 2, 6, 6], y: [1, 2, 3, 3], mode: 'half_pixel', scales: [1, 1, 0.5, 0.5] },
  'pytorch_half_pixel, an output of size 1': { x: [1, 1, 3, 4], y: [1, 1, 1, 4], mode: 'pytorch_half_pixel', sizes: true },
  '1-D (N, C, L), half_pixel, scale 2': { x: [2, 3, 4], y: [2, 3, 8], mode: 'half_pixel', scales: [1, 1, 2] },
};

for (const [label, c] of Object.entries(CASES)) {
  test(`Resize linear gradient: ${label} (every element against float64 differences of a reference ORT's forward matches)`, async () => {
    const f = resize(c);
    const { bytes, feeds } = gradientOf(f);
    const out = await runOnCpu(bytes, feeds);
    const R = Float64Array.from(randomArray(size(c.y), 99));
    const scales = c.scales ?? c.y.map((d, i) => d / c.x[i]!);
    const lossOf = (x: Float64Array) => resizeLinear(x, c.x, c.y, scales, c.mode).reduce((s, y, i) => s + y * R[i]!, 0);
    const x0 = Float64Array.from(feeds.x!.data as Float32Array);
    const l32 = Number((out.loss!.data as Float32Array)[0]);
    assert.ok(Math.abs(l32 - lossOf(x0)) <= 1e-5 * Math.max(1, Math.abs(lossOf(x0))), `${label}: ORT's loss ${l32}, the reference's ${lossOf(x0)}`);
    const grad = out.x_grad!.data as Float32Array;
    assert.equal(grad.length, x0.length);
    for (let i = 0; i < grad.length; i++) {
      const at = (d: number) => { const v = Float64Array.from(x0); v[i]! += d; return lossOf(v); };
      const fd = (at(1e-6) - at(-1e-6)) / 2e-6;
      assert.ok(Math.abs(fd - grad[i]!) <= 1e-4 * Math.max(1, Math.abs(fd)), `${label} dx[${i}]: fd ${fd}, graph ${grad[i]}`);
    }
  });
}

// Old models: Upsample-9 goes through buildGradient's opset upgrade (Upsample -> Resize asymmetric,
// test/rewrite/upsample-to-resize.test.ts), then through the Resize rules.
const upsample9 = (mode: string, x: number[], y: number[], scales: number[]): Fixture => ({
  nodes: [{ name: 'up', opType: 'Upsample', input: ['x', 'sc'], output: ['y'], attribute: [str('mode', mode)] }],
  x, y, float32: true, opset: 9, constants: [f32('sc', [4], Float32Array.from(scales))],
});

test('Upsample-9 linear (an old model, upgraded to Resize on the way): every element against the float64 reference (asymmetric)', async () => {
  const [x, y, scales] = [[1, 2, 3, 4], [1, 2, 4, 8], [1, 1, 1.5, 2]];
  const { report, bytes, feeds } = gradientOf(upsample9('linear', x, y, scales));
  assert.deepEqual(report.opsetUpgrade, { from: 9, to: 16 });
  const out = await runOnCpu(bytes, feeds);
  const R = Float64Array.from(randomArray(size(y), 99));
  const lossOf = (v: Float64Array) => resizeLinear(v, x, y, scales, 'asymmetric').reduce((s, e, i) => s + e * R[i]!, 0);
  const x0 = Float64Array.from(feeds.x!.data as Float32Array);
  const grad = out.x_grad!.data as Float32Array;
  assert.ok(Math.abs(Number((out.loss!.data as Float32Array)[0]) - lossOf(x0)) <= 1e-5 * Math.max(1, Math.abs(lossOf(x0))));
  for (let i = 0; i < grad.length; i++) {
    const at = (d: number) => { const v = Float64Array.from(x0); v[i]! += d; return lossOf(v); };
    const fd = (at(1e-6) - at(-1e-6)) / 2e-6;
    assert.ok(Math.abs(fd - grad[i]!) <= 1e-4 * Math.max(1, Math.abs(fd)), `dx[${i}]: fd ${fd}, graph ${grad[i]}`);
  }
});

test('Upsample-9 nearest (upgraded on the way): each input element gets the sum of R over the outputs that copy it', async () => {
  const [x, y, scales] = [[1, 1, 2, 3], [1, 1, 4, 4], [1, 1, 2, 1.5]];
  const { bytes, feeds } = gradientOf(upsample9('nearest', x, y, scales));
  const out = await runOnCpu(bytes, feeds);
  const R = randomArray(size(y), 99);
  const want = new Float64Array(size(x));
  for (let a = 0; a < y[2]!; a++) for (let b = 0; b < y[3]!; b++) want[Math.floor(a / scales[2]!) * x[3]! + Math.floor(b / scales[3]!)] += R[a * y[3]! + b]!;
  const got = out.x_grad!.data as Float32Array;
  want.forEach((v, i) => assert.ok(Math.abs(v - got[i]!) < 1e-5, `dx[${i}]: ${got[i]} vs ${v}`));
  await checkAcrossEps('Upsample-9 nearest', upsample9('nearest', x, y, scales));
  await checkAcrossEps('Upsample-9 linear', upsample9('linear', [1, 2, 3, 4], [1, 2, 4, 8], [1, 1, 1.5, 2]));
});

test('Resize linear gradients on wasm and webgpu equal cpu\'s', async () => {
  for (const [label, c] of Object.entries(CASES)) await checkAcrossEps(label, resize(c));
});

test('Resize: cubic, tf_crop_and_resize, and linear over the channel axis are refused naming the node', () => {
  const refuse = (f: Fixture, why: RegExp) => assert.throws(() => buildGradient(modelFromProto(decodeModel(fixtureModel(f))), { loss: 'loss', wrt: ['x'] }), (e: Error) => {
    assert.match(e.message, /no gradient for Resize node 'rs'/);
    assert.match(e.message, why);
    return true;
  });
  const base = resize(CASES['half_pixel, scales 2 x 2 (torch bilinear, align_corners=False)']!);
  refuse({ ...base, nodes: [{ ...base.nodes[0]!, attribute: [str('mode', 'cubic')] }] }, /mode 'cubic'/);
  refuse({ ...base, nodes: [{ ...base.nodes[0]!, attribute: [str('mode', 'linear'), str('coordinate_transformation_mode', 'tf_crop_and_resize')] }] }, /coordinate_transformation_mode 'tf_crop_and_resize'/);
  refuse(resize({ x: [1, 2, 3, 4], y: [1, 4, 3, 4], mode: 'half_pixel', scales: [1, 2, 1, 1] }), /an axis other than the last two/);
});
