/**
 * A float64 copy of a model's forward computation, for finite differences:
 * float32 rounding (~1e-7 of the loss) would swamp the differences at the
 * small steps that keep clear of ThresholdedRelu's and Relu's kinks.
 * ThresholdedRelu is decomposed first (ORT's CPU kernel is float-only; the
 * Where/Less form runs in double). Throws if a float32 constant cannot be read.
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

/** Converts `model` (the main graph; edited in place) to float64, keeping only what `outputs` need. */
export function toFloat64(model: Model, outputs: readonly string[]): void {
  const graph = model.graph;
  graph.outputs = graph.outputs.filter((v) => outputs.includes(v.name));
  eliminateDeadNodes.run(model);
  applyRules(model, [decomposeThresholdedRelu]);
  for (const v of graph.initializers) if (v.initializer!.dataType === DataType.FLOAT) v.initializer = doubleTensor(v.initializer!);
  for (const v of [...graph.inputs, ...graph.outputs]) v.info = retypeInfo(v.info);
  for (const [v, vi] of graph.outputInfos) graph.outputInfos.set(v, retypeInfo(vi)!);
  graph.valueInfos = graph.valueInfos.map((e) => ({ value: e.value, proto: retypeInfo(e.proto)! }));
  for (const n of graph.nodes) {
    // ORT's CPU GlobalAveragePool is float-only; ReduceMean over the spatial axes is the same in double.
    if (n.opType === 'GlobalAveragePool' && (n.domain === '' || n.domain === 'ai.onnx')) {
      const rank = n.inputs[0]?.shape?.length ?? n.outputs[0]?.shape?.length;
      if (rank !== undefined) {
        n.opType = 'ReduceMean';
        n.attributes = [attr.ints('axes', [...Array(rank).keys()].slice(2)), attr.int('keepdims', 1)];
      }
    }
    n.attributes = n.attributes.map(retypeAttribute);
    for (const v of n.outputs) v.info = retypeInfo(v.info);
  }
}
