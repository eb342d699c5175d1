/**
 * The activation plot: f and f' of ThresholdedRelu as some kernel computes
 * them, next to the two functions it is often confused with,
 * max(0, x - alpha) (a shifted Relu: continuous, offset by alpha) and
 * max(x, alpha) (a clamp from below: never 0). Browser-safe: `trelu plot`
 * passes the reference kernel, the web page each of its kernels and EPs.
 *
 * The three agree in f' almost everywhere (1 above alpha, 0 below): the
 * gradient cannot tell them apart, the forward pass can.
 */
import { lineChartSvg, PALETTE, type LineSeries } from './line-chart.js';
import { panelsSvg } from './panels.js';
import { thresholdedReluReference, thresholdedReluGradReference } from '../ops/thresholded-relu/reference.js';

/** f and f' (f' as the backward pass with dY = 1) of ThresholdedRelu on float32 inputs; may be async (an EP). */
export interface ActivationKernel {
  name: string;
  forward(x: Float32Array, alpha: number): Float32Array | Promise<Float32Array>;
  grad(x: Float32Array, dy: Float32Array, alpha: number): Float32Array | Promise<Float32Array>;
}

/** The reference kernel (src/ops/thresholded-relu/reference.ts), float32: the oracle the others are compared with. */
export const referenceKernel: ActivationKernel = {
  name: 'reference',
  forward: (x, alpha) => thresholdedReluReference(x, alpha, 'float32'),
  grad: (x, dy, alpha) => thresholdedReluGradReference(x, dy, alpha, 'float32'),
};

export interface ActivationSamples {
  alpha: number;
  x: Float32Array;
  f: Float32Array;
  df: Float32Array;
}

/** The next float32 above v (v finite). */
function nextFloat32Up(v: number): number {
  const f = new Float32Array([Math.fround(v)]);
  const u = new Uint32Array(f.buffer);
  if (f[0] === 0) u[0] = 1; // +0 and -0: the smallest subnormal
  else if (f[0]! > 0) u[0]!++;
  else u[0]!--;
  return f[0]!;
}

/**
 * `n` evenly spaced float32 points over [lo, hi], plus alpha and the float32
 * just above it when alpha is inside: the jump of ThresholdedRelu is at
 * alpha, and these two points show both sides of it.
 */
export function samplePoints(lo: number, hi: number, n: number, alphas: readonly number[]): Float32Array {
  const xs = new Set<number>();
  for (let i = 0; i < n; i++) xs.add(Math.fround(lo + ((hi - lo) * i) / (n - 1)));
  for (const a of alphas) {
    if (a >= lo && a < hi) {
      xs.add(Math.fround(a));
      xs.add(nextFloat32Up(a));
    }
  }
  return Float32Array.from([...xs].sort((a, b) => a - b));
}

export async function sampleKernel(kernel: ActivationKernel, x: Float32Array, alpha: number): Promise<ActivationSamples> {
  const f = await kernel.forward(x, alpha);
  const df = await kernel.grad(x, new Float32Array(x.length).fill(1), alpha);
  return { alpha, x, f: Float32Array.from(f), df: Float32Array.from(df) };
}

/**
 * Points for a chart, with a break (NaN) where the function jumps: a rise
 * steeper than `maxSlope` between neighbouring samples is a discontinuity to
 * the resolution of the samples (no continuous piece here is steeper than 1),
 * drawn as a gap rather than as a vertical line the function never takes.
 */
export function withJumps(x: ArrayLike<number>, y: ArrayLike<number>, maxSlope = 1e3): [number, number][] {
  const pts: [number, number][] = [];
  for (let i = 0; i < x.length; i++) {
    if (i > 0 && Math.abs(y[i]! - y[i - 1]!) > maxSlope * (x[i]! - x[i - 1]!)) pts.push([NaN, NaN]);
    pts.push([x[i]!, y[i]!]);
  }
  return pts;
}

/** max(0, x - alpha) and max(x, alpha), and their derivatives (1 above alpha, 0 at and below it), in float32. */
export function lookAlikes(x: Float32Array, alpha: number): { name: string; f: Float32Array; df: Float32Array }[] {
  const a = Math.fround(alpha);
  const step = Float32Array.from(x, (v) => (v > a ? 1 : 0));
  return [
    { name: `max(0, x ${alpha < 0 ? '+' : '−'} ${Math.abs(alpha)})`, f: Float32Array.from(x, (v) => Math.max(0, v - a)), df: step },
    { name: `max(x, ${alpha})`, f: Float32Array.from(x, (v) => Math.max(v, a)), df: step },
  ];
}

export interface ActivationPlotOptions {
  /** One entry per (kernel, alpha): solid lines. */
  samples: (ActivationSamples & { label: string })[];
  /** Draw the look-alikes (dashed) for these alphas. */
  lookAlikeAlphas: readonly number[];
  panelWidth?: number;
  panelHeight?: number;
}

/** Two charts side by side: f(x) and f'(x). */
export function activationPlotSvg(opts: ActivationPlotOptions): string {
  const width = opts.panelWidth ?? 560;
  const height = opts.panelHeight ?? 380;
  const f: LineSeries[] = [];
  const df: LineSeries[] = [];
  let c = 0;
  const color = () => PALETTE[c++ % PALETTE.length]!;
  for (const s of opts.samples) {
    const col = color();
    f.push({ name: s.label, points: withJumps(s.x, s.f), color: col });
    df.push({ name: s.label, points: withJumps(s.x, s.df), color: col });
  }
  const x0 = opts.samples[0]?.x;
  if (x0) {
    for (const a of opts.lookAlikeAlphas) {
      for (const l of lookAlikes(x0, a)) {
        const col = color();
        f.push({ name: l.name, points: withJumps(x0, l.f), color: col, dashed: true });
        df.push({ name: `d/dx ${l.name}`, points: withJumps(x0, l.df), color: col, dashed: true });
      }
    }
  }
  return panelsSvg([
    lineChartSvg({ title: 'f(x)', xLabel: 'x', yLabel: 'f(x)', width, height, series: f }),
    lineChartSvg({ title: "f′(x) (backward with dY = 1)", xLabel: 'x', yLabel: "f′(x)", width, height, series: df }),
  ]);
}
