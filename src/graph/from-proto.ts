/**
 * ModelProto → IR. Values are resolved by name through nested scopes, so a
 * subgraph node that reads an outer name gets the outer Value itself. Names
 * nobody defines become dangling Values (no graph), kept so that the model
 * still round-trips and the validator can report them.
 */
import type { FunctionProto, GraphProto, ModelProto, NodeProto, ValueInfoProto } from '../onnx/proto.js';
import { onnx, AttributeType } from '../onnx/proto.js';
import { Graph } from './graph.js';
import { Model, OnnxFunction } from './model.js';
import { NameAuthority } from './names.js';
import { Node } from './node.js';
import { Value } from './value.js';

class Scope {
  private readonly names = new Map<string, Value>();
  constructor(readonly parent?: Scope) {}
  define(v: Value): void {
    if (v.name && !this.names.has(v.name)) this.names.set(v.name, v);
  }
  lookup(name: string): Value | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }
  local(name: string): Value | undefined {
    return this.names.get(name);
  }
}

interface Ctx {
  values: NameAuthority;
  nodes: NameAuthority;
  dangling: Map<string, Value>;
}

export function modelFromProto(proto: ModelProto): Model {
  const ctx: Ctx = { values: new NameAuthority(), nodes: new NameAuthority(), dangling: new Map() };
  const graph = graphFromProto((proto.graph ?? onnx.GraphProto.create()) as GraphProto, new Scope(), ctx);
  const functions = (proto.functions ?? []).map((f) => functionFromProto(f as FunctionProto));
  return new Model({
    graph,
    functions,
    opsetImports: opsetMap(proto.opsetImport ?? []),
    irVersion: Number(proto.irVersion ?? 0),
    proto,
    valueNames: ctx.values,
    nodeNames: ctx.nodes,
  });
}

function opsetMap(entries: readonly { domain?: string | null; version?: unknown }[]): Map<string, number> {
  return new Map(entries.map((e) => [e.domain ?? '', Number(e.version ?? 0)]));
}

function graphFromProto(gp: GraphProto, scope: Scope, ctx: Ctx): Graph {
  const graph = new Graph({ proto: gp });
  const define = (v: Value) => {
    v.graph = graph;
    scope.define(v);
    ctx.values.register(v.name);
  };
  for (const vi of gp.input ?? []) {
    const v = new Value(vi.name ?? '', { info: vi as ValueInfoProto });
    define(v);
    graph.inputs.push(v);
  }
  for (const t of gp.initializer ?? []) {
    // Before IR 4 initializers were also listed as inputs: then input and initializer are one value.
    const existing = scope.local(t.name ?? '');
    const v = existing && !existing.initializer && graph.inputs.includes(existing) ? existing : new Value(t.name ?? '');
    v.initializer = t as Value['initializer'];
    if (v !== existing) define(v);
    graph.initializers.push(v);
  }
  for (const st of gp.sparseInitializer ?? []) {
    const name = st.values?.name ?? '';
    const existing = scope.local(name);
    const v = existing && graph.inputs.includes(existing) ? existing : new Value(name);
    if (v !== existing) define(v);
    graph.sparseInitializers.push(v);
    v.sparseInitializer = st as Value['sparseInitializer'];
  }
  // Outputs of all nodes first, so that unsorted graphs resolve forward references.
  const outputs = (gp.node ?? []).map((np) =>
    (np.output ?? []).map((name) => {
      const v = new Value(name);
      define(v);
      return v;
    }),
  );
  (gp.node ?? []).forEach((np, i) => graph.append(nodeFromProto(np as NodeProto, outputs[i]!, scope, ctx)));
  for (const vi of gp.output ?? []) {
    const v = resolve(vi.name ?? '', scope, ctx) ?? new Value('');
    graph.outputs.push(v);
    graph.outputInfos.set(v, vi as ValueInfoProto);
    v.info ??= vi as ValueInfoProto;
  }
  for (const vi of gp.valueInfo ?? []) {
    const v = scope.local(vi.name ?? '');
    if (v) {
      v.info ??= vi as ValueInfoProto;
      graph.valueInfos.push({ value: v, proto: vi as ValueInfoProto });
    } else {
      graph.valueInfos.push({ value: undefined, proto: vi as ValueInfoProto });
    }
  }
  return graph;
}

function resolve(name: string, scope: Scope, ctx: Ctx): Value | undefined {
  if (!name) return undefined;
  const v = scope.lookup(name);
  if (v) return v;
  let d = ctx.dangling.get(name);
  if (!d) {
    d = new Value(name);
    ctx.dangling.set(name, d);
    ctx.values.register(name);
  }
  return d;
}

function nodeFromProto(np: NodeProto, outputs: Value[], scope: Scope, ctx: Ctx): Node {
  ctx.nodes.register(np.name ?? '');
  const subgraphs = new Map<string, Graph[]>();
  for (const a of np.attribute ?? []) {
    if (a.type === AttributeType.GRAPH && a.g) subgraphs.set(a.name ?? '', [graphFromProto(a.g as GraphProto, new Scope(scope), ctx)]);
    else if (a.type === AttributeType.GRAPHS && a.graphs?.length) {
      subgraphs.set(a.name ?? '', a.graphs.map((g) => graphFromProto(g as GraphProto, new Scope(scope), ctx)));
    }
  }
  return new Node({
    domain: np.domain ?? '',
    opType: np.opType ?? '',
    overload: np.overload ?? '',
    name: np.name ?? '',
    inputs: (np.input ?? []).map((name) => resolve(name, scope, ctx)),
    outputs,
    attributes: (np.attribute ?? []) as Node['attributes'],
    subgraphs,
    proto: np,
  });
}

function functionFromProto(fp: FunctionProto): OnnxFunction {
  const body = new Graph({ name: fp.name ?? '' });
  const fn = new OnnxFunction({
    domain: fp.domain ?? '',
    name: fp.name ?? '',
    overload: fp.overload ?? '',
    attributeNames: [...(fp.attribute ?? [])],
    opsetImports: opsetMap(fp.opsetImport ?? []),
    body,
    proto: fp,
  });
  const ctx: Ctx = { values: fn.valueNames, nodes: fn.nodeNames, dangling: new Map() };
  const scope = new Scope();
  const define = (v: Value) => {
    v.graph = body;
    scope.define(v);
    ctx.values.register(v.name);
  };
  for (const name of fp.input ?? []) {
    const v = new Value(name);
    define(v);
    body.inputs.push(v);
  }
  const outputs = (fp.node ?? []).map((np) => (np.output ?? []).map((name) => { const v = new Value(name); define(v); return v; }));
  (fp.node ?? []).forEach((np, i) => body.append(nodeFromProto(np as NodeProto, outputs[i]!, scope, ctx)));
  for (const name of fp.output ?? []) body.outputs.push(resolve(name, scope, ctx) ?? new Value(''));
  for (const vi of fp.valueInfo ?? []) {
    const v = scope.local(vi.name ?? '');
    if (v) v.info ??= vi as ValueInfoProto;
    body.valueInfos.push({ value: v, proto: vi as ValueInfoProto });
  }
  return fn;
}
