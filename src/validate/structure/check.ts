/**
 * The structural check behind `trelu validate --full`: what onnx.checker's
 * check_model (onnx 1.12, onnx/checker.cc) checks, on the decoded proto, so
 * that a model it passes is one onnx's checker passes and the other way round:
 * - model: ir_version set and not above 8, opset imports (required from IR 3),
 *   unique metadata keys;
 * - graph: a name; inputs/outputs named and, in the main graph, typed;
 *   single static assignment (no name assigned twice, shadowing an outer scope
 *   included); nodes in topological order (every input defined before, in this
 *   graph or an enclosing one); initializers named, unique, and (IR <= 3)
 *   graph inputs;
 * - node: an op_type, at least one input or output, its domain imported,
 *   unique attribute names, and for the built-in domains an operator
 *   registered at the imported opset, not deprecated, whose input/output
 *   counts, attribute names, types and required attributes match its schema;
 * - attribute: a name, a type, at most one value field, matching the type;
 * - tensor: a data type, exactly one value field for a non-empty tensor, in
 *   the field its data type uses; external data with a location.
 * Subgraphs are checked in the scope of their node. Browser-safe.
 *
 * Not covered (the check abstains, `covered: false`): model-local functions,
 * sparse tensors, and external data files (onnx opens them; this check has no
 * file system).
 */
import Long from 'long';
import { has } from '../../onnx/decode.js';
import { onnx, type ModelProto } from '../../onnx/proto.js';
import { OP_SCHEMAS } from './schemas.generated.js';
import type { OpSchemaVersion } from './schema-types.js';

export interface StructureFinding {
  code: StructureCode;
  message: string;
  /** Where: 'graph', 'graph/node[3] (Relu)', 'graph/node[3]/then_branch'. */
  location: string;
}

export type StructureCode =
  | 'S_MODEL' | 'S_OPSET' | 'S_GRAPH' | 'S_VALUE_INFO' | 'S_SSA' | 'S_TOPOLOGICAL_ORDER' | 'S_INITIALIZER'
  | 'S_NODE' | 'S_UNKNOWN_OP' | 'S_DEPRECATED_OP' | 'S_ARITY' | 'S_ATTRIBUTE' | 'S_TENSOR';

export interface StructureReport {
  findings: StructureFinding[];
  /** false where the model uses something this check does not cover (see `uncovered`): then only findings speak. */
  covered: boolean;
  uncovered: string[];
}

/** IR_VERSION of onnx 1.12's checker. */
export const CHECKER_IR_VERSION = 8;

const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;
const BUILTIN_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.training']);

class Scope {
  private readonly names = new Set<string>();
  constructor(private readonly parent?: Scope) {}
  add(n: string): void { this.names.add(n); }
  hasHere(n: string): boolean { return this.names.has(n); }
  has(n: string): boolean { return this.names.has(n) || (this.parent?.has(n) ?? false); }
}

interface Ctx {
  ir: number;
  opsets: Map<string, number>;
  findings: StructureFinding[];
  uncovered: Set<string>;
}

const num = (v: unknown): number => Number(v ?? 0);
/** The low 32 bits, signed: what onnx's static_cast<int> makes of an int64 version. */
const int32 = (v: unknown): number => (v == null ? 0 : Long.fromValue(v as Long | number | string).toInt());

export function checkStructure(model: ModelProto): StructureReport {
  const findings: StructureFinding[] = [];
  const ir = Long.fromValue((model.irVersion ?? 0) as Long | number);
  const ctx: Ctx = { ir: int32(model.irVersion), opsets: new Map(), findings, uncovered: new Set() };
  const fail = (code: StructureCode, message: string, location = 'model') => findings.push({ code, message, location });
  if (ir.isZero()) fail('S_MODEL', 'the model does not set ir_version');
  else if (ir.greaterThan(CHECKER_IR_VERSION)) fail('S_MODEL', `ir_version ${ir.toString()} is above ${CHECKER_IR_VERSION}, the highest onnx 1.12 knows`);
  const keys = new Set<string>();
  for (const e of model.metadataProps ?? []) {
    if (keys.has(e.key ?? '')) fail('S_MODEL', `metadata_props has the key '${e.key}' twice`);
    keys.add(e.key ?? '');
  }
  for (const o of model.opsetImport ?? []) ctx.opsets.set(o.domain ?? '', int32(o.version)); // the last import of a domain wins, as in onnx
  if (ctx.ir >= 3) {
    if (ctx.opsets.size === 0) fail('S_OPSET', 'a model of IR version 3 or later must import an opset');
  } else if (ctx.opsets.size === 0) {
    ctx.opsets.set('', 1);
  } else {
    fail('S_OPSET', 'a model of IR version below 3 cannot import opsets');
  }
  if (ctx.ir >= 8 && model.functions?.length) ctx.uncovered.add('model-local functions');
  checkGraph(model.graph ?? onnx.GraphProto.create(), ctx, new Scope(), true, 'graph');
  return { findings, covered: ctx.uncovered.size === 0, uncovered: [...ctx.uncovered] };
}

