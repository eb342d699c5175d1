/**
 * The shared check and rewrite of the fuse rules: each decomposed form binds
 * X (the input), A (the threshold) and, where there is one, Z (the value
 * below the threshold); this decides whether replacing the match with
 * ThresholdedRelu(X, alpha = A) means exactly the same thing.
 */
import { DataType } from '../onnx/proto.js';
import { dataTypeName } from '../onnx/dtypes.js';
import type { Value } from '../graph/value.js';
import type { Node } from '../graph/node.js';
import { attr } from '../graph/attributes.js';
import { thresholdedReluOp } from '../ops/thresholded-relu/definition.js';
import { resolveVersion, floatDTypeOf } from '../ops/types.js';
import { roundAlpha } from '../ops/thresholded-relu/reference.js';
import type { FloatDType } from '../ops/types.js';
import type { Match, PatternOp } from './pattern.js';
import { constantOf, uniformValue, type ConstantTensor } from './constants.js';
import { rule, type CheckResult, type RewriteRule, type RuleContext } from './rule.js';


export interface FuseState {
  x: Value;
  alpha: number;
}

export interface FuseSpec {
  name: string;
  description: string;
  patterns: PatternOp[];
  /** Set for forms whose results differ for NaN/-inf: they fuse only with allowNanChange. */
  nanChange?: string;
  /** Extra conditions on the match (e.g. the Cast's target type); returns a reason to refuse, or undefined. */
  extraCheck?(match: Match, ctx: RuleContext, xType: number): string | undefined;
}

function fits(c: ConstantTensor, xShape: (number | string | undefined)[] | undefined): boolean {
  if (c.dims.length === 1 && c.dims[0] === -1) return true; // has exactly X's shape (zeros_like)
  if (c.dims.length === 0) return true;
  if (!xShape) return c.dims.length <= 1 && c.dims.every((d) => d === 1);
  if (c.dims.length > xShape.length) return false;
  const offset = xShape.length - c.dims.length;
  return c.dims.every((d, i) => d === 1 || d === xShape[offset + i]);
}

/** Intermediate matched nodes must feed only the match itself. */
function privateIntermediates(match: Match, ctx: RuleContext): string | undefined {
  const inMatch = new Set<Node>(match.nodes.values());
  for (const n of inMatch) {
    if (n === match.root) continue;
    for (const v of n.outputs) {
      if (ctx.graph.outputs.includes(v)) return `'${v.name}' is a graph output`;
      const other = v.uses().find((u) => !inMatch.has(u.node));
      if (other) return `'${v.name}' has another consumer (${other.node.name || other.node.opType})`;
    }
  }
  return undefined;
}

export function fuseRule(spec: FuseSpec): RewriteRule<FuseState> {
  return rule<FuseState>({
    name: spec.name,
    description: spec.description,
    patterns: spec.patterns,
    check(match, ctx): CheckResult<FuseState> {
      const x = match.values.get('X')!;
      const typeOf = (v: Value) => v.dtype;
      const xType = typeOf(x);
      if (xType === undefined) return { ok: false, reason: `the element type of '${x.name}' is unknown` };
      const dtype = floatDTypeOf(xType);
      if (!dtype) return { ok: false, reason: `'${x.name}' is ${dataTypeName(xType)}, not a float type` };
      const version = ctx.opset === undefined ? undefined : resolveVersion(thresholdedReluOp, ctx.opset);
      if (!version || version.experimental) return { ok: false, reason: `ai.onnx opset ${ctx.opset} has no (non-experimental) ThresholdedRelu; upgrade to 10 or later first`, candidate: true };
      if (!version.types.includes(xType)) return { ok: false, reason: `ThresholdedRelu-${version.sinceVersion} does not take ${dataTypeName(xType)}`, candidate: true };
      const private_ = privateIntermediates(match, ctx);
      if (private_) return { ok: false, reason: private_ };
      const extra = spec.extraCheck?.(match, ctx, xType);
      if (extra) return { ok: false, reason: extra };

      const xShape = x.shapeInfo;
      const a = constantOf(match.values.get('A'), x, typeOf);
      if (!a) return { ok: false, reason: 'the threshold is not a constant' };
      if (a.dataType !== xType) return { ok: false, reason: `the threshold is ${dataTypeName(a.dataType)}, the input ${dataTypeName(xType)}` };
      const alpha = uniformValue(a);
      if (alpha === undefined) return { ok: false, reason: 'the threshold tensor has unequal values' };
      if (!fits(a, xShape)) return { ok: false, reason: 'the threshold tensor would broadcast the input to a larger shape' };
      if (Number.isNaN(alpha)) return { ok: false, reason: 'the threshold is NaN' };
      const alphaAttr = Math.fround(alpha);
      if (roundAlpha(alphaAttr, dtype) !== alpha) return { ok: false, reason: `the threshold ${alpha} is not representable as a FLOAT attribute` };

      if (match.values.has('Z')) {
        const z = constantOf(match.values.get('Z'), x, typeOf);
        if (!z) return { ok: false, reason: 'the value below the threshold is not a constant' };
        const zv = uniformValue(z);
        if (zv === undefined || !Object.is(zv, 0)) return { ok: false, reason: 'the value below the threshold is not +0' };
        if (z.dataType !== xType) return { ok: false, reason: `the zero is ${dataTypeName(z.dataType)}, the input ${dataTypeName(xType)}` };
        if (!fits(z, xShape)) return { ok: false, reason: 'the zero tensor would broadcast the input to a larger shape' };
      }
      if (spec.nanChange && !ctx.options.allowNanChange) {
        return { ok: false, candidate: true, reason: `${spec.nanChange}; fuse it with --allow-nan-change` };
      }
      return { ok: true, state: { x, alpha: alphaAttr } };
    },
    computes: (state) => ({ input: state.x, alpha: state.alpha }),
    rewrite(match, state, b) {
      return [b.op('ThresholdedRelu', [state.x], { attributes: [attr.float('alpha', state.alpha)], name: 'thresholded_relu', nodeName: match.root.name || undefined })];
    },
  });
}
