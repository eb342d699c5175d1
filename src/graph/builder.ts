/**
 * Creates nodes in a graph with fresh, unique names: the tool rewrite rules
 * and gradient rules build with.
 *
 *   const b = new Builder(model, graph, { before: node });
 *   const y = b.op('Where', [cond, x, zero]);
 *   const [out, mask] = b.ops('Dropout', [x], 2);
 */
import type { AttributeProto, TensorProto } from '../onnx/proto.js';
import type { Graph } from './graph.js';
import type { NameAuthority } from './names.js';
import { Node } from './node.js';
import { Value } from './value.js';

export interface BuilderScope {
  readonly valueNames: NameAuthority;
  readonly nodeNames: NameAuthority;
}

export interface OpOptions {
  domain?: string;
  attributes?: readonly AttributeProto[];
  /** Base for the node name and its outputs' names; defaults to the op type in snake case. */
  name?: string;
  /** Exact output names to use (must be free); default: fresh names. */
  outputNames?: readonly string[];
  /**
   * Exact node name, even if taken: for a node that replaces the node of that
   * name (the caller removes the old one). Default: a fresh name.
   */
  nodeName?: string;
}

export class Builder {
  /** Nodes created so far, in order. */
  readonly created: Node[] = [];

  constructor(
    readonly scope: BuilderScope,
    readonly graph: Graph,
    private readonly at: { before?: Node; after?: Node } = {},
  ) {}

  /** Adds a single-output node and returns its output. */
  op(opType: string, inputs: readonly (Value | undefined)[], options: OpOptions = {}): Value {
    return this.ops(opType, inputs, 1, options)[0]!;
  }

  /** Adds a node with `outputs` outputs and returns them. */
  ops(opType: string, inputs: readonly (Value | undefined)[], outputs: number, options: OpOptions = {}): Value[] {
    const base = options.name ?? snake(opType);
    const outs = Array.from({ length: outputs }, (_, i) => {
      const wanted = options.outputNames?.[i];
      if (wanted !== undefined) {
        if (this.scope.valueNames.has(wanted)) throw new Error(`value name '${wanted}' is taken`);
        this.scope.valueNames.register(wanted);
        return new Value(wanted);
      }
      return new Value(this.scope.valueNames.unique(base));
    });
    const node = new Node({
      domain: options.domain ?? '',
      opType,
      name: options.nodeName ?? this.scope.nodeNames.unique(base),
      inputs,
      outputs: outs,
      attributes: options.attributes,
    });
    this.place(node);
    return outs;
  }

  /** Adds an initializer holding `tensor` (renamed to a fresh name based on its own). */
  initializer(tensor: TensorProto): Value {
    const name = this.scope.valueNames.unique(tensor.name || 'const');
    const t = Object.assign(Object.create(Object.getPrototypeOf(tensor)), tensor, { name }) as TensorProto;
    const v = new Value(name, { initializer: t });
    this.graph.addInitializer(v);
    return v;
  }

  private place(node: Node): void {
    const last = this.created[this.created.length - 1];
    if (last) this.graph.insertAfter(last, node);
    else if (this.at.before) this.graph.insertBefore(this.at.before, node);
    else if (this.at.after) this.graph.insertAfter(this.at.after, node);
    else this.graph.append(node);
    this.created.push(node);
  }
}

function snake(opType: string): string {
  return opType.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
