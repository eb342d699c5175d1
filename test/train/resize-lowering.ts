/**
 * For a float64 finite-difference oracle: ORT's CPU EP has no double Resize, so each linear Resize
 * of a static NCHW (or NCL) tensor that resizes only the last two axes becomes MatMuls with its
 * interpolation matrices (Y = A_h · X · A_w^T), ops ORT runs in double. The matrices come from
 * src/train/rules/resize.ts; callers check the lowered copy against ORT's own float32 Resize on the
 * untouched model, which is what makes them an oracle and not the rule checking itself.
 */
import type { Model } from '../../src/graph/model.js';
import { Builder, inferTypes, replaceValue } from '../../src/graph/index.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { constantOf } from '../../src/rewrite/constants.js';
import { interpolationMatrix } from '../../src/train/rules/resize.js';

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

export function lowerResizeLinear(model: Model): number {
  const graph = model.graph;
  let lowered = 0;
  for (const node of graph.nodes.filter((n) => n.opType === 'Resize' && n.attrs.string('mode', 'nearest') === 'linear')) {
    const types = inferTypes(model);
    const x = node.inputs[0]!;
    const xs = types.get(x)?.shape;
    const ys = types.get(node.outputs[0]!)?.shape;
    const where = `Resize '${node.name}'`;
    if (!xs || !ys || xs.length < 3 || [...xs, ...ys].some((d) => typeof d !== 'number')) throw new Error(`${where}: needs static shapes`);
    const r = xs.length;
    if (xs.slice(0, r - 2).some((d, i) => d !== ys[i])) throw new Error(`${where}: resizes a leading axis`);
    const mode = node.attrs.string('coordinate_transformation_mode', 'half_pixel') as Parameters<typeof interpolationMatrix>[3];
    const scales = constantOf(node.inputs[2])?.values;
    const b = new Builder(model, graph, { before: node });
    const matrix = (axis: number) => {
      const [i, o] = [xs[axis] as number, ys[axis] as number];
      return { i, o, a: interpolationMatrix(i, o, scales?.length === r ? scales[axis]! : o / i, mode) };
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
