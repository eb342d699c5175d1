/**
 * ThresholdedRelu(X, alpha) → Where(Less(CastLike(alpha, X), X), X, CastLike(0, X)),
 * ONNX's own function body, for runtimes without the op. The exact inverse of
 * the fuse rules: the Where node takes the ThresholdedRelu node's name.
 *
 * Below opset 15 (no CastLike) the constants are written in X's type directly,
 * which needs X's type to be known; below opset 9 (no Where) it refuses.
 */
import { onnx, DataType, type TensorProto } from '../../onnx/proto.js';
import { dataTypeName, isArithmeticFloat } from '../../onnx/dtypes.js';
import { attr } from '../../graph/attributes.js';
import { thresholdedReluOp } from '../../ops/thresholded-relu/definition.js';
import { numberToFloat16, numberToBfloat16 } from '../../ops/float16.js';
import type { Value } from '../../graph/value.js';
import { PatternBuilder } from '../pattern.js';
import { rule } from '../rule.js';

const p = new PatternBuilder();

interface State {
  x: Value;
  alpha: number;
  /** Set below opset 15: the element type to write the constants in. */
  elemType?: number;
}

function scalarTensor(value: number, elemType: number): TensorProto {
  let raw: Uint8Array;
  if (elemType === DataType.FLOAT) raw = new Uint8Array(Float32Array.of(value).buffer);
  else if (elemType === DataType.DOUBLE) raw = new Uint8Array(Float64Array.of(value).buffer);
  else if (elemType === DataType.FLOAT16) raw = new Uint8Array(Uint16Array.of(numberToFloat16(value)).buffer);
  else raw = new Uint8Array(Uint16Array.of(numberToBfloat16(value)).buffer);
  return onnx.TensorProto.create({ dataType: elemType, dims: [], rawData: raw }) as TensorProto;
}

export const decomposeThresholdedRelu = rule<State>({
  name: 'decompose-thresholded-relu',
  description: 'ThresholdedRelu(alpha) → Where(Less(CastLike(alpha, X), X), X, CastLike(0, X))',
  patterns: [p.op('ThresholdedRelu', [p.var('X')], 'trelu')],
  check(match, ctx) {
    const node = match.root;
    let alpha: number;
    try {
      alpha = thresholdedReluOp.parseAttributes(node.attributes).alpha;
    } catch (e) {
      return { ok: false, reason: e instanceof Error ? e.message : String(e), candidate: true };
    }
    if (node.attributes.some((a) => a.refAttrName)) return { ok: false, reason: 'alpha refers to a function attribute', candidate: true };
    const x = match.values.get('X')!;
    if (ctx.opset === undefined || ctx.opset < 9) return { ok: false, reason: `ai.onnx opset ${ctx.opset} has no Where (needs 9)`, candidate: true };
    if (ctx.opset >= 15) return { ok: true, state: { x, alpha } };
    const elemType = x.dtype;
    if (!isArithmeticFloat(elemType)) {
      return { ok: false, reason: `below opset 15 the input type must be a known float type (got ${elemType === undefined ? 'unknown' : dataTypeName(elemType)})`, candidate: true };
    }
    return { ok: true, state: { x, alpha, elemType } };
  },
  computes: (s) => ({ input: s.x, alpha: s.alpha }),
  rewrite(match, s, b) {
    const base = match.root.name || 'thresholded_relu';
    let alpha: Value;
    let zero: Value;
    if (s.elemType === undefined) {
      alpha = b.op('CastLike', [b.op('Constant', [], { name: `${base}_alpha`, attributes: [attr.float('value_float', s.alpha)] }), s.x], { name: `${base}_alpha_like` });
      zero = b.op('CastLike', [b.op('Constant', [], { name: `${base}_zero`, attributes: [attr.float('value_float', 0)] }), s.x], { name: `${base}_zero_like` });
    } else {
      alpha = b.op('Constant', [], { name: `${base}_alpha`, attributes: [attr.tensor('value', scalarTensor(s.alpha, s.elemType))] });
      zero = b.op('Constant', [], { name: `${base}_zero`, attributes: [attr.tensor('value', scalarTensor(0, s.elemType))] });
    }
    const less = b.op('Less', [alpha, s.x], { name: `${base}_less` });
    return [b.op('Where', [less, s.x, zero], { name: base, nodeName: match.root.name || undefined })];
  },
});
