/**
 * Checking gradients against central finite differences, run in ONNX Runtime
 * (CPU EP): for a seeded sample of elements of each differentiated tensor,
 * (L(x + h) - L(x - h)) / 2h against the gradient model's output. Samples
 * where the one-sided differences disagree have a kink within ±h (x ≈ alpha
 * for ThresholdedRelu, x ≈ 0 for Relu; or, for a weight of an early layer, one
 * of the thousands of units behind it switching: ReLU6 in MobileNet, Relu in
 * resnet18). In double precision such a sample is tried again at h/10 and
 * h/100, where the kink is usually outside the interval; one that is still on
 * a kink at h/100 is skipped, not counted.
 */
import { TreluError } from '../errors.js';
import { parameterValue, type ExternalReader } from './parameter-values.js';
import { runOnCpu } from '../runtime/run-once.js';
import { seededRandom } from '../runtime/random-inputs.js';
import type { TensorLike } from '../runtime/tensor.js';
import type { GradientReport } from './autodiff.js';
import { toFloat64 } from './float64.js';
import { decodeModel } from '../onnx/decode.js';
import { encodeModel } from '../onnx/encode.js';
import { modelFromProto } from '../graph/from-proto.js';
import { modelToProto } from '../graph/to-proto.js';

export interface GradientCheck {
  tensor: string;
  /** Largest |fd - analytic| / max(|fd|, |analytic|, 1e-3) over the checked samples. */
  maxRelError: number;
  checked: number;
  /** Samples skipped because they sit on a kink at every step tried. */
  skippedKinks: number;
  /** Checked samples that were compared at a smaller step than `h` (a kink lay within ±h). */
  smallerStep: number;
  /** Elements of the gradient (all of them, not only the samples) or differences that are NaN or infinite. */
  nonFinite: number;
}

export interface CheckOptions {
  samples?: number;
  /** Step; default 1e-5 where the loss runs in double precision, 1e-2 where it falls back to float32. */
  h?: number;
  seed?: number;
  /** Reads parameters stored as external data (those not already in the feeds). */
  readExternal?: ExternalReader;
  /** Called after each tensor (a progress line on a terminal). */
  onProgress?: (done: number, total: number, tensor: string) => void;
}

/** The starting values of the parameters that became inputs, as feeds (external data through `readExternal`). */
export function parameterFeeds(report: Pick<GradientReport, 'parameters'>, readExternal?: ExternalReader): Record<string, TensorLike> {
  const out: Record<string, TensorLike> = {};
  for (const [name, t] of Object.entries(report.parameters)) out[name] = parameterValue(name, t, readExternal);
  return out;
}

function float32Of(t: TensorLike | undefined, name: string): Float32Array {
  if (!t || t.type !== 'float32') throw new TreluError('E_UNSUPPORTED', `finite differences are implemented for float32 tensors; '${name}' is ${t?.type ?? 'unknown'}`);
  return t.data as Float32Array;
}

export interface GradientCheckReport {
  /** 'float64' when the loss could be evaluated in double (the usual case), else 'float32'. */
  precision: 'float64' | 'float32';
  h: number;
  tensors: GradientCheck[];
}