function checkValueInfo(vi: onnx.IValueInfoProto, ctx: Ctx, main: boolean, where: string): void {
  const fail = (m: string) => ctx.findings.push({ code: 'S_VALUE_INFO', message: m, location: where });
  if (!vi.name) return void fail('a graph input or output has no name');
  if (!main) return; // onnx relaxes subgraph inputs and outputs to a name
  const t = vi.type;
  if (!t || !has(vi as object, 'type' as never)) return void fail(`'${vi.name}' has no type`);
  if (t.tensorType) {
    if (!has(t.tensorType as object, 'elemType' as never)) fail(`'${vi.name}': tensor type without elem_type`);
    if (!has(t.tensorType as object, 'shape' as never)) fail(`'${vi.name}': tensor type without shape`);
  } else if (t.sparseTensorType) {
    ctx.uncovered.add('sparse tensors');
  } else if (t.sequenceType) {
    if (!has(t.sequenceType as object, 'elemType' as never)) fail(`'${vi.name}': sequence type without elem_type`);
  } else if (t.optionalType) {
    if (!has(t.optionalType as object, 'elemType' as never)) fail(`'${vi.name}': optional type without elem_type`);
  } else if (t.mapType) {
    if (!has(t.mapType as object, 'keyType' as never) || !has(t.mapType as object, 'valueType' as never)) fail(`'${vi.name}': map type without key or value type`);
  } else if (!t.opaqueType) {
    fail(`'${vi.name}': type with no value (not a tensor, sequence, map, optional or opaque type)`);
  }
}

function checkGraph(g: onnx.IGraphProto, ctx: Ctx, parent: Scope, main: boolean, where: string): void {
  const fail = (code: StructureCode, m: string, loc = where) => ctx.findings.push({ code, message: m, location: loc });
  if (!g.name) fail('S_GRAPH', 'the graph has no name');
  for (const vi of g.input ?? []) checkValueInfo(vi, ctx, main, where);
  for (const vi of g.output ?? []) checkValueInfo(vi, ctx, main, where);
  const scope = new Scope(parent);
  for (const vi of g.input ?? []) {
    if (scope.hasHere(vi.name ?? '')) fail('S_SSA', `'${vi.name}' is a graph input more than once`);
    scope.add(vi.name ?? '');
  }
  const inits = new Set<string>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    if (!name) fail('S_INITIALIZER', 'an initializer has no name');
    else if (inits.has(name)) fail('S_INITIALIZER', `initializer '${name}' is not unique`);
    inits.add(name);
    checkTensor(t, ctx, `${where}/initializer '${name}'`);
    if (ctx.ir <= 3) {
      if (!scope.hasHere(name)) fail('S_INITIALIZER', `initializer '${name}' is not a graph input (required below IR version 4)`);
    } else {
      scope.add(name);
    }
  }
  if (g.sparseInitializer?.length) ctx.uncovered.add('sparse tensors');
  (g.node ?? []).forEach((n, i) => {
    const loc = `${where}/node[${i}]${n.opType ? ` (${n.opType})` : ''}`;
    for (const input of n.input ?? []) {
      if (input && !scope.has(input)) fail('S_TOPOLOGICAL_ORDER', `input '${input}' is not a graph input, an initializer or the output of an earlier node`, loc);
    }
    checkNode(n, ctx, scope, main, loc);
    for (const output of n.output ?? []) {
      if (!output) continue;
      if (scope.has(output)) fail('S_SSA', `'${output}' is assigned more than once`, loc);
      scope.add(output);
    }
  });
}

function checkNode(n: onnx.INodeProto, ctx: Ctx, scope: Scope, main: boolean, where: string): void {
  const fail = (code: StructureCode, m: string) => ctx.findings.push({ code, message: m, location: where });
  if (!n.opType) fail('S_NODE', 'the node has no op_type');
  if (!(n.input?.length) && !(n.output?.length)) fail('S_NODE', 'the node has no inputs and no outputs');
  const domain = n.domain ?? '';
  const version = ctx.opsets.get(domain);
  if (version === undefined) {
    fail('S_OPSET', `no opset import for domain '${domain}'`);
    return;
  }
  const seen = new Set<string>();
  for (const a of n.attribute ?? []) {
    if (seen.has(a.name ?? '')) fail('S_ATTRIBUTE', `attribute '${a.name}' appears more than once`);
    seen.add(a.name ?? '');
    checkAttribute(a, ctx, scope, main, where);
  }
  // Schemas are registered under '' for ai.onnx: onnx 1.12 finds none for a node that spells its domain 'ai.onnx'.
  const schema = schemaAt(domain, n.opType ?? '', version);
  if (!schema && !BUILTIN_DOMAINS.has(domain)) return; // other domains: onnx has no schema to hold the node against
  if (!schema) return void fail('S_UNKNOWN_OP', `no operator ${n.opType} registered in domain '${domain}' at opset ${version}`);
  verify(n, schema, fail);
}

