/**
 * A Model: the main graph, model-local functions and opset imports, over the
 * ModelProto it was read from. Fields the IR does not model (producer,
 * doc_string, metadata_props, training_info, ...) stay on `proto` and are
 * written back unchanged.
 */
import type { FunctionProto, ModelProto } from '../onnx/proto.js';
import { Graph } from './graph.js';
import { NameAuthority } from './names.js';
import { aiOnnxOpset } from '../onnx/domain.js';

/** A model-local function: a body graph whose inputs and outputs are the function's formal parameters. */
export class OnnxFunction {
  domain: string;
  name: string;
  overload: string;
  /** Attribute parameter names (FunctionProto.attribute). */
  attributeNames: string[];
  /** Opset imports of the body: domain → version. */
  opsetImports: Map<string, number>;
  readonly body: Graph;
  readonly proto?: FunctionProto;
  /** Names in this function's body (a separate scope from the model's graphs). */
  readonly valueNames = new NameAuthority();
  readonly nodeNames = new NameAuthority();

  constructor(init: { domain: string; name: string; overload?: string; attributeNames?: string[]; opsetImports?: Map<string, number>; body: Graph; proto?: FunctionProto }) {
    this.domain = init.domain;
    this.name = init.name;
    this.overload = init.overload ?? '';
    this.attributeNames = init.attributeNames ?? [];
    this.opsetImports = init.opsetImports ?? new Map();
    this.body = init.body;
    this.proto = init.proto;
  }

  /** The (domain, name, overload) key that nodes use to call this function. */
  get key(): string {
    return functionKey(this.domain, this.name, this.overload);
  }
}

export function functionKey(domain: string, name: string, overload = ''): string {
  return `${domain}::${name}${overload ? '::' + overload : ''}`;
}

export class Model {
  graph: Graph;
  functions: OnnxFunction[];
  /** domain ('' for ai.onnx) → opset version. */
  opsetImports: Map<string, number>;
  irVersion: number;
  readonly proto?: ModelProto;
  /** Value names of the main graph and its subgraphs. */
  readonly valueNames: NameAuthority;
  /** Node names of the main graph and its subgraphs. */
  readonly nodeNames: NameAuthority;

  constructor(init: { graph: Graph; functions?: OnnxFunction[]; opsetImports: Map<string, number>; irVersion: number; proto?: ModelProto; valueNames?: NameAuthority; nodeNames?: NameAuthority }) {
    this.graph = init.graph;
    this.functions = init.functions ?? [];
    this.opsetImports = init.opsetImports;
    this.irVersion = init.irVersion;
    this.proto = init.proto;
    this.valueNames = init.valueNames ?? new NameAuthority();
    this.nodeNames = init.nodeNames ?? new NameAuthority();
  }

  /** The ai.onnx opset version ('' or 'ai.onnx' domain), if imported. */
  get onnxOpset(): number | undefined {
    return aiOnnxOpset(this.opsetImports);
  }

  /** Every graph: the main graph, its subgraphs, then each function body and its subgraphs. */
  *allGraphs(): Generator<{ graph: Graph; fn?: OnnxFunction }> {
    for (const g of this.graph.allGraphs()) yield { graph: g };
    for (const fn of this.functions) for (const g of fn.body.allGraphs()) yield { graph: g, fn };
  }
}