export async function checkGradients(modelBytes: Uint8Array, report: GradientReport, feeds: Record<string, TensorLike>, options: CheckOptions = {}): Promise<GradientCheckReport> {
  const samples = options.samples ?? 6;
  const random = seededRandom(options.seed ?? 1);
  // Every differentiated tensor is a graph input now; start from its stored value where it has one.
  const base: Record<string, TensorLike> = { ...feeds };
  for (const [name, t] of Object.entries(report.parameters)) if (!base[name]) base[name] = parameterValue(name, t, options.readExternal);
  for (const g of report.gradients) {
    if (!base[g.tensor]) throw new TreluError('E_UNSUPPORTED', `no value for '${g.tensor}' to perturb`);
  }
  const out0 = await runOnCpu(modelBytes, base, { graphOptimizationLevel: 'disabled' });
  // The loss alone, in float64 where ORT can run it so (see float64.ts); float32 otherwise.
  let precision: 'float64' | 'float32' = 'float64';
  let lossModel = float64LossModel(modelBytes, report.loss);
  const widen = (f: Record<string, TensorLike>) => Object.fromEntries(Object.entries(f).map(([k, t]) => [k, t.type === 'float32' ? { type: 'float64', data: Float64Array.from(t.data as Float32Array), dims: t.dims } : t]));
  const loss = (o: Record<string, TensorLike>) => Number((o[report.loss]!.data as Float32Array | Float64Array)[0]);
  // The loss at the unperturbed point: the gradient model's own (float32) run gave it already.
  let l0 = loss(out0);
  try {
    if (!lossModel) throw new Error('no float64 model');
    const l64 = loss(await runOnCpu(lossModel, widen(base), { graphOptimizationLevel: 'disabled' }));
    // The double copy lowers Conv and Resize to other ops: trusted only where it computes the float32 model's loss.
    if (!(Math.abs(l64 - l0) <= 1e-4 * Math.max(Math.abs(l0), 1e-30))) throw new Error(`the float64 copy's loss ${l64} is not the model's ${l0}`);
    l0 = l64;
  } catch {
    precision = 'float32';
    lossModel = modelBytes;
  }
  const h = options.h ?? (precision === 'float64' ? 1e-5 : 1e-2);
  // Smaller steps only in double: in float32 the loss's rounding (~1e-7 relative) over a step below
  // 1e-2 would swamp the difference itself.
  const steps = precision === 'float64' ? [h, h / 10, h / 100] : [h];
  // A kink within ±step makes the one-sided slopes disagree; the central difference is then off by
  // up to half their gap. In double, a gap above 1e-4 of the slope (floor 1e-3, as the error's) could
  // move the error by 5e-5 of the 1e-3 tolerance: such a sample goes to a smaller step. Where the
  // slope is smooth the gap is step · L'' (1e-5 · L'' at the first step), and the loss's rounding in
  // double (~1e-16 · |L| / step) stays far below it. In float32 (h = 1e-2) the loss's rounding is
  // larger, so only a gap of 5% counts as a kink.
  const onKink = (forward: number, backward: number) => Math.abs(forward - backward) > (precision === 'float64'
    ? 1e-4 * Math.max(Math.abs(forward), Math.abs(backward), 1e-3)
    : 0.05 * Math.max(Math.abs(forward), Math.abs(backward)) + 1e-3);
  const run = async (f: Record<string, TensorLike>) => runOnCpu(lossModel!, precision === 'float64' ? widen(f) : f, { graphOptimizationLevel: 'disabled' });
  const results: GradientCheck[] = [];
  for (const g of report.gradients) {
    const x = float32Of(base[g.tensor], g.tensor);
    const analytic = float32Of(out0[g.gradient], g.gradient);
    let maxRel = 0;
    let checked = 0;
    let kinks = 0;
    let smaller = 0;
    let nonFinite = 0;
    for (let i = 0; i < analytic.length; i++) if (!Number.isFinite(analytic[i]!)) nonFinite++;
    const picks = new Set<number>();
    while (picks.size < Math.min(samples, x.length)) picks.add(Math.floor(random() * x.length));
    for (const i of picks) {
      const at = async (delta: number) => {
        const copy = precision === 'float64' ? Float64Array.from(x) : Float32Array.from(x);
        copy[i] = x[i]! + delta;
        return loss(await run({ ...base, [g.tensor]: { type: 'float32', data: copy as Float32Array, dims: base[g.tensor]!.dims } }));
      };
      const an = analytic[i]!;
      let outcome: 'checked' | 'kink' | 'non-finite' = 'kink';
      for (const [k, step] of steps.entries()) {
        const lp = await at(step);
        const lm = await at(-step);
        const fd = (lp - lm) / (2 * step);
        if (!Number.isFinite(fd) || !Number.isFinite(an) || !Number.isFinite(l0)) {
          // a NaN never passes: it poisons the tensor's error (Math.max would drop it)
          outcome = 'non-finite';
          break;
        }
        const forward = (lp - l0) / step;
        const backward = (l0 - lm) / step;
        if (onKink(forward, backward)) continue;
        maxRel = Math.max(maxRel, Math.abs(fd - an) / Math.max(Math.abs(fd), Math.abs(an), 1e-3));
        if (k > 0) smaller++;
        outcome = 'checked';
        break;
      }
      if (outcome === 'checked') checked++;
      else if (outcome === 'kink') kinks++;
      else if (Number.isFinite(an)) nonFinite++;
    }
    results.push({ tensor: g.tensor, maxRelError: nonFinite ? NaN : maxRel, checked, skippedKinks: kinks, smallerStep: smaller, nonFinite });
    options.onProgress?.(results.length, report.gradients.length, g.tensor);
  }
  return { precision, h, tensors: results };
}

export interface CheckVerdict {
  ok: boolean;
  /** Above tolerance, or NaN/inf. */
  failed: string[];
  /** No sample could be compared (all on kinks, or an empty tensor). */
  unchecked: string[];
}

/** Whether a check passed: every error a number at or under `tolerance` (NaN fails), and every tensor checked unless allowed. */
export function verdict(report: GradientCheckReport, tolerance: number, allowUnchecked = false): CheckVerdict {
  const failed = report.tensors.filter((t) => !(t.maxRelError <= tolerance)).map((t) => t.tensor);
  const unchecked = report.tensors.filter((t) => t.checked === 0 && t.nonFinite === 0).map((t) => t.tensor);
  return { ok: failed.length === 0 && (allowUnchecked || unchecked.length === 0), failed, unchecked };
}

function float64LossModel(modelBytes: Uint8Array, loss: string): Uint8Array | undefined {
  try {
    const m = modelFromProto(decodeModel(modelBytes));
    toFloat64(m, [loss]);
    return encodeModel(modelToProto(m));
  } catch {
    return undefined;
  }
}
