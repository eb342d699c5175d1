/**
 * Slice with constant starts/ends/axes and steps of 1, on axes whose size is
 * known: dX = Pad(dY) with zeros where the slice cut.
 */
import { attr } from '../../graph/attributes.js';
import { constantOf } from '../../rewrite/constants.js';
import type { GradRule } from '../context.js';

export const sliceGrad: GradRule = {
  opType: 'Slice',
  saves: {},
  backward({ node, b, dY, info, ints, unsupported }) {
    const x = node.inputs[0]!;
    const shape = info(x)?.shape ?? unsupported('the input shape is unknown');
    const read = (i: number) => (node.inputs[i] ? constantOf(node.inputs[i])?.values : undefined);
    const starts = read(1) ?? unsupported('starts are not constant');
    const ends = read(2) ?? unsupported('ends are not constant');
    const axes = read(3) ?? starts.map((_, i) => i);
    const steps = read(4) ?? starts.map(() => 1);
    if (steps.some((s) => s !== 1)) unsupported('steps other than 1');
    const rank = shape.length;
    const pads = new Array<number>(2 * rank).fill(0);
    axes.forEach((ax, i) => {
      const a = ax < 0 ? ax + rank : ax;
      const d = shape[a];
      const dim = typeof d === 'number' ? d : unsupported(`axis ${a} has no fixed size`);
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
      const s = clamp(starts[i]!);
      const e = Math.max(clamp(ends[i]!), s);
      pads[a] = s;
      pads[a + rank] = dim - e;
    });
    return [b.op('Pad', [dY[0], ints(pads, 'slice_pads')], { name: 'slice_grad', attributes: [attr.string('mode', 'constant')] })];
  },
};
