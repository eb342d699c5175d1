/**
 * A float64 copy of a model's forward computation, for finite differences:
 * float32 rounding (~1e-7 of the loss) would swamp the differences at the
 * small steps that keep clear of ThresholdedRelu's and Relu's kinks.
 * ThresholdedRelu is decomposed first (ORT's CPU kernel is float-only; the
 * Where/Less form runs in double), and so are Conv (see lowerConv) and linear
 * Resize (float64-resize.ts). Throws if
 * a float32 constant cannot be read.
 */
import Long from 'long';
import { onnx, AttributeType, DataType, type AttributeProto, type TensorProto, type TypeProto, type ValueInfoProto } from '../onnx/proto.js';
import { cloneShallow } from '../onnx/walk.js';
import type { Model } from '../graph/model.js';
import { attr } from '../graph/attributes.js';
import { applyRules } from '../rewrite/rule.js';
import { decomposeThresholdedRelu } from '../rewrite/rules/decompose-thresholded-relu.js';
import { tensorValues } from '../rewrite/constants.js';
import { eliminateDeadNodes } from '../graph/passes.js';
import type { Node } from '../graph/node.js';
import { Builder } from '../graph/builder.js';
import { inferModel } from '../graph/infer/index.js';
import { replaceValue } from '../graph/mutate.js';
import { makeTensor } from '../onnx/tensor.js';
import { isAiOnnxDomain } from '../onnx/domain.js';
import { lowerLinearResizes } from './float64-resize.js';
import { lowerDepthwiseConv } from './float64-depthwise.js';

function doubleTensor(t: TensorProto): TensorProto {
  const c = tensorValues(t);
  if (!c) throw new Error(`cannot read float tensor '${t.name}'`);
  const out = onnx.TensorProto.create({ name: t.name, dims: t.dims, dataType: DataType.DOUBLE, rawData: new Uint8Array(Float64Array.from(c.values).buffer) }) as TensorProto;
  return out;
}

function retypeInfo(vi: ValueInfoProto | undefined): ValueInfoProto | undefined {
  const tt = vi?.type?.tensorType;
  if (!vi || !tt || tt.elemType !== DataType.FLOAT) return vi;
  const type = cloneShallow(vi.type as TypeProto);
  type.tensorType = Object.assign(cloneShallow(tt), { elemType: DataType.DOUBLE });
  return Object.assign(cloneShallow(vi), { type });
}

function retypeAttribute(a: AttributeProto): AttributeProto {
  if (a.type === AttributeType.TENSOR && a.t && a.t.dataType === DataType.FLOAT) return attr.tensor(a.name, doubleTensor(a.t));
  if (a.name === 'value_float' && a.type === AttributeType.FLOAT && !a.refAttrName) return attr.tensor('value', doubleTensor(onnx.TensorProto.create({ dataType: DataType.FLOAT, dims: [], floatData: [a.f] }) as TensorProto));
  if (a.name === 'value_floats' && a.type === AttributeType.FLOAT) return attr.tensor('value', doubleTensor(onnx.TensorProto.create({ dataType: DataType.FLOAT, dims: [Long.fromNumber(a.floats.length)], floatData: [...a.floats] }) as TensorProto));
  if (a.name === 'to' && a.type === AttributeType.INT && Long.fromValue(a.i).toNumber() === DataType.FLOAT) return attr.int('to', DataType.DOUBLE);
  return a;
}

/**
 * ORT's CPU Conv is float-only: a 2-D, group-1 Conv with known shapes becomes
 * im2col by Gather with constant indices, then MatMul (both run in double).
 * Other Convs are left alone (the copy then fails to load in double and the
 * check falls back to float32).
 */