const REPEATED_FIELD = new Map<number, string>([[A.FLOATS, 'floats'], [A.INTS, 'ints'], [A.STRINGS, 'strings'], [A.TENSORS, 'tensors'], [A.GRAPHS, 'graphs'], [A.SPARSE_TENSORS, 'sparseTensors'], [A.TYPE_PROTOS, 'typeProtos']]);

function schemaAt(domain: string, op: string, version: number): OpSchemaVersion | undefined {
  let found: OpSchemaVersion | undefined;
  for (const s of OP_SCHEMAS.get(`${domain}|${op}`) ?? []) if (s.since <= version) found = s;
  return found;
}

/** OpSchema::Verify. */
function verify(n: onnx.INodeProto, s: OpSchemaVersion, fail: (code: StructureCode, m: string) => void): void {
  if (s.deprecated) return void fail('S_DEPRECATED_OP', `${n.opType} is deprecated since opset ${s.since}`);
  const ins = n.input ?? [];
  const outs = n.output ?? [];
  if (ins.length < s.minIn || ins.length > s.maxIn) fail('S_ARITY', `${ins.length} inputs, ${n.opType}-${s.since} takes ${s.minIn}..${s.maxIn}`);
  if (outs.length < s.minOut || outs.length > s.maxOut) fail('S_ARITY', `${outs.length} outputs, ${n.opType}-${s.since} takes ${s.minOut}..${s.maxOut}`);
  const formal = (names: readonly string[], options: string, what: string) => {
    for (let i = 0; i < names.length; i++) {
      if (i >= options.length) {
        if (!options.endsWith('V')) fail('S_ARITY', `more ${what}s (${names.length}) than ${n.opType} declares (${options.length})`);
        break;
      }
      if (names[i] === '' && options[i] === 'S') fail('S_ARITY', `${what} ${i} is required but empty`);
    }
  };
  formal(ins, s.in, 'input');
  formal(outs, s.out, 'output');
  const seen = new Set<string>();
  for (const a of n.attribute ?? []) {
    const name = a.name ?? '';
    seen.add(name);
    if (name.startsWith('__')) continue;
    if (!Object.hasOwn(s.attrs, name)) {
      if (s.unchecked) continue;
      fail('S_ATTRIBUTE', `${n.opType} has no attribute '${name}'`);
      continue;
    }
    const expected = s.attrs[name]![0];
    if (num(a.type) !== expected) {
      fail('S_ATTRIBUTE', `attribute '${name}' has type ${num(a.type)}, ${n.opType} expects ${expected}`);
      continue;
    }
    if (a.refAttrName) continue;
    if (expected === A.TENSOR && !has(a as object, 't' as never)) fail('S_ATTRIBUTE', `attribute '${name}' has no tensor`);
    if (expected === A.GRAPH && !has(a as object, 'g' as never)) fail('S_ATTRIBUTE', `attribute '${name}' has no graph`);
    if (expected === A.TYPE_PROTO && !has(a as object, 'tp' as never)) fail('S_ATTRIBUTE', `attribute '${name}' has no type`);
    if (expected === A.SPARSE_TENSOR && !has(a as object, 'sparseTensor' as never)) fail('S_ATTRIBUTE', `attribute '${name}' has no sparse tensor`);
    // onnx 1.12 wants a list attribute's list non-empty.
    const list = REPEATED_FIELD.get(expected);
    if (list && !((a as Record<string, unknown>)[list] as unknown[] | undefined)?.length) fail('S_ATTRIBUTE', `attribute '${name}' has an empty ${list}`);
  }
  for (const [name, [, required]] of Object.entries(s.attrs)) {
    if (required && !seen.has(name)) fail('S_ATTRIBUTE', `required attribute '${name}' is missing`);
  }
}

