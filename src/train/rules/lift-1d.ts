/**
 * 1-D Conv and pools through their 2-D rules: X [N, C, L] (and W [M, C/g, k])
 * get a unit axis at 2, the attributes a leading 1 (pads a 0 each side), and
 * the 2-D rule runs on a stand-in node that is never in the graph; its
 * gradients lose the unit axis again. The stand-in's outputs are typed from
 * the 1-D node's, so the 2-D rule sees every size it needs.
 */
import { Node } from '../../graph/node.js';
import { Value } from '../../graph/value.js';
import type { TensorInfo } from '../../graph/infer.js';
import { makeContext, type GradContext, type GradRule } from '../legacy-rule.js';

const withUnit = (info: TensorInfo | undefined): TensorInfo | undefined =>
  info?.shape ? { ...info, shape: [...info.shape.slice(0, 2), 1, ...info.shape.slice(2)] } : undefined;

/** Whether the node is 1-D (its input has rank 3). */
export function isOneD(ctx: GradContext): boolean {
  return ctx.info(ctx.node.inputs[0]!)?.shape?.length === 3;
}

/** Runs `rule` (a 2-D rule) for the 1-D `ctx.node`; `lifted` are the inputs that get the unit axis (X, and W for Conv). */
export function backwardAs2d(ctx: GradContext, rule: GradRule, lifted: readonly number[]): (Value | undefined)[] {
  const { node, b, ints } = ctx;
  const unsq = (v: Value) => b.op('Unsqueeze', [v, ints([2])], { name: 'lift_2d' });
  const infos = new Map<Value, TensorInfo | undefined>();
  const inputs = node.inputs.map((v, i) => {
    if (!v || !lifted.includes(i)) return v;
    const u = unsq(v);
    infos.set(u, withUnit(ctx.info(v)));
    return u;
  });
  const outputs = node.outputs.map((v) => {
    const o = new Value(b.scope.valueNames.unique(`${v.name}_2d`));
    infos.set(o, withUnit(ctx.info(v)));
    return o;
  });
  const spatial = (name: string) => {
    const a = node.attrs.ints(name);
    return a === undefined ? undefined : name === 'pads' ? [0, ...a.slice(0, a.length / 2), 0, ...a.slice(a.length / 2)] : [1, ...a];
  };
  const attributes = node.attributes.map((a) => {
    const v = ['kernel_shape', 'strides', 'dilations', 'pads'].includes(a.name) ? spatial(a.name) : undefined;
    return v ? { ...a, ints: v } : a;
  }) as typeof node.attributes;
  const standIn = new Node({ domain: node.domain, opType: node.opType, name: node.name, inputs, outputs, attributes: [...attributes] });
  try {
    const dY = ctx.dY.map((g) => g && unsq(g));
    dY.forEach((g, i) => g && infos.set(g, infos.get(outputs[i]!)));
    const info = (v: Value) => (infos.has(v) ? infos.get(v) : ctx.info(v));
    const grads = rule.backward(makeContext({ node: standIn, b, dY, needs: ctx.needs, info, opset: ctx.opset, warn: ctx.warn }));
    return grads.map((g, i) => (g && lifted.includes(i) ? b.op('Squeeze', [g, ints([2])], { name: 'lift_1d' }) : g));
  } finally {
    standIn.inputs.forEach((_, i) => standIn.replaceInput(i, undefined));
  }
}