function lowerConv(model: Model, node: Node): void {
  inferModel(model);
  const [x, w, bias] = node.inputs;
  const xs = x?.shapeInfo;
  const ws = w?.shapeInfo;
  const list = (name: string, d: number[]) => node.attrs.ints(name, d);
  if (!xs || !ws || xs.length !== 4 || node.attrs.int('group', 1) !== 1 || node.attrs.string('auto_pad', 'NOTSET') !== 'NOTSET') return;
  const [, c, h, wd] = xs;
  const [m, , kh, kw] = ws;
  if (![c, h, wd, m, kh, kw].every((d) => typeof d === 'number')) return;
  const [C, H, W, M, KH, KW] = [c, h, wd, m, kh, kw] as number[];
  const [sh, sw] = list('strides', [1, 1]);
  const [dh, dw] = list('dilations', [1, 1]);
  const pads = list('pads', [0, 0, 0, 0]);
  const Hp = H! + pads[0]! + pads[2]!;
  const Wp = W! + pads[1]! + pads[3]!;
  const OH = Math.floor((Hp - ((KH! - 1) * dh! + 1)) / sh!) + 1;
  const OW = Math.floor((Wp - ((KW! - 1) * dw! + 1)) / sw!) + 1;
  const idx = new BigInt64Array(OH * OW * C! * KH! * KW!);
  let k = 0;
  for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let ci = 0; ci < C!; ci++) for (let a = 0; a < KH!; a++) for (let e = 0; e < KW!; e++) {
    idx[k++] = BigInt(ci * Hp * Wp + (oh * sh! + a * dh!) * Wp + (ow * sw! + e * dw!));
  }
  const b = new Builder(model, model.graph, { before: node });
  const c64 = (name: string, dims: number[], data: BigInt64Array) => b.op('Constant', [], { name, attributes: [attr.tensor('value', makeTensor('', dims, data))] });
  const padded = pads.some((p) => p !== 0) ? b.op('Pad', [x, c64('im2col_pads', [8], BigInt64Array.from([0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!].map(BigInt)))], { name: 'im2col_pad' }) : x!;
  const flat = b.op('Reshape', [padded, c64('im2col_flat', [2], BigInt64Array.from([0n, BigInt(C! * Hp * Wp)]))], { name: 'im2col_flat' });
  const patches = b.op('Gather', [flat, c64('im2col_idx', [OH * OW, C! * KH! * KW!], idx)], { name: 'im2col', attributes: [attr.int('axis', 1)] });
  const w2 = b.op('Reshape', [w, c64('im2col_w', [2], BigInt64Array.from([BigInt(M!), BigInt(C! * KH! * KW!)]))], { name: 'im2col_w' });
  const prod = b.op('MatMul', [patches, b.op('Transpose', [w2], { name: 'im2col_wt' })], { name: 'im2col_mm' });
  let y = b.op('Reshape', [b.op('Transpose', [prod], { name: 'im2col_t', attributes: [attr.ints('perm', [0, 2, 1])] }), c64('im2col_y', [4], BigInt64Array.from([0n, BigInt(M!), BigInt(OH), BigInt(OW)]))], { name: 'im2col_y' });
  if (bias) y = b.op('Add', [y, b.op('Reshape', [bias, c64('im2col_b', [3], BigInt64Array.from([BigInt(M!), 1n, 1n]))], { name: 'im2col_b' })], { name: 'im2col_bias' });
  replaceValue(node.outputs[0]!, y);
  model.graph.remove(node);
}

/** Converts `model` (the main graph; edited in place) to float64, keeping only what `outputs` need. */
export function toFloat64(model: Model, outputs: readonly string[]): void {
  const graph = model.graph;
  graph.outputs = graph.outputs.filter((v) => outputs.includes(v.name));
  eliminateDeadNodes.run(model);
  applyRules(model, [decomposeThresholdedRelu]);
  lowerLinearResizes(model); // its matrices are float32 initializers: before they are widened below
  for (const v of graph.initializers) if (v.initializer!.dataType === DataType.FLOAT) v.initializer = doubleTensor(v.initializer!);
  for (const v of [...graph.inputs, ...graph.outputs]) v.info = retypeInfo(v.info);
  for (const [v, vi] of graph.outputInfos) graph.outputInfos.set(v, retypeInfo(vi)!);
  graph.valueInfos = graph.valueInfos.map((e) => ({ value: e.value, proto: retypeInfo(e.proto)! }));
  for (const n of graph.nodes) {
    if (n.opType !== 'Conv' || !isAiOnnxDomain(n.domain)) continue;
    inferModel(model);
    if (!lowerDepthwiseConv(model, n)) lowerConv(model, n);
  }
  inferModel(model);
  for (const n of graph.nodes) {
    // ORT's CPU GlobalAveragePool is float-only; ReduceMean over the spatial axes is the same in double.
    if (n.opType === 'GlobalAveragePool' && isAiOnnxDomain(n.domain)) {
      const rank = n.inputs[0]?.shapeInfo?.length;
      if (rank !== undefined) {
        n.opType = 'ReduceMean';
        n.attributes = [attr.ints('axes', [...Array(rank).keys()].slice(2)), attr.int('keepdims', 1)];
      }
    }
    // ConstantOfShape without `value` makes float32 zeros: double ones here, like every other float.
    if (n.opType === 'ConstantOfShape' && isAiOnnxDomain(n.domain) && !n.attrs.has('value')) {
      n.attributes = [...n.attributes, attr.tensor('value', onnx.TensorProto.create({ dataType: DataType.DOUBLE, dims: [Long.fromNumber(1)], rawData: new Uint8Array(8) }) as TensorProto)];
    }
    n.attributes = n.attributes.map(retypeAttribute);
    for (const v of n.outputs) v.info = retypeInfo(v.info);
  }
}
