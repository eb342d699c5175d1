/**
 * TEMPORARY ADAPTER — the integrator removes this file once the last rule
 * written against the old context is converted to rule.ts's interface.
 *
 * The old interface gave a rule the whole forward node (`ctx.node`) and a
 * lookup `ctx.info(v)`; buildGradient checked afterwards that it read only
 * what `saves` declared. Rules still written that way (this session:
 * src/train/rules/{conv,max-pool,max-pool-indices,lift-1d}.ts, owned by j16,
 * and the Resize block of index-ops.ts, which j10r moves to resize.ts) import
 * `GradRule`/`GradContext`/`makeContext` from here instead of ../context.js
 * and are wrapped with `fromLegacy` where they are listed (rules/index.ts).
 * The post-build check of their nodes against `saves` still applies.
 */
import type { Builder } from '../graph/builder.js';
import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';
import type { TensorInfo } from '../graph/infer/types.js';
import { legacyForwardOf, makeContext as makeNewContext, type LegacyForward } from './context.js';
import type { ForwardNodeInfo, GradContext as NewGradContext, GradRule as NewGradRule, Saves } from './rule.js';

/** The old context: the whole forward node and a lookup for any value. */
export interface GradContext {
  readonly node: Node;
  readonly b: Builder;
  readonly dY: readonly (Value | undefined)[];
  needs(i: number): boolean;
  info(v: Value): TensorInfo | undefined;
  readonly opset: number;
  scalar(value: number, like: Value): Value;
  ints(values: readonly number[], name?: string): Value;
  reduceTo(grad: Value, input: Value): Value;
  zerosLike(like: Value): Value;
  unsupported(why: string): never;
  warn(message: string): void;
}

/** The old rule shape. */
export interface GradRule {
  readonly opType: string;
  readonly saves: Saves | ((node: Node, info: (v: Value) => TensorInfo | undefined) => Saves);
  backward(ctx: GradContext): (Value | undefined)[];
}

function forwardOf(x: ForwardNodeInfo | NewGradContext): LegacyForward {
  const f = legacyForwardOf(x);
  if (!f) throw new Error('a legacy gradient rule ran outside buildGradient');
  return f;
}

function legacyContext(ctx: NewGradContext, f: LegacyForward): GradContext {
  return {
    node: f.node,
    b: ctx.b,
    dY: ctx.dY,
    needs: ctx.needs,
    info: f.info,
    opset: ctx.opset,
    scalar: ctx.scalar,
    ints: ctx.ints,
    reduceTo: ctx.reduceTo,
    zerosLike: ctx.zerosLike,
    unsupported: ctx.unsupported,
    warn: ctx.warn,
  };
}

/** An old-style rule as a rule of the current interface. */
export function fromLegacy(rule: GradRule): NewGradRule {
  const saves = rule.saves;
  return {
    opType: rule.opType,
    saves: typeof saves === 'function' ? (n) => { const f = forwardOf(n); return saves(f.node, f.info); } : saves,
    backward: (ctx) => rule.backward(legacyContext(ctx, forwardOf(ctx))),
  };
}

/** The old makeContext (lift-1d.ts runs a 2-D rule on a stand-in node with it). */
export function makeContext(init: {
  node: Node;
  b: Builder;
  dY: (Value | undefined)[];
  needs: (i: number) => boolean;
  info: (v: Value) => TensorInfo | undefined;
  opset: number;
  warn?: (message: string) => void;
}): GradContext {
  const ctx = makeNewContext(init);
  return legacyContext(ctx, { node: init.node, info: init.info });
}
