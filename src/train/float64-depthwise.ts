/**
 * For the float64 copy of a forward model (float64.ts): ORT's CPU EP has no double Conv, and
 * float64.ts's im2col lowering takes group 1 only. A depthwise Conv (group = channels, one output
 * per channel: MobileNet, BlazeFace, M-LSD) becomes the sum over its kh·kw kernel taps of a strided
 * Slice of the padded input times that tap's per-channel weight — Slice, Gather, Mul and Add, which
 * ORT runs in double. The weight stays an input (Gather of the tap), so the copy can be perturbed.
 * checkGradients trusts the copy only where its loss equals the float32 model's.
 */
import type { Model } from '../graph/model.js';
import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';
import { Builder } from '../graph/builder.js';
import { replaceValue } from '../graph/mutate.js';
import { makeTensor } from '../onnx/tensor.js';

/** Lowers `node` if it is a depthwise 2-D Conv with static shapes and explicit pads; returns whether it did. */
export function lowerDepthwiseConv(model: Model, node: Node): boolean {
  const [x, w, bias] = node.inputs;
  const xs = x?.shapeInfo;
  const ws = w?.shapeInfo;
  if (!x || !w || !xs || !ws || xs.length !== 4 || ws.length !== 4 || [...xs, ...ws].some((d) => typeof d !== 'number')) return false;
  if (node.attrs.string('auto_pad', 'NOTSET') !== 'NOTSET') return false;
  const [N, C, H, W] = xs as number[];
  const [O, Cg, kh, kw] = ws as number[];
  const group = node.attrs.int('group', 1);
  if (!(group === C && Cg === 1 && O === C && group > 1)) return false;
  const [sh, sw] = node.attrs.ints('strides', [1, 1]);
  const [dh, dw] = node.attrs.ints('dilations', [1, 1]);
  const [pt, pl, pb, pr] = node.attrs.ints('pads', [0, 0, 0, 0]);
  const Ho = Math.floor((H! + pt! + pb! - dh! * (kh! - 1) - 1) / sh!) + 1;
  const Wo = Math.floor((W! + pl! + pr! - dw! * (kw! - 1) - 1) / sw!) + 1;
  if (!(Ho > 0 && Wo > 0 && N! > 0)) return false;
  const b = new Builder(model, model.graph, { before: node });
  const i64 = (v: number[], dims = [v.length]) => b.initializer(makeTensor('dw_i64', dims, BigInt64Array.from(v.map(BigInt))));
  const xp = pt || pl || pb || pr ? b.op('Pad', [x, i64([0, 0, pt!, pl!, 0, 0, pb!, pr!])], { name: 'dw_pad' }) : x;
  let acc: Value | undefined;
  for (let i = 0; i < kh!; i++) {
    for (let j = 0; j < kw!; j++) {
      const s = b.op('Slice', [xp, i64([i * dh!, j * dw!]), i64([i * dh! + (Ho - 1) * sh! + 1, j * dw! + (Wo - 1) * sw! + 1]), i64([2, 3]), i64([sh!, sw!])], { name: 'dw_slice' });
      const tap = b.op('Gather', [b.op('Gather', [w, i64([i], [])], { name: 'dw_w', attributes: { axis: 2 } }), i64([j], [])], { name: 'dw_w', attributes: { axis: 2 } });
      const term = b.op('Mul', [s, b.op('Reshape', [tap, i64([1, C!, 1, 1])], { name: 'dw_w' })], { name: 'dw_mul' });
      acc = acc ? b.op('Add', [acc, term], { name: 'dw_sum' }) : term;
    }
  }
  const y = bias ? b.op('Add', [acc!, b.op('Reshape', [bias, i64([1, O!, 1, 1])], { name: 'dw_bias' })], { name: 'dw_bias' }) : acc!;
  replaceValue(node.outputs[0]!, y);
  model.graph.remove(node);
  return true;
}
