// One-node (or few-node) fixtures for gradient rules, as in rules.test.ts: loss = ReduceSum(op(...) * R)
// with R random, the gradient model built by buildGradient, checked by central differences of the
// loss in ORT (checkGradients: float64 where ORT's CPU EP has double kernels for every op of the
// loss, float32 otherwise), and the same gradient model run on wasm and webgpu against cpu.
import assert from 'node:assert/strict';
import Long from 'long';
import { onnx, DataType, AttributeType } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { decodeModel } from '../../src/onnx/decode.js';
import { modelFromProto, modelToProto } from '../../src/graph/index.js';
import { buildGradient, checkGradients, parameterFeeds } from '../../src/train/index.js';
import { relError } from './torch-reference.js';
import { createBackends, runOnce, seededRandom, type TensorLike } from '../../src/runtime/index.js';

export type N = onnx.NodeProto.$Properties;
export const ints = (name: string, v: number[]) => ({ name, type: AttributeType.INTS, ints: v.map((x) => Long.fromNumber(x)) });
export const int = (name: string, v: number) => ({ name, type: AttributeType.INT, i: Long.fromNumber(v) });
export const flt = (name: string, v: number) => ({ name, type: AttributeType.FLOAT, f: v });
export const flts = (name: string, v: number[]) => ({ name, type: AttributeType.FLOATS, floats: v });
export const str = (name: string, v: string) => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(v) });

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}
export const size = (d: number[]) => d.reduce((a, b) => a * b, 1);
export const f32 = (name: string, dims: number[], data: Float32Array) => ({ name, dataType: DataType.FLOAT, dims: dims.map((d) => Long.fromNumber(d)), rawData: new Uint8Array(data.buffer.slice(0)) });
export const i64 = (name: string, dims: number[], data: number[]) => ({ name, dataType: DataType.INT64, dims: dims.map((d) => Long.fromNumber(d)), rawData: new Uint8Array(BigInt64Array.from(data.map(BigInt)).buffer) });

export interface Fixture {
  /** Nodes computing 'y' from 'x' (and params). */
  nodes: N[];
  x: number[];
  y: number[];
  params?: { name: string; dims: number[]; lo?: number; hi?: number }[];
  constants?: object[];
  /** The range x is drawn from (default [-2, 2]). */
  xRange?: [number, number];
  /** The loss is computed by the nodes themselves (named 'loss'). */
  ownLoss?: boolean;
  /**
   * ORT's CPU EP has no float64 kernel for an op here (Erf, Conv, Resize, ...): central differences in float32
   * (h = 1e-2; truncation and rounding both ~1e-4 relative on these smooth, O(1) losses), tolerance 2e-3.
   */
  float32?: boolean;
  /** ai.onnx opset (default 17). */
  opset?: number;
  /** Declared input dims (a string: symbolic); default x. */
  xDims?: (number | string)[];
}

export function fixtureModel(f: Fixture): Uint8Array {
  const tt = (d: (number | string)[]) => ({ tensorType: { elemType: DataType.FLOAT, shape: { dim: d.map((x) => (typeof x === 'string' ? { dimParam: x } : { dimValue: Long.fromNumber(x) })) } } });
  const lossNodes: N[] = f.ownLoss ? [] : [
    { opType: 'Mul', input: ['y', 'R'], output: ['yr'] },
    { opType: 'ReduceSum', input: ['yr'], output: ['loss'], attribute: [int('keepdims', 0)] },
  ];
  return encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(f.opset && f.opset > 17 ? 9 : 8), opsetImport: [{ domain: '', version: Long.fromNumber(f.opset ?? 17) }],
    graph: {
      name: 'fixture', node: [...f.nodes, ...lossNodes],
      input: [{ name: 'x', type: tt(f.xDims ?? f.x) }],
      output: [{ name: 'loss', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [] } } } }],
      initializer: [
        ...(f.ownLoss ? [] : [f32('R', f.y, randomArray(size(f.y), 99))]),
        ...(f.params ?? []).map((p, i) => f32(p.name, p.dims, randomArray(size(p.dims), 10 + i, p.lo ?? -1, p.hi ?? 1))),
        ...(f.constants ?? []),
      ],
    },
  }) as never);
}

export function gradientOf(f: Fixture) {
  const m = modelFromProto(decodeModel(fixtureModel(f)));
  const report = buildGradient(m, { loss: 'loss', wrt: ['x', ...(f.params ?? []).map((p) => p.name)] });
  const bytes = encodeModel(modelToProto(m));
  const feeds: Record<string, TensorLike> = { x: { type: 'float32', data: randomArray(size(f.x), 7, ...(f.xRange ?? [-2, 2])), dims: f.x }, ...parameterFeeds(report) };
  return { model: m, report, bytes, feeds };
}

/** Central differences in ORT against the gradient model, for every differentiated tensor. */
export async function checkWithOrt(label: string, f: Fixture): Promise<void> {
  const { report, bytes, feeds } = gradientOf(f);
  const result = await checkGradients(bytes, report, feeds, { samples: 8, seed: 3 });
  assert.equal(result.precision, f.float32 ? 'float32' : 'float64', `${label}: the loss runs in ${f.float32 ? 'float32' : 'float64'}`);
  assert.equal(result.tensors.length, 1 + (f.params?.length ?? 0), `${label}: every tensor differentiated`);
  for (const t of result.tensors) {
    assert.ok(t.checked >= 1, `${label}: ${t.tensor} has checked samples`);
    assert.ok(t.maxRelError < (f.float32 ? 2e-3 : 1e-3), `${label}: ${t.tensor} relative error ${t.maxRelError}`);
  }
}

const backends = createBackends();


/** The gradient model on wasm and webgpu gives cpu's gradients (relative 1e-4 of each tensor's largest element). */
export async function checkAcrossEps(label: string, f: Fixture, eps: readonly string[] = ['wasm', 'webgpu']): Promise<void> {
  const { report, bytes, feeds } = gradientOf(f);
  const cpu = await runOnce(backends.get('cpu'), bytes, feeds);
  for (const ep of eps) {
    const out = await runOnce(backends.get(ep), bytes, feeds);
    for (const g of report.gradients) {
      const want = cpu[g.gradient]!;
      assert.ok(Array.from(want.data as ArrayLike<number>).some((v) => Number(v) !== 0), `${label}: ${g.gradient} is not all zeros on cpu`);
      const d = relError(out[g.gradient], want);
      assert.ok(d < 1e-4, `${label} on ${ep}: ${g.gradient} differs from cpu by ${d}`);
    }
  }
}
