/**
 * Patterns: the subgraph a rule looks for, written with a small builder in the
 * same shape as the graph builder.
 *
 *   const p = new PatternBuilder();
 *   const x = p.var('X');
 *   const root = p.op('Where', [p.op('Greater', [x, p.var('alpha')], 'cmp'), x, p.var('zero')], 'where');
 *
 * Matching follows producers from the root's inputs (the IR's use/producer
 * links, never names); a variable used twice must bind the same Value.
 */
import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';

export interface PatternVar {
  readonly kind: 'var';
  readonly name: string;
}

export interface PatternOp {
  readonly kind: 'op';
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly PatternNode[];
  /** The name the matched node is bound to in `Match.nodes`. */
  readonly bind: string;
}

export type PatternNode = PatternVar | PatternOp;

export class PatternBuilder {
  var(name: string): PatternVar {
    return { kind: 'var', name };
  }

  op(opType: string, inputs: PatternNode[], bind: string = opType, domain = ''): PatternOp {
    return { kind: 'op', opType, domain, inputs, bind };
  }
}

export interface Match {
  /** The node the pattern's root matched. */
  readonly root: Node;
  readonly values: ReadonlyMap<string, Value>;
  readonly nodes: ReadonlyMap<string, Node>;
}

/** Matches `pattern` with its root at `node`; undefined if it does not match. */
export function matchPattern(pattern: PatternOp, node: Node): Match | undefined {
  const values = new Map<string, Value>();
  const nodes = new Map<string, Node>();
  const isDomain = (d: string, want: string) => d === want || (want === '' && d === 'ai.onnx');
  const matchOp = (p: PatternOp, n: Node): boolean => {
    if (n.opType !== p.opType || !isDomain(n.domain, p.domain) || n.inputs.length !== p.inputs.length) return false;
    const bound = nodes.get(p.bind);
    if (bound && bound !== n) return false;
    nodes.set(p.bind, n);
    return p.inputs.every((ip, i) => matchValue(ip, n.inputs[i]));
  };
  const matchValue = (p: PatternNode, v: Value | undefined): boolean => {
    if (!v) return false;
    if (p.kind === 'var') {
      const bound = values.get(p.name);
      if (bound) return bound === v;
      values.set(p.name, v);
      return true;
    }
    const producer = v.producer();
    return !!producer && v.index() === 0 && matchOp(p, producer);
  };
  return matchOp(pattern, node) ? { root: node, values, nodes } : undefined;
}
