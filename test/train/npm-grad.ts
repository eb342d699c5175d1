/**
 * Gradients of a real model (the npm corpus) checked against an oracle we did not write: central
 * finite differences of the loss, evaluated by ONNX Runtime (CPU EP) on the untouched forward model
 * with its float initializers moved to graph inputs.
 *
 * Loss: L = Σ_k mean((y_k − t_k)²) over the model's float outputs y_k, with fixed seeded targets
 * t_k = y_k(θ₀) + rms(y_k(θ₀))·u, u uniform in [−1, 1] (so every output pulls with a similar
 * weight). The gradient model gets it from the library (appendLoss 'mse' on each output, Sum,
 * buildGradient); the oracle computes it in float64 in JS from ORT's forward outputs, so its own
 * reductions add no float32 rounding.
 */
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { onnx, DataType, type ModelProto, type TensorProto } from '../../src/onnx/proto.js';
import { Builder, attr, modelFromProto, modelToProto } from '../../src/graph/index.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { appendLoss, buildGradient, parameterFeeds, parameterValue, toFloat64, type GradientReport } from '../../src/train/index.js';
import { seededRandom } from '../../src/runtime/random-inputs.js';
import { lowerConvToTaps } from './conv-taps.js';
import { lowerLinearResizes } from '../../src/train/float64-resize.js';
import { upgradeOpset } from '../../src/rewrite/opset-upgrade.js';
import type { Backend, BackendSession } from '../../src/runtime/backend.js';
import type { TensorLike } from '../../src/runtime/tensor.js';

export interface GradCase {
  /** The graph inputs that are data (not parameters), seeded uniform in `range`. */
  inputs: Record<string, { dims: number[]; range: [number, number] }>;
  /**
   * Declare every intermediate value's shape (value_info) as an ORT run at these input dims gives
   * it: for models whose shapes our inference cannot follow (M-LSD's Pads read computed pads), so
   * that the Conv and Resize rules see their sizes. The gradient model is then valid for those dims.
   */
  shapesFromOrt?: boolean;
}

/** The model with value_info for every node output, shaped as ORT computes it for `feeds`. */
async function withOrtShapes(source: Uint8Array, feeds: Record<string, TensorLike>, cpu: Backend): Promise<Uint8Array> {
  const p = decodeModel(source);
  const declared = new Set([...p.graph!.output, ...p.graph!.valueInfo].map((v) => v.name));
  const names = p.graph!.node.flatMap((n) => n.output).filter((n) => n && !declared.has(n));
  const probe = decodeModel(source);
  probe.graph!.output.push(...names.map((name) => onnx.ValueInfoProto.create({ name }) as never));
  const out = await runOnce(cpu, encodeModel(probe), feeds);
  const types: Record<string, number> = { float32: DataType.FLOAT, float64: DataType.DOUBLE, int64: DataType.INT64, int32: DataType.INT32, bool: DataType.BOOL };
  for (const name of names) {
    const t = out[name];
    if (!t || types[t.type] === undefined) continue;
    p.graph!.valueInfo.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: types[t.type], shape: { dim: t.dims.map((d) => ({ dimValue: d })) as never } } } }) as never);
  }
  return encodeModel(p);
}

export interface BuiltGradient {
  report: GradientReport;
  bytes: Uint8Array;
  feeds: Record<string, TensorLike>;
  /** The differentiated tensors: every float initializer with at least one element. */
  params: string[];
  /** The loss as the JS oracle computes it from the forward outputs (float64). */
  lossOf(outputs: Record<string, TensorLike>): number;
  outputs: string[];
  forwardBytes: Uint8Array;
  base: Record<string, TensorLike>;
}

const floatOutputs = (p: ModelProto) => p.graph!.output.filter((o) => o.type?.tensorType?.elemType === DataType.FLOAT).map((o) => o.name);
const elements = (t: TensorProto) => t.dims.reduce((n: number, d) => n * Number(d), 1);

/** The model with the named initializers as graph inputs (values unchanged: the caller feeds them). */
function initializersAsInputs(bytes: Uint8Array, names: ReadonlySet<string>): Uint8Array {
  const p = decodeModel(bytes);
  const g = p.graph!;
  for (const t of g.initializer.filter((x) => names.has(x.name))) {
    g.input.push(onnx.ValueInfoProto.create({ name: t.name, type: { tensorType: { elemType: t.dataType, shape: { dim: t.dims.map((d) => ({ dimValue: d })) as never } } } }) as never);
  }
  g.initializer = g.initializer.filter((x) => !names.has(x.name));
  return encodeModel(p);
}

