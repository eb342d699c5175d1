/**
 * What `trelu inspect` reports about a model, as a plain JSON-able object.
 */
import Long from 'long';
import { AttributeType, type TensorProto, type TypeProto } from '../onnx/proto.js';
import { dataTypeInfo, dataTypeName, rawByteLength } from '../onnx/dtypes.js';
import { isExternal, externalDataInfo } from '../onnx/external-data.js';
import { has } from '../onnx/decode.js';
import type { Model } from './model.js';
import { graphPlaces, functionLabel } from './locations.js';
import type { Node } from './node.js';
import type { Value } from './value.js';

export interface ValueSummary {
  name: string;
  /** e.g. `float32[N,3,224,224]`, `float32[?]` (unknown rank), `unknown`. */
  type: string;
}

export interface ThresholdedReluSummary {
  name: string;
  domain: string;
  alpha: number;
  /** Whether alpha was absent and the default 1.0 applies. */
  alphaDefault: boolean;
  inputType: string;
  /** Where the node lives: `graph`, `graph/If 'cond'.then_branch`, `function custom.Foo`. */
  location: string;
}

export interface ModelSummary {
  irVersion: number;
  producer: { name: string; version: string };
  opsetImports: { domain: string; version: number }[];
  opCounts: Record<string, number>;
  nodes: number;
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  initializers: { count: number; bytes: number; externalCount: number };
  subgraphs: number;
  functions: string[];
  externalDataFiles: { location: string; tensors: number; bytes?: number }[];
  thresholdedRelu: ThresholdedReluSummary[];
}

export function summarizeModel(model: Model, externalFileSizes: ReadonlyMap<string, number> = new Map()): ModelSummary {
  const opCounts: Record<string, number> = Object.create(null); // op types are model data: 'constructor' and '__proto__' are keys too
  const trelu: ThresholdedReluSummary[] = [];
  let nodes = 0;
  const places = graphPlaces(model);
  for (const { graph, location } of places) {
    for (const node of graph) {
      nodes++;
      const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
      opCounts[key] = (opCounts[key] ?? 0) + 1;
      if (node.opType === 'ThresholdedRelu') trelu.push(summarizeTrelu(node, location));
    }
  }
  const subgraphs = places.filter((p) => p.location.includes('/')).length;

  const ext = new Map<string, { tensors: number }>();
  let initCount = 0;
  let initBytes = 0;
  let externalCount = 0;
  for (const { graph } of model.allGraphs()) {
    for (const v of graph.initializers) {
      initCount++;
      const t = v.initializer!;
      initBytes += tensorByteLength(t) ?? 0;
      if (isExternal(t)) {
        externalCount++;
        const loc = externalDataInfo(t).relativePath;
        const e = ext.get(loc) ?? { tensors: 0 };
        e.tensors++;
        ext.set(loc, e);
      }
    }
  }
  const proto = model.proto;
  return {
    irVersion: model.irVersion,
    producer: { name: proto?.producerName ?? '', version: proto?.producerVersion ?? '' },
    opsetImports: [...model.opsetImports].map(([domain, version]) => ({ domain, version })),
    opCounts: Object.fromEntries(Object.entries(opCounts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    nodes,
    inputs: model.graph.inputs.filter((v) => !v.initializer).map(summarizeValue),
    outputs: model.graph.outputs.map(summarizeValue),
    initializers: { count: initCount, bytes: initBytes, externalCount },
    subgraphs,
    functions: model.functions.map(functionLabel),
    externalDataFiles: [...ext].map(([location, e]) => ({ location, tensors: e.tensors, bytes: externalFileSizes.get(location) })),
    thresholdedRelu: trelu,
  };
}

function summarizeTrelu(node: Node, location: string): ThresholdedReluSummary {
  const a = node.attribute('alpha');
  const alphaDefault = !a;
  const alpha = a && a.type === AttributeType.FLOAT ? a.f : a ? NaN : 1.0;
  const x = node.inputs[0];
  return { name: node.name, domain: node.domain, alpha, alphaDefault, inputType: x ? typeString(x) : 'missing', location };
}

function summarizeValue(v: Value): ValueSummary {
  return { name: v.name, type: typeString(v) };
}

/** `float32[N,3,224,224]` for a tensor value; `unknown` when nothing is declared. */
export function typeString(v: Value): string {
  if (v.initializer) return `${elemName(v.initializer.dataType)}[${v.initializer.dims.map((d) => Long.fromValue(d).toString()).join(',')}]`;
  return typeProtoString(v.type);
}

export function typeProtoString(t: TypeProto | undefined | null): string {
  if (!t) return 'unknown';
  if (t.tensorType) {
    const tt = t.tensorType;
    const elem = has(tt, 'elemType') ? elemName(tt.elemType ?? 0) : '?';
    if (!tt.shape) return `${elem}[?]`;
    const dims = (tt.shape.dim ?? []).map((d) => (d.dimValue != null && has(d, 'dimValue') ? Long.fromValue(d.dimValue).toString() : d.dimParam || '?'));
    return `${elem}[${dims.join(',')}]`;
  }
  if (t.sequenceType) return `seq(${typeProtoString(t.sequenceType.elemType as TypeProto)})`;
  if (t.optionalType) return `optional(${typeProtoString(t.optionalType.elemType as TypeProto)})`;
  if (t.mapType) return `map(${elemName(t.mapType.keyType ?? 0)},${typeProtoString(t.mapType.valueType as TypeProto)})`;
  if (t.sparseTensorType) return `sparse(${elemName(t.sparseTensorType.elemType ?? 0)})`;
  return 'unknown';
}

function elemName(id: number): string {
  return dataTypeInfo(id)?.ortName ?? dataTypeName(id).toLowerCase();
}

/** Bytes of tensor data, whether in raw_data, typed fields or external data; undefined if unknowable. */
export function tensorByteLength(t: TensorProto): number | undefined {
  if (isExternal(t)) return externalDataInfo(t).length;
  if (has(t, 'rawData')) return t.rawData.length;
  const count = t.dims.reduce((n, d) => n * Long.fromValue(d).toNumber(), 1);
  return rawByteLength(t.dataType, count);
}