/** check_attribute: value fields against the type, then tensors and subgraphs inside. */
function checkAttribute(a: onnx.IAttributeProto, ctx: Ctx, scope: Scope, main: boolean, where: string): void {
  const fail = (m: string) => ctx.findings.push({ code: 'S_ATTRIBUTE', message: m, location: where });
  if (!a.name) fail('an attribute has no name');
  const typed = has(a as object, 'type' as never);
  if (ctx.ir >= 2 && !typed) fail(`attribute '${a.name}' has no type`);
  const present: number[] = [];
  const single: [string, number][] = [['f', A.FLOAT], ['i', A.INT], ['s', A.STRING], ['t', A.TENSOR], ['g', A.GRAPH], ['sparseTensor', A.SPARSE_TENSOR], ['tp', A.TYPE_PROTO]];
  const repeated: [string, number][] = [['floats', A.FLOATS], ['ints', A.INTS], ['strings', A.STRINGS], ['tensors', A.TENSORS], ['graphs', A.GRAPHS], ['sparseTensors', A.SPARSE_TENSORS], ['typeProtos', A.TYPE_PROTOS]];
  for (const [field, type] of single) if (has(a as object, field as never)) present.push(type);
  for (const [field, type] of repeated) if (((a as Record<string, unknown>)[field] as unknown[] | undefined)?.length) present.push(type);
  if (typed && present.some((p) => p !== num(a.type))) fail(`attribute '${a.name}': its type and its value field disagree`);
  if (present.length > 1) fail(`attribute '${a.name}' has more than one value field`);
  if (!main && a.refAttrName && present.length) fail(`attribute '${a.name}' refers to a parent attribute and has a value`);
  if (a.sparseTensor || a.sparseTensors?.length) ctx.uncovered.add('sparse tensors');
  if (has(a as object, 't' as never)) checkTensor(a.t!, ctx, `${where}/${a.name}`);
  for (const t of a.tensors ?? []) checkTensor(t, ctx, `${where}/${a.name}`);
  if (has(a as object, 'g' as never)) checkGraph(a.g!, ctx, scope, false, `${where}/${a.name}`);
  for (const g of a.graphs ?? []) checkGraph(g, ctx, scope, false, `${where}/${a.name}`);
}

/** check_tensor. */
function checkTensor(t: onnx.ITensorProto, ctx: Ctx, where: string): void {
  const fail = (m: string) => ctx.findings.push({ code: 'S_TENSOR', message: m, location: where });
  if (!has(t as object, 'dataType' as never)) return void fail('the tensor has no data_type');
  if (num(t.dataType) === T.UNDEFINED) return void fail('the tensor\'s data_type is UNDEFINED');
  const fields: [string, number][] = [
    ['floatData', t.floatData?.length ?? 0], ['int32Data', t.int32Data?.length ?? 0], ['stringData', t.stringData?.length ?? 0],
    ['int64Data', t.int64Data?.length ?? 0], ['rawData', t.rawData?.length ?? 0], ['doubleData', t.doubleData?.length ?? 0], ['uint64Data', t.uint64Data?.length ?? 0],
  ];
  const used = fields.filter(([, n]) => n > 0).map(([f]) => f);
  if (has(t as object, 'dataLocation' as never) && num(t.dataLocation) === onnx.TensorProto.DataLocation.EXTERNAL) {
    if (used.length) fail(`stored externally, but has ${used[0]}`);
    if (!(t.externalData ?? []).some((e) => e.key === 'location' && has(e as object, 'value' as never))) fail('stored externally without a location');
    ctx.uncovered.add('external data files');
    return;
  }
  let elements = 1;
  for (const d of t.dims ?? []) elements *= num(d);
  if (elements === 0) {
    if (used.length) fail('a 0-element tensor holds data');
    return;
  }
  if (used.length !== 1) return void fail(`a tensor must hold its values in exactly one field (it has ${used.length})`);
  const dt = num(t.dataType);
  if (used[0] === 'rawData') {
    if (dt === T.STRING) fail('STRING data cannot be stored in raw_data');
    return;
  }
  const field = fieldFor(dt);
  if (field === undefined) fail(`unknown data_type ${dt}`);
  else if (field !== used[0]) fail(`values of data_type ${dt} belong in ${field}, not ${used[0]}`);
}

function fieldFor(dt: number): string | undefined {
  switch (dt) {
    case T.FLOAT: case T.COMPLEX64: return 'floatData';
    case T.DOUBLE: case T.COMPLEX128: return 'doubleData';
    case T.INT32: case T.UINT8: case T.INT8: case T.UINT16: case T.INT16: case T.BOOL: case T.FLOAT16: case T.BFLOAT16: return 'int32Data';
    case T.INT64: return 'int64Data';
    case T.UINT32: case T.UINT64: return 'uint64Data';
    case T.STRING: return 'stringData';
    default: return undefined;
  }
}
