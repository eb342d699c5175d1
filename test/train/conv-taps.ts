/**
 * For a float64 finite-difference oracle: ORT's CPU EP has no double Conv, so each 2-D Conv
 * (group 1, or depthwise with multiplier 1; NCHW; static shapes; explicit pads) becomes the sum
 * over its kh·kw kernel taps of a strided Slice of the padded input times that tap's weights
 * (MatMul for group 1 here; depthwise through the library's lowerDepthwiseConv, which --check's
 * double copy uses) — ops ORT runs in double. The weights stay inputs (Gather of the tap), so the
 * copy can be perturbed like the original.
 * Callers check the lowered model against ORT's own Conv on the untouched model (float32).
 */
import type { Model } from '../../src/graph/model.js';
import { Builder, replaceValue } from '../../src/graph/index.js';
import { inferModel } from '../../src/graph/infer/index.js';
import { isAiOnnxDomain } from '../../src/onnx/domain.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { lowerDepthwiseConv } from '../../src/train/float64-depthwise.js';

export function lowerConvToTaps(model: Model): number {
  const graph = model.graph;
  let lowered = 0;
  for (const node of graph.nodes.filter((n) => n.opType === 'Conv' && isAiOnnxDomain(n.domain))) {
    inferModel(model);
    const [x, w, bias] = node.inputs;
    const xs = x?.shapeInfo;
    const ws = w?.shapeInfo;
    const where = `Conv '${node.name}'`;
    if (!x || !w || !xs || !ws || xs.length !== 4 || [...xs, ...ws].some((d) => typeof d !== 'number')) throw new Error(`${where}: needs a static 2-D shape`);
    if (node.attrs.string('auto_pad', 'NOTSET') !== 'NOTSET') throw new Error(`${where}: auto_pad`);
    const [N, C, H, W] = xs as number[];
    const [O, Cg, kh, kw] = ws as number[];
    const group = node.attrs.int('group', 1);
    const [sh, sw] = node.attrs.ints('strides', [1, 1]);
    const [dh, dw] = node.attrs.ints('dilations', [1, 1]);
    const [pt, pl, pb, pr] = node.attrs.ints('pads', [0, 0, 0, 0]);
    if (group !== 1) {
      if (!lowerDepthwiseConv(model, node)) throw new Error(`${where}: group ${group} with ${O} outputs and ${Cg} channels per group`);
      lowered++;
      continue;
    }
    const Ho = Math.floor((H! + pt! + pb! - dh! * (kh! - 1) - 1) / sh!) + 1;
    const Wo = Math.floor((W! + pl! + pr! - dw! * (kw! - 1) - 1) / sw!) + 1;
    const b = new Builder(model, graph, { before: node });
    const i64 = (v: number[], dims = [v.length]) => b.initializer(makeTensor('taps_i64', dims, BigInt64Array.from(v.map(BigInt))));
    const xp = pt || pl || pb || pr ? b.op('Pad', [x, i64([0, 0, pt!, pl!, 0, 0, pb!, pr!])], { name: 'taps_pad' }) : x;
    let acc;
    for (let i = 0; i < kh!; i++) {
      for (let j = 0; j < kw!; j++) {
        const s = b.op('Slice', [xp, i64([i * dh!, j * dw!]), i64([i * dh! + (Ho - 1) * sh! + 1, j * dw! + (Wo - 1) * sw! + 1]), i64([2, 3]), i64([sh!, sw!])], { name: 'taps_slice' });
        const tap = b.op('Gather', [b.op('Gather', [w, i64([i], [])], { name: 'taps_w', attributes: { axis: 2 } }), i64([j], [])], { name: 'taps_w', attributes: { axis: 2 } });
        const term = b.op('MatMul', [tap, b.op('Reshape', [s, i64([N!, C!, Ho * Wo])], { name: 'taps_flat' })], { name: 'taps_mm' });
        acc = acc ? b.op('Add', [acc, term], { name: 'taps_sum' }) : term;
      }
    }
    let y = b.op('Reshape', [acc!, i64([N!, O!, Ho, Wo])], { name: 'taps_out' });
    if (bias) y = b.op('Add', [y, b.op('Reshape', [bias, i64([1, O!, 1, 1])], { name: 'taps_bias' })], { name: 'taps_bias' });
    replaceValue(node.outputs[0]!, y);
    graph.remove(node);
    lowered++;
  }
  return lowered;
}
