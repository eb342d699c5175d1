/**
 * For the float64 copy of a forward model (float64.ts): ORT's CPU EP has no double Resize, so a
 * linear Resize of a static tensor that resizes only its last two axes becomes two MatMuls with
 * its interpolation matrices (Y = A_h · X · A_w^T), which ORT runs in double. The matrices are
 * the ones the Resize gradient rule uses (rules/resize.ts); checkGradients compares the double
 * copy's loss with the float32 model's before trusting it, so a wrong matrix cannot pass unseen.
 * Resizes it cannot lower are left alone (the copy then fails to load, and the check runs in float32).
 */
import type { Model } from '../graph/model.js';
import { Builder } from '../graph/builder.js';
import { replaceValue } from '../graph/mutate.js';
import { inferModel } from '../graph/infer/index.js';
import { makeTensor } from '../onnx/tensor.js';
import { isAiOnnxDomain } from '../onnx/domain.js';
import { constantOf } from '../rewrite/constants.js';
import { interpolationMatrix } from './rules/resize.js';

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

const MODES = new Set(['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric']);

/** Lowers every linear Resize it can; returns how many. */
export function lowerLinearResizes(model: Model): number {
  const graph = model.graph;
  let lowered = 0;
  for (const node of graph.nodes.filter((n) => n.opType === 'Resize' && isAiOnnxDomain(n.domain) && n.attrs.string('mode', 'nearest') === 'linear')) {
    inferModel(model);
    const x = node.inputs[0];
    const xs = x?.shapeInfo;
    const ys = node.outputs[0]?.shapeInfo;
    const mode = node.attrs.string('coordinate_transformation_mode', 'half_pixel');
    if (!x || !xs || !ys || xs.length < 3 || xs.length !== ys.length || [...xs, ...ys].some((d) => typeof d !== 'number') || !MODES.has(mode)) continue;
    if (node.attrs.int('antialias', 0) || node.attrs.has('axes')) continue;
    const r = xs.length;
    if (xs.slice(0, r - 2).some((d, i) => d !== ys[i])) continue;
    const scales = node.inputs[2] ? constantOf(node.inputs[2])?.values : undefined;
    const b = new Builder(model, graph, { before: node });
    const matrix = (axis: number) => {
      const [i, o] = [xs[axis] as number, ys[axis] as number];
      return { i, o, a: interpolationMatrix(i, o, scales?.length === r ? scales[axis]! : o / i, mode as Parameters<typeof interpolationMatrix>[3]) };
    };
    const h = matrix(r - 2);
    const w = matrix(r - 1);
    const ah = b.initializer(makeTensor('resize_ah', [h.o, h.i], h.a));
    const awT = b.initializer(makeTensor('resize_awt', [w.i, w.o], transpose(w.a, w.o, w.i)));
    const y = b.op('MatMul', [b.op('MatMul', [ah, x], { name: 'resize_h' }), awT], { name: 'resize_w' });
    replaceValue(node.outputs[0]!, y);
    graph.remove(node);
    lowered++;
  }
  return lowered;
}