export async function buildCase(original: Uint8Array, c: GradCase, cpu: Backend, seed = 7): Promise<BuiltGradient> {
  const random = seededRandom(seed);
  const inputs: Record<string, TensorLike> = {};
  for (const [name, { dims, range }] of Object.entries(c.inputs)) {
    const n = dims.reduce((a, b) => a * b, 1);
    inputs[name] = { type: 'float32', dims, data: Float32Array.from({ length: n }, () => range[0] + (range[1] - range[0]) * random()) };
  }
  const source = c.shapesFromOrt ? await withOrtShapes(original, inputs, cpu) : original;
  const proto = decodeModel(source);
  // Clip's min and max (Relu6's 0 and 6) are bounds, not weights: no rule differentiates them.
  const bounds = new Set(proto.graph!.node.filter((n) => n.opType === 'Clip').flatMap((n) => n.input.slice(1)));
  const params = proto.graph!.initializer.filter((t) => t.dataType === DataType.FLOAT && elements(t) > 0 && !bounds.has(t.name)).map((t) => t.name);
  const outputs = floatOutputs(proto);
  const base: Record<string, TensorLike> = { ...inputs };
  for (const t of proto.graph!.initializer) if (params.includes(t.name)) base[t.name] = parameterValue(t.name, t);
  const forwardBytes = initializersAsInputs(source, new Set(params));
  const y0 = await runOnce(cpu, forwardBytes, base);
  const targets = new Map<string, Float64Array>();
  for (const o of outputs) {
    const y = y0[o]!.data as Float32Array;
    let ss = 0;
    for (const v of y) ss += v * v;
    const rms = Math.sqrt(ss / y.length) || 1;
    targets.set(o, Float64Array.from(y, (v) => v + rms * (2 * random() - 1)));
  }
  const lossOf = (out: Record<string, TensorLike>) => {
    let total = 0;
    for (const o of outputs) {
      const y = out[o]!.data as Float32Array | Float64Array;
      const t = targets.get(o)!;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (y[i]! - t[i]!) ** 2;
      total += s / y.length;
    }
    return total;
  };

  const model = modelFromProto(decodeModel(source));
  const feeds: Record<string, TensorLike> = { ...inputs };
  const losses = outputs.map((o) => {
    const before = new Set(model.graph.inputs.map((v) => v.name));
    const l = appendLoss(model, 'mse', o);
    const labels = model.graph.inputs.find((v) => !before.has(v.name))!;
    feeds[labels.name] = { type: 'float32', dims: y0[o]!.dims, data: Float32Array.from(targets.get(o)!) };
    return l;
  });
  const b = new Builder(model, model.graph);
  const loss = losses.reduce((acc, l) => b.op('Add', [acc, l], { name: 'loss_sum' }));
  const report = buildGradient(model, { loss: loss.name, wrt: params });
  Object.assign(feeds, parameterFeeds(report));
  return { report, bytes: encodeModel(modelToProto(model)), feeds, params, lossOf, outputs, forwardBytes, base };
}

