/**
 * 1-D Conv and pools through their 2-D rules: X [N, C, L] (and W [M, C/g, k])
 * get a unit axis at 2, the attributes a leading 1 (pads a 0 each side), and
 * the 2-D rule runs on a context that shows the node that way: its lifted
 * inputs' saved values are the unsqueezed ones, their and the outputs'
 * static shapes have the unit axis, and so does dY. Its gradients lose the
 * unit axis again.
 */
import { NodeAttributes } from '../../graph/node-attributes.js';
import { Value } from '../../graph/value.js';
import type { ForwardNodeInfo, GradContext, GradRule, StaticInfo } from '../rule.js';

const withUnit = (info: StaticInfo): StaticInfo =>
  info.shape ? { ...info, shape: [...info.shape.slice(0, 2), 1, ...info.shape.slice(2)], rank: info.shape.length + 1 } : { ...info, shape: undefined, rank: undefined };

/** Whether the node is 1-D (its input has rank 3). */
export function isOneD(node: ForwardNodeInfo): boolean {
  return node.inputInfo(0).rank === 3;
}

/** Runs `rule` (a 2-D rule) for the 1-D node of `ctx`; `lifted` are the inputs that get the unit axis (X, and W for Conv). */
export function backwardAs2d(ctx: GradContext, rule: GradRule, lifted: readonly number[]): (Value | undefined)[] {
  const { b, ints } = ctx;
  const unsq = (v: Value) => b.op('Unsqueeze', [v, ints([2])], { name: 'lift_2d' });
  const liftedIn = new Map<number, Value>();
  for (let i = 0; i < ctx.inputCount; i++) if (ctx.hasInput(i) && lifted.includes(i)) liftedIn.set(i, unsq(ctx.saved.input(i)));
  const spatial = (name: string) => {
    const a = ctx.attrs.ints(name);
    return a === undefined ? undefined : name === 'pads' ? [0, ...a.slice(0, a.length / 2), 0, ...a.slice(a.length / 2)] : [1, ...a];
  };
  const attributes = ctx.attributes.map((a) => {
    const v = ['kernel_shape', 'strides', 'dilations', 'pads'].includes(a.name) ? spatial(a.name) : undefined;
    return v ? { ...a, ints: v } : a;
  }) as typeof ctx.attributes;
  const dY = ctx.dY.map((g) => g && unsq(g));
  const staticOf = new Map<Value, StaticInfo>([...liftedIn].map(([i, v]) => [v, withUnit(ctx.inputInfo(i))]));
  const as2d: GradContext = {
    ...ctx,
    attrs: new NodeAttributes({ attributes, opType: ctx.opType, name: ctx.name }),
    attributes,
    inputInfo: (i) => (liftedIn.has(i) ? staticOf.get(liftedIn.get(i)!)! : ctx.inputInfo(i)),
    outputInfo: (i) => withUnit(ctx.outputInfo(i)),
    dY,
    saved: {
      ...ctx.saved,
      input: (i) => liftedIn.get(i) ?? ctx.saved.input(i),
      optionalInput: (i) => liftedIn.get(i) ?? ctx.saved.optionalInput(i),
    },
    scalar: (value, like) => ctx.scalar(value, like instanceof Value ? staticOf.get(like) ?? like : like),
  };
  const grads = rule.backward(as2d);
  return grads.map((g, i) => (g && lifted.includes(i) ? b.op('Squeeze', [g, ints([2])], { name: 'lift_1d' }) : g));
}
