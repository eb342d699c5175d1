/**
 * IR → ModelProto. Every message is a shallow copy of the one it was read
 * from, with only the IR-owned fields (names, inputs, outputs, node lists,
 * subgraphs) filled in from the IR; everything else (doc strings,
 * metadata_props, unknown fields, training_info, ...) comes through untouched.
 * A model read and written with no change encodes to the same bytes.
 */
import Long from 'long';
import { onnx, AttributeType, type AttributeProto, type FunctionProto, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/proto.js';
import { cloneShallow } from '../onnx/walk.js';
import type { Graph } from './graph.js';
import type { Model, OnnxFunction } from './model.js';
import type { Node } from './node.js';
import type { Value } from './value.js';

export function modelToProto(model: Model): ModelProto {
  const out = model.proto ? cloneShallow(model.proto) : onnx.ModelProto.create();
  if (Number(out.irVersion ?? 0) !== model.irVersion || !model.proto) out.irVersion = Long.fromNumber(model.irVersion);
  out.opsetImport = opsetList(model.opsetImports, model.proto?.opsetImport ?? []);
  const g = model.graph;
  if (!model.proto || Object.prototype.hasOwnProperty.call(model.proto, 'graph') || g.nodeCount || g.inputs.length || g.outputs.length) {
    out.graph = graphToProto(g);
  }
  if (model.functions.length || model.proto?.functions?.length) out.functions = model.functions.map(functionToProto);
  return out;
}

function opsetList(map: ReadonlyMap<string, number>, original: readonly onnx.OperatorSetIdProto[]): onnx.OperatorSetIdProto[] {
  const out: onnx.OperatorSetIdProto[] = [];
  const seen = new Set<string>();
  for (const e of original) {
    const domain = e.domain ?? '';
    const version = map.get(domain);
    if (version === undefined || seen.has(domain)) continue;
    seen.add(domain);
    out.push(Number(e.version ?? 0) === version ? e : Object.assign(cloneShallow(e), { version: Long.fromNumber(version) }));
  }
  for (const [domain, version] of map) {
    if (!seen.has(domain)) out.push(onnx.OperatorSetIdProto.create({ domain, version: Long.fromNumber(version) }));
  }
  return out;
}

function named<T extends { name?: string | null }>(proto: T, name: string): T {
  return proto.name === name ? proto : Object.assign(cloneShallow(proto), { name });
}

function valueInfoFor(v: Value, declared: ValueInfoProto | undefined): ValueInfoProto {
  const base = declared ?? v.info;
  return base ? named(base, v.name) : onnx.ValueInfoProto.create({ name: v.name });
}

function isLive(v: Value, graph: Graph): boolean {
  if (v.graph !== graph) return false;
  const p = v.producer();
  return p ? p.graph === graph : graph.inputs.includes(v) || graph.initializers.includes(v) || graph.sparseInitializers.includes(v);
}

/** value_info entries: the ones read (minus values that no longer exist), then new values that carry a type. */
function valueInfoList(graph: Graph, nodes: readonly Node[]): ValueInfoProto[] {
  const out: ValueInfoProto[] = [];
  const covered = new Set<Value>();
  for (const { value, proto } of graph.valueInfos) {
    if (!value) out.push(proto);
    else if (isLive(value, graph)) {
      out.push(named(proto, value.name));
      covered.add(value);
    }
  }
  const outputs = new Set(graph.outputs);
  for (const n of nodes) {
    for (const v of n.outputs) {
      if (v.info && v.name && !covered.has(v) && !outputs.has(v) && v.info.type) {
        out.push(named(v.info, v.name));
        covered.add(v);
      }
    }
  }
  return out;
}

export function graphToProto(graph: Graph): GraphProto {
  const out = graph.proto ? cloneShallow(graph.proto) : onnx.GraphProto.create();
  const nodes = graph.nodes;
  if (graph.name !== (graph.proto?.name ?? '')) out.name = graph.name;
  out.node = nodes.map(nodeToProto);
  out.input = graph.inputs.map((v) => valueInfoFor(v, undefined));
  out.output = graph.outputs.map((v) => valueInfoFor(v, graph.outputInfos.get(v)));
  out.initializer = graph.initializers.map((v) => named(v.initializer!, v.name));
  out.sparseInitializer = graph.sparseInitializers.map((v) => {
    const st = v.sparseInitializer!;
    return st.values && st.values.name !== v.name ? Object.assign(cloneShallow(st), { values: named(st.values, v.name) }) : st;
  });
  out.valueInfo = valueInfoList(graph, nodes);
  return out;
}

export function nodeToProto(node: Node): NodeProto {
  const out = node.proto ? cloneShallow(node.proto) : onnx.NodeProto.create();
  out.input = node.inputs.map((v) => v?.name ?? '');
  out.output = node.outputs.map((v) => v.name);
  setOptional(out, 'opType', node.opType, node.proto);
  setOptional(out, 'name', node.name, node.proto);
  setOptional(out, 'domain', node.domain, node.proto);
  setOptional(out, 'overload', node.overload, node.proto);
  out.attribute = node.attributes.map((a) => attributeToProto(a, node));
  return out;
}

/** Sets a string field, leaving it absent when it was absent and is still empty (so unchanged messages re-encode identically). */
function setOptional<T extends object, K extends keyof T & string>(out: T, field: K, value: string, original: T | undefined): void {
  const wasSet = original !== undefined && Object.prototype.hasOwnProperty.call(original, field);
  if (value === '' && !wasSet) delete (out as Partial<T>)[field];
  else (out as Record<string, unknown>)[field] = value;
}

function attributeToProto(a: AttributeProto, node: Node): AttributeProto {
  const subs = node.subgraphs.get(a.name ?? '');
  if (!subs) return a;
  if (a.type === AttributeType.GRAPH) return Object.assign(cloneShallow(a), { g: graphToProto(subs[0]!) });
  return Object.assign(cloneShallow(a), { graphs: subs.map(graphToProto) });
}

export function functionToProto(fn: OnnxFunction): FunctionProto {
  const out = fn.proto ? cloneShallow(fn.proto) : onnx.FunctionProto.create();
  out.name = fn.name;
  setOptional(out, 'domain', fn.domain, fn.proto);
  setOptional(out, 'overload', fn.overload, fn.proto);
  out.input = fn.body.inputs.map((v) => v.name);
  out.output = fn.body.outputs.map((v) => v.name);
  out.attribute = [...fn.attributeNames];
  const nodes = fn.body.nodes;
  out.node = nodes.map(nodeToProto);
  out.opsetImport = opsetList(fn.opsetImports, fn.proto?.opsetImport ?? []);
  out.valueInfo = valueInfoList(fn.body, nodes);
  return out;
}