async function runOnce(b: Backend, bytes: Uint8Array, feeds: Record<string, TensorLike>) {
  const s = await b.createSession(bytes, {});
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

export interface FdSample { tensor: string; index: number; fd: number; analytic: number }

export interface FdOptions {
  samples: number;
  /** 'float64': `forward` is the float64 copy (float64Forward); 'float32': the forward model as it is. */
  precision: 'float64' | 'float32';
  forward?: Uint8Array;
  /** Step, relative to max(|θ_i|, rms(θ)) of the tensor. */
  relStep: number;
  seed?: number;
}

/**
 * A float64 copy of the forward model: Convs lowered to kernel taps (conv-taps.ts), linear Resizes
 * to MatMuls with their interpolation matrices (src/train/float64-resize.ts), then retyped
 * (toFloat64). Both steps are checked against ORT running the untouched forward model in float32:
 * `deviation` is max |y64 − y32| / max |y32| over the outputs (float32 rounding: ~1e-6).
 */
export async function float64Forward(cpu: Backend, b: BuiltGradient): Promise<{ bytes: Uint8Array; deviation: number; convs: number; resizes: number }> {
  const m = modelFromProto(decodeModel(b.forwardBytes));
  if (m.graph.nodes.some((n) => n.subgraphs.size)) throw new Error('subgraphs: not retyped');
  // as buildGradient does: ORT's CPU Clip-11 (M-LSD's Relu6) has no double kernel, Clip-13 has
  if ((m.onnxOpset ?? 16) < 16) upgradeOpset(m, 16);
  const convs = lowerConvToTaps(m);
  const resizes = lowerLinearResizes(m);
  toFloat64(m, b.outputs);
  const bytes = encodeModel(modelToProto(m));
  const y32 = await runOnce(cpu, b.forwardBytes, b.base);
  const y64 = await runOnce(cpu, bytes, widen(b.base));
  let deviation = 0;
  for (const o of b.outputs) {
    const a = y32[o]!.data as Float32Array;
    const d = y64[o]!.data as Float64Array;
    let ref = 0;
    let err = 0;
    for (let i = 0; i < a.length; i++) {
      ref = Math.max(ref, Math.abs(a[i]!));
      err = Math.max(err, Number.isFinite(d[i]!) ? Math.abs(d[i]! - a[i]!) : Infinity);
    }
    deviation = Math.max(deviation, d.length === a.length ? err / (ref || 1) : Infinity);
  }
  return { bytes, deviation, convs, resizes };
}

const widen = (f: Record<string, TensorLike>): Record<string, TensorLike> =>
  Object.fromEntries(Object.entries(f).map(([k, t]) => [k, t.type === 'float32' ? { type: 'float64', dims: t.dims, data: Float64Array.from(t.data as Float32Array) } : t]));

/**
 * Central differences (L(θ + h e_i) − L(θ − h e_i)) / (h₊ + h₋) on `samples` seeded elements of
 * every parameter, h₊ and h₋ the steps actually taken in the model's precision, against the
 * gradient model's output `grads`.
 */
export async function finiteDifferences(cpu: Backend, b: BuiltGradient, grads: Record<string, TensorLike>, o: FdOptions): Promise<FdSample[]> {
  const wide = o.precision === 'float64';
  const bytes = o.forward ?? b.forwardBytes;
  const base = wide ? widen(b.base) : b.base;
  const session: BackendSession = await cpu.createSession(bytes, {});
  const random = seededRandom(o.seed ?? 11);
  const out: FdSample[] = [];
  try {
    for (const g of b.report.gradients) {
      const x = base[g.tensor]!.data as Float32Array | Float64Array;
      let ss = 0;
      for (const v of x) ss += v * v;
      const rms = Math.sqrt(ss / x.length);
      const analytic = grads[g.gradient]!.data as Float32Array;
      const picks = new Set<number>();
      while (picks.size < Math.min(o.samples, x.length)) picks.add(Math.floor(random() * x.length));
      for (const i of picks) {
        const h = o.relStep * (Math.max(Math.abs(x[i]!), rms) || 1);
        const at = async (delta: number) => {
          const copy = wide ? Float64Array.from(x) : Float32Array.from(x);
          copy[i] = x[i]! + delta;
          const taken = copy[i]! - x[i]!;
          return { taken, loss: b.lossOf(await session.run({ ...base, [g.tensor]: { type: wide ? 'float64' : 'float32', dims: base[g.tensor]!.dims, data: copy } })) };
        };
        const p = await at(h);
        const m = await at(-h);
        out.push({ tensor: g.tensor, index: i, fd: (p.loss - m.loss) / (p.taken - m.taken), analytic: analytic[i]! });
      }
    }
  } finally {
    await session.release();
  }
  return out;
}

/**
 * Per tensor: max over its samples of |fd − analytic| / max(max |fd| over its samples, 10⁻³·G), G
 * the largest |fd| over the whole model (the corpus's relative error, README "The torch corpus");
 * NaN or infinity anywhere is Infinity.
 */
export function sampleErrors(samples: FdSample[]): { tensor: string; err: number; n: number }[] {
  let G = 0;
  for (const s of samples) G = Math.max(G, Math.abs(s.fd));
  const by = new Map<string, FdSample[]>();
  for (const s of samples) by.set(s.tensor, [...(by.get(s.tensor) ?? []), s]);
  return [...by].map(([tensor, ss]) => {
    if (ss.some((s) => !Number.isFinite(s.fd) || !Number.isFinite(s.analytic))) return { tensor, err: Infinity, n: ss.length };
    const scale = Math.max(...ss.map((s) => Math.abs(s.fd)), 1e-3 * G);
    const err = scale === 0 ? (ss.every((s) => s.analytic === 0) ? 0 : Infinity) : Math.max(...ss.map((s) => Math.abs(s.fd - s.analytic))) / scale;
    return { tensor, err, n: ss.length };
  }).sort((a, b) => b.err - a.err);
}
