/**
 * The map-based inference API of earlier releases, kept for code built on it;
 * nothing in this package uses it any more. New code: `inferModel(model)`,
 * then `value.dtype` / `value.shapeInfo` (or `valueInfo(value)`).
 */
import Long from 'long';
import { DataType, type TensorProto } from '../onnx/proto.js';
import { has } from '../onnx/decode.js';
import { isExternal } from '../onnx/external-data.js';
import type { Model } from './model.js';
import type { Node } from './node.js';
import type { Value } from './value.js';
import { graphPlaces } from './locations.js';
import { inferModel, inferNodesWith, mapStore, valueInfo, type TensorInfo } from './infer/index.js';

export { inferModel, valueInfo, broadcastShapes, type Dim, type TensorInfo } from './infer/index.js';

/**
 * Infers the model (recording on its values) and returns what is known about every value, as a map.
 * @deprecated Use `inferModel(model)` and read `value.dtype` / `value.shapeInfo`.
 */
export function inferTypes(model: Model): Map<Value, TensorInfo> {
  inferModel(model);
  const info = new Map<Value, TensorInfo>();
  for (const { graph } of graphPlaces(model)) {
    for (const v of [...graph.inputs, ...graph.initializers, ...graph.sparseInitializers]) info.set(v, valueInfo(v));
    for (const n of graph) for (const v of n.outputs) info.set(v, valueInfo(v));
  }
  return info;
}

/**
 * Types `nodes`, in the order given (producers before consumers), from what
 * `info` (or, failing that, the values themselves) knows about their inputs,
 * and records their outputs in `info` and on the values.
 * @deprecated Use `inferNodesOnValues(nodes, opset)` and read the values.
 */
export function inferNodes(nodes: Iterable<Node>, info: Map<Value, TensorInfo>): void {
  inferNodesWith(nodes, mapStore(info));
}

/** Element values of a constant int64 tensor (for shape inputs), if it is one. */
export function constantInts(t: TensorProto | undefined): number[] | undefined {
  if (!t || isExternal(t) || t.dataType !== DataType.INT64) return undefined;
  if (has(t, 'rawData')) {
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Array.from({ length: t.rawData.length / 8 }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
  }
  return t.int64Data.map((v) => Long.fromValue(v).toNumber());
}
